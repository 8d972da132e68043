"""Turning models into bytes and back without running untrusted code.

The default format is skops. Types outside scikit-learn, NumPy and SciPy must be
trusted by the person registering the model; the list is recorded, and a load
trusts exactly that list (plus what the loading person adds). Pickle is possible
only when explicitly allowed, is recorded as unsafe, and is refused on load
unless allowed again.
"""

from __future__ import annotations

import io
import pickle
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from jupyter_mlops.errors import UnsafeModelError, UsageError

SKOPS = "skops"
PICKLE = "pickle"
# Types from these libraries are data structures of the libraries themselves
# (tree arrays, predictors), which skops lists as untrusted only by caution.
LIBRARY_PREFIXES = ("sklearn.", "numpy.", "scipy.")
# skops checks the function a partial wraps as a type of its own, so the wrapper adds no trust.
CONTAINERS = ("functools.partial",)


def is_library_type(name: str) -> bool:
    return name.startswith(LIBRARY_PREFIXES) or name in CONTAINERS


@dataclass(frozen=True)
class Serialized:
    data: bytes
    encoding: str
    trusted_types: list[str]


def dump(model: Any, *, trust: Iterable[str] = (), allow_pickle: bool = False) -> Serialized:
    """Serialize `model`; refuse types that are neither library types nor in `trust`."""
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
    granted = set(trust)
    refused = [name for name in untrusted if not is_library_type(name) and name not in granted]
    if refused:
        raise UnsafeModelError(
            f"the model uses types that are not trusted: {', '.join(refused)}; "
            "if you wrote or vetted them, pass trust=[...] (--trust) with these names."
        )
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
    """Rebuild a model from its bytes, trusting only what was recorded and `trust`."""
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

    granted = set(trusted_types) | set(trust)
    untrusted = sorted(skops_io.get_untrusted_types(data=data))
    refused = [name for name in untrusted if name not in granted]
    if refused:
        raise UnsafeModelError(
            f"{label} contains types that were not trusted when it was registered: "
            f"{', '.join(refused)}; pass trust=[...] (--trust) with these names if you vet them."
        )
    return skops_io.loads(data, trusted=untrusted)
