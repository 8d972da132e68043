"""Every error the package raises on purpose: one hierarchy, one place.

Each subclasses `MlopsError` and the builtin it resembles, and its message says
what failed, the value, and how to fix it, in one sentence. The fix is data (an `Option`
to change, a `Command` to run), so each face spells it as its users type it: `reason=`
in Python, `--reason` on a command line, `%mlops ...` in a notebook, `jupyter-mlops ...`
in a shell. Each error has a `Kind`, and `OUTCOMES` is the one table from a kind to what
each face answers: a notebook's `UsageError`, the command line's exit code, the model
server's HTTP status (500 is left for bugs of ours).
"""

from __future__ import annotations

import difflib
import errno
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from typing import ClassVar

# the fixes and faces messages are spelled with, re-exported: errors are raised with them
from jupyter_mlops.fixes import (  # noqa: F401
    ALLOW_PICKLE,
    CONNECT,
    DEPLOYMENTS,
    RUNS,
    TRACK,
    Command,
    Face,
    Fix,
    Note,
    Option,
    Spelled,
    promote_command,
    reference_command,
    spell,
)


class MlopsWarning(UserWarning):
    """A warning from jupyter-mlops (the test-suite turns these into errors)."""


class NotebookCodeWarning(MlopsWarning):
    """A version holds code defined in a notebook or script (`__main__`): it loads only in a
    process where that code is defined again."""


class Kind(StrEnum):
    """What went wrong, as each face needs to know it: the row of `OUTCOMES` it answers with."""

    USAGE = "usage"  # an argument or value the user gave is not acceptable
    NOT_FOUND = "not_found"  # something the user named does not exist
    CONFLICT = "conflict"  # the operation contradicts the registry's current state
    BUSY = "busy"  # another process holds what is needed; the same call may pass later
    INTEGRITY = "integrity"  # stored bytes are not what was recorded for them
    UNSAFE = "unsafe"  # it would run code nobody trusted
    UNAVAILABLE = "unavailable"  # a disk, a log or a server cannot do it now
    UNAUTHORIZED = "unauthorized"  # a request without the server's token
    TOO_LARGE = "too_large"  # a request body over the server's limit
    UNPROCESSABLE = "unprocessable"  # well-formed input the model cannot take
    FORBIDDEN = "forbidden"  # the database's role, or a request's key, may not do this
    VERIFICATION = "verification"  # a copy does not hold what it copied


@dataclass(frozen=True)
class Outcome:
    """How a face answers one kind of error. A notebook always raises IPython's
    `UsageError` with the message in its own spelling (one line, no traceback)."""

    exit_code: int  # what `jupyter-mlops` exits with
    http_status: int  # what the model server answers


# The one table from an error's kind to each face's outcome. Exit codes 1 (verify found a
# problem, or a bug of ours with its traceback) and 3 (an alert fires) are not errors' own.
OUTCOMES: Mapping[Kind, Outcome] = MappingProxyType(
    {
        Kind.USAGE: Outcome(exit_code=2, http_status=400),
        Kind.NOT_FOUND: Outcome(exit_code=4, http_status=404),
        Kind.CONFLICT: Outcome(exit_code=5, http_status=409),
        Kind.BUSY: Outcome(exit_code=6, http_status=503),
        Kind.INTEGRITY: Outcome(exit_code=7, http_status=503),
        Kind.UNSAFE: Outcome(exit_code=8, http_status=403),
        Kind.UNAVAILABLE: Outcome(exit_code=9, http_status=503),
        Kind.UNAUTHORIZED: Outcome(exit_code=2, http_status=401),
        Kind.TOO_LARGE: Outcome(exit_code=2, http_status=413),
        Kind.UNPROCESSABLE: Outcome(exit_code=2, http_status=422),
        Kind.FORBIDDEN: Outcome(exit_code=15, http_status=403),
        Kind.VERIFICATION: Outcome(exit_code=16, http_status=503),
    }
)


LOCK_TIMEOUT = "MLOPS_LOCK_TIMEOUT"  # the setting that bounds a wait for the registry's lock


class MlopsError(Exception):
    """Base class of every error jupyter-mlops raises on purpose.

    Its message is text and `Fix` parts, joined as each face spells them (`render`);
    `str()` is the Python spelling. `kind` chooses its row of `OUTCOMES`."""

    kind: ClassVar[Kind] = Kind.USAGE

    def __init__(self, *parts: str | Fix) -> None:
        self.parts = parts
        super().__init__(self.render(Face.PYTHON))

    def render(self, face: Face) -> str:
        """The message as `face` spells its fixes."""
        parts = getattr(self, "parts", ())
        return spell(parts, face) if parts else str(self)

    @property
    def outcome(self) -> Outcome:
        return OUTCOMES[self.kind]

    def led_by(self, *lead: str | Fix) -> MlopsError:
        """The same error (its class, kind and attributes), its message led by `lead`: what
        had been done when it was raised (a gate's numbers before its promotion refused)."""
        error = type(self).__new__(type(self))
        error.__dict__.update(self.__dict__)
        error.parts = (*lead, *(getattr(self, "parts", ()) or (str(self),)))
        error.args = (error.render(Face.PYTHON),)
        return error

    def option_named(self, option: str, name: str) -> MlopsError:
        """The same error, the option its message names as `option` (`--data-path`) named
        `name` (`--from-data-path`): as a subcommand with options of its own spells it."""
        import re

        alone = re.compile(rf"(?<![\w-]){re.escape(option)}(?![\w-])")
        error = type(self).__new__(type(self))
        error.__dict__.update(self.__dict__)
        parts = getattr(self, "parts", ()) or (str(self),)
        error.parts = tuple(alone.sub(name, p) if isinstance(p, str) else p for p in parts)
        error.args = (error.render(Face.PYTHON),)
        return error


class InvalidArgumentError(MlopsError, ValueError):
    """An argument or value given by the user is not acceptable."""


class RowsRefusedError(InvalidArgumentError):
    """The model raised on the given rows (NaN or infinite features, say): a check records
    the rest (drift, rules) and notes why it has no performance and no estimate."""


class NotFoundError(MlopsError, LookupError):
    """Something named by the user does not exist."""

    kind = Kind.NOT_FOUND


class ModelNotFoundError(NotFoundError):
    """No model has this name."""


class VersionNotFoundError(NotFoundError):
    """The model has no such version."""


class AliasNotFoundError(NotFoundError):
    """The model has no such alias."""


class RunNotFoundError(NotFoundError):
    """No run has this id."""


class ScheduleNotFoundError(NotFoundError):
    """No schedule of this registry has this id, or it was removed."""


class ConflictError(MlopsError, RuntimeError):
    """The operation contradicts the registry's current state."""

    kind = Kind.CONFLICT


class UnfinishedRunError(ConflictError):
    """The run did not finish (it failed, died or is still running), so its model is not
    registered unless that is asked for."""


class RegistryBusyError(MlopsError, TimeoutError):
    """Another process held the registry's lock for longer than the deadline.

    Made by `held`, it keeps what was locked, by whom and for how long, so a face whose
    deadline is set elsewhere (the Jupyter server's `lock_timeout`) names its own setting
    in the fix (`naming`)."""

    kind = Kind.BUSY
    lock: tuple[str, str, float] | None = None  # (what, holder, seconds)

    @classmethod
    def held(
        cls, what: str, *, holder: str, seconds: float, setting: str | Fix = LOCK_TIMEOUT
    ) -> RegistryBusyError:
        """`what` stayed locked by `holder` past `seconds`; the fix raises `setting`."""
        error = cls(
            f"{what} stayed locked by {holder} for more than {seconds:g} s; stop that "
            "process or raise ", setting, ".",
        )  # fmt: skip
        error.lock = (what, holder, seconds)
        return error

    def naming(self, setting: str | Fix) -> RegistryBusyError:
        """The same error, its fix raising `setting` instead (itself, when not `held`)."""
        if self.lock is None:
            return self
        what, holder, seconds = self.lock
        return self.held(what, holder=holder, seconds=seconds, setting=setting)


class IntegrityError(MlopsError, RuntimeError):
    """Stored bytes do not match what the registry recorded for them."""

    kind = Kind.INTEGRITY


class UnsafeModelError(MlopsError, PermissionError):
    """Loading or storing the model would trust code that was not trusted."""

    kind = Kind.UNSAFE


class ForbiddenError(MlopsError, PermissionError):
    """The shared registry's database role may read but not make this change."""

    kind = Kind.FORBIDDEN


class VerificationError(MlopsError, RuntimeError):
    """A registry copied into another does not hold, read back, what was copied: a row, an
    artifact's bytes or a logged row missing, altered or there twice."""

    kind = Kind.VERIFICATION


class UnavailableError(MlopsError, RuntimeError):
    """Something the operation needs cannot do it now: a server that died on start, say."""

    kind = Kind.UNAVAILABLE


class UnwrittenPointsError(UnavailableError):
    """A run's last metric points could not be written when it ended; `path` is the file
    they were saved in (None if that failed too; the run still holds them)."""

    def __init__(self, *parts: str | Fix, path: Path | None) -> None:
        super().__init__(*parts)
        self.path = path


class LogFullError(MlopsError, OSError):
    """A server's log cannot be written and its buffer is full."""

    kind = Kind.UNAVAILABLE


class RequestError(MlopsError):
    """A request the model server refuses; `field` names the input at fault, if one is."""

    def __init__(self, *parts: str | Fix, field: str | None = None) -> None:
        super().__init__(*parts)
        self.field = field


class BadRequest(RequestError):
    """A body that is not JSON the server reads (empty, malformed, not UTF-8)."""


class Unauthorized(RequestError):
    """A request without the server's bearer token."""

    kind = Kind.UNAUTHORIZED


class Forbidden(RequestError):
    """A request whose key does not grant it: a stop key that is not the deployment's."""

    kind = Kind.FORBIDDEN


class TooLarge(RequestError):
    """A body over the server's limit."""

    kind = Kind.TOO_LARGE


class Unprocessable(RequestError):
    """JSON the served model cannot take."""

    kind = Kind.UNPROCESSABLE


class ModelRefused(Unprocessable):
    """The model raised on rows that passed every check; `reason` is its first line."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"the model cannot take these rows ({reason}).")
        self.reason = reason


class StorageError(MlopsError, OSError):
    """The disk refused a write: full, read-only, or not ours to write."""

    kind = Kind.UNAVAILABLE

    def __init__(self, errno_: int | None, message: str) -> None:
        OSError.__init__(self, errno_, message)
        self.parts = ()

    @classmethod
    def of(
        cls, exc: OSError, where: Path | str, *, doing: str, outcome: str = "nothing was saved"
    ) -> StorageError:
        """The one-sentence error for `exc`, raised while trying `doing` under `where`."""
        place = str(where)
        if isinstance(exc, BucketError):
            return BucketError(
                exc.errno, f"cannot {doing}: {exc.problem} ({outcome})", exc.fix, exc.reason
            )
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            fix = f"the disk under {place!r} is full ({outcome}); free some space and run it again"
        elif exc.errno == errno.EROFS:
            fix = (
                f"{place!r} is on a read-only file system ({outcome}); mount it read-write, or "
                f"give a new registry a writable directory with {_NEW_HOME}"
            )
        elif exc.errno in (errno.EACCES, errno.EPERM):
            fix = (
                f"this user may not write in {place!r} ({outcome}); grant it write access "
                f"there, or give a new registry a writable directory with {_NEW_HOME}"
            )
        else:
            fix = f"{exc.strerror or exc} in {place!r} ({outcome}); check the disk and run it again"
        return cls(exc.errno or 0, f"cannot {doing}: {fix}.")

    def __str__(self) -> str:
        return str(self.strerror)

    def led_by(self, *lead: str | Fix) -> MlopsError:
        return StorageError(self.errno, spell((*lead, str(self)), Face.PYTHON))


# where a new registry's files go: an existing one's stay where it was made
_NEW_HOME = "MLOPS_HOME (a shared registry: MLOPS_DATA_PATH)"


class BucketError(StorageError):
    """Object storage could not do it: the bucket is missing, the credentials are refused,
    or its endpoint does not answer. `problem` says what (naming the bucket, never a
    secret), `fix` how to mend it, `reason` the same in words naming neither."""

    def __init__(self, errno_: int | None, problem: str, fix: str, reason: str) -> None:
        super().__init__(errno_, f"{problem}; {fix}.")
        self.problem, self.fix, self.reason = problem, fix, reason


def plain_reason(error: Exception) -> str:
    """Why a write failed, in words naming no path (`the disk is full`)."""
    if isinstance(error, BucketError):
        return error.reason
    number = getattr(error, "errno", None)
    if number in (errno.ENOSPC, errno.EDQUOT):
        return "the disk is full"
    if number == errno.EROFS:
        return "the file system is read-only"
    if number in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if isinstance(number, int) and number:
        return os.strerror(number).lower()
    return f"an unexpected {type(error).__name__}"


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """A ' (did you mean X?)' suffix for an unknown name, or '' when nothing is close;
    compared in any case, so `CHURN` finds `churn`."""
    spelled: dict[str, str] = {}
    for choice in choices:
        spelled.setdefault(choice.casefold(), choice)
    close = difflib.get_close_matches(str(name).casefold(), list(spelled), n=1, cutoff=0.6)
    return f" (did you mean {spelled[close[0]]!r}?)" if close else ""
