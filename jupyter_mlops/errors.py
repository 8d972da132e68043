"""Every error the package raises on purpose: one hierarchy, one place.

Each subclasses `MlopsError` and the builtin it resembles, and its message says
what failed, the value, and how to fix it, in one sentence.
"""

from __future__ import annotations

import difflib
import errno
from collections.abc import Iterable
from pathlib import Path


class MlopsWarning(UserWarning):
    """A warning from jupyter-mlops (the test-suite turns these into errors)."""


class NotebookCodeWarning(MlopsWarning):
    """A version holds code defined in a notebook or script (`__main__`): it loads only in a
    process where that code is defined again."""


class MlopsError(Exception):
    """Base class of every error jupyter-mlops raises on purpose."""


class UsageError(MlopsError, ValueError):
    """An argument or value given by the user is not acceptable."""


class NotFoundError(MlopsError, LookupError):
    """Something named by the user does not exist."""


class ModelNotFoundError(NotFoundError):
    """No model has this name."""


class VersionNotFoundError(NotFoundError):
    """The model has no such version."""


class AliasNotFoundError(NotFoundError):
    """The model has no such alias."""


class ConflictError(MlopsError, RuntimeError):
    """The operation contradicts the registry's current state."""


class RegistryBusyError(MlopsError, TimeoutError):
    """Another process held the registry's lock for longer than the deadline."""


class IntegrityError(MlopsError, RuntimeError):
    """Stored bytes do not match what the registry recorded for them."""


class UnsafeModelError(MlopsError, PermissionError):
    """Loading or storing the model would trust code that was not trusted."""


class StorageError(MlopsError, OSError):
    """The disk refused a write: full, read-only, or not ours to write."""

    @classmethod
    def of(
        cls, exc: OSError, where: Path, *, doing: str, outcome: str = "nothing was saved"
    ) -> StorageError:
        """The one-sentence error for `exc`, raised while trying `doing` under `where`."""
        place = str(where)
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            fix = f"the disk under {place!r} is full ({outcome}); free some space and run it again"
        elif exc.errno == errno.EROFS:
            fix = (
                f"{place!r} is on a read-only file system ({outcome}); point MLOPS_HOME at a "
                "writable directory"
            )
        elif exc.errno in (errno.EACCES, errno.EPERM):
            fix = (
                f"this user may not write in {place!r} ({outcome}); fix its permissions or point "
                "MLOPS_HOME at a writable directory"
            )
        else:
            fix = f"{exc.strerror or exc} in {place!r} ({outcome}); check the disk and run it again"
        return cls(exc.errno or 0, f"cannot {doing}: {fix}.")

    def __str__(self) -> str:
        return str(self.strerror)


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """A ' (did you mean X?)' suffix for an unknown name, or '' when nothing is close."""
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""
