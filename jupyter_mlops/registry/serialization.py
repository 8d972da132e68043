"""Turning models into bytes and back without running untrusted code.

The default format is skops. A skops file names every class and function it
needs, and loading imports and calls them; so before anything in a file is
imported, every name skops does not trust on its own must be trusted by default
(`trust.py`: exact names, never module prefixes) or by a person, by exact name:
the registering person (`trust=` when stored; the names are recorded with the
version) or the loading person (`trust=` when loaded). Each load checks the file
again against today's defaults and believes from the record only what
`trust.from_record` allows, so a name an older, laxer version let through is not
trusted merely because it was recorded.

Pickle is possible only when explicitly allowed, is recorded as unsafe, and is
refused on load unless allowed again.
"""

from __future__ import annotations

import io
import pickle
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from jupyter_mlops.errors import UnsafeModelError, UsageError
from jupyter_mlops.registry import trust as policy

SKOPS = "skops"
PICKLE = "pickle"


@dataclass(frozen=True)
class Serialized:
    data: bytes
    encoding: str
    trusted_types: list[str]


def dump(model: Any, *, trust: Iterable[str] = (), allow_pickle: bool = False) -> Serialized:
    """Serialize `model`; refuse names that are neither trusted by default nor in `trust`.

    `trusted_types` lists every name of the file that skops does not trust on its own."""
    import skops.io as skops_io  # imports every scikit-learn estimator: only when needed

    if allow_pickle:
        buffer = io.BytesIO()
        pickle.dump(model, buffer, protocol=pickle.HIGHEST_PROTOCOL)
        return Serialized(buffer.getvalue(), PICKLE, [])
    try:
        data = skops_io.dumps(model)
    except Exception as exc:
        raise UnsafeModelError(
            f"{type(model).__name__} cannot be stored safely with skops ({exc}); "
            "pass allow_pickle=True (--allow-pickle) only if you trust everyone who will load it."
        ) from exc
    untrusted = sorted(skops_io.get_untrusted_types(data=data))
    _check(untrusted, granted=set(trust), subject="the model")
    return Serialized(data, SKOPS, untrusted)


def load(
    data: bytes,
    *,
    encoding: str,
    trusted_types: list[str],
    label: str,
    trust: Iterable[str] = (),
    allow_pickle: bool = False,
) -> Any:
    """Rebuild a model from its bytes; nothing in them runs unless every name is trusted
    by default, by the record (as `trust.from_record` allows) or by `trust`."""
    if encoding == PICKLE:
        if not allow_pickle:
            raise UnsafeModelError(
                f"{label} was stored with pickle, which runs arbitrary code when loaded; "
                "pass allow_pickle=True (--allow-pickle) only if you trust who registered it."
            )
        return pickle.loads(data)
    if encoding != SKOPS:
        raise UsageError(f"{label} has unknown format {encoding!r}; upgrade jupyter-mlops.")
    import skops.io as skops_io

    untrusted = _untrusted_types(data, label=label)
    believed = policy.from_record(trusted_types)
    _check(
        untrusted,
        granted=believed | set(trust),
        subject=label,
        disbelieved=set(trusted_types) - believed,
    )
    return skops_io.loads(data, trusted=untrusted)


def _untrusted_types(data: bytes, *, label: str) -> list[str]:
    """The names skops does not trust on its own, read without importing any of them."""
    import skops.io as skops_io

    try:
        return sorted(skops_io.get_untrusted_types(data=data))
    except Exception as exc:  # a damaged or hand-made file: skops' parser says why
        raise UsageError(
            f"{label} is not a skops file this version can read ({type(exc).__name__}: {exc}); "
            "save the model again with skops.io.dump."
        ) from exc


def _check(
    untrusted: list[str],
    *,
    granted: set[str],
    subject: str,
    disbelieved: Iterable[str] = (),
) -> None:
    """Raise, naming each name of `untrusted` that no default and no grant covers."""
    refused = [
        name for name in untrusted if name not in granted and not policy.is_trusted_by_default(name)
    ]
    if not refused:
        return
    one = len(refused) == 1
    it, which = ("it", "which is") if one else ("them", "which are")
    note = ""
    if set(disbelieved) & set(refused):
        note = (
            "; a name inside scikit-learn, NumPy or SciPy trusted at registration must be"
            " trusted again when loading"
        )
    raise UnsafeModelError(
        f"{subject} uses {', '.join(refused)}, {which} not trusted by default (loading imports"
        f" and calls {it}){note}; if you wrote or vetted {it}, pass --trust {' '.join(refused)}"
        f" (trust={refused!r} in Python)."
    )
