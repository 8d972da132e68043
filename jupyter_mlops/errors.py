"""Every error the package raises on purpose: one hierarchy, one place.

Each subclasses `MlopsError` and the builtin it resembles, and its message says
what failed, the value, and how to fix it, in one sentence.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class MlopsWarning(UserWarning):
    """A warning from jupyter-mlops (the test-suite turns these into errors)."""


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


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """A ' (did you mean X?)' suffix for an unknown name, or '' when nothing is close."""
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""
