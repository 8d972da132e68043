"""Turning models into bytes and back without running untrusted code.

The default format is skops. A skops file names every class and function it
needs, and loading imports and calls them; so before anything in a file is
imported, every name skops does not trust on its own must be trusted by default
(`trust.py`: exact names, never module prefixes) or by a person, by exact name:
the registering person (`trust=` when stored) or the loading person (`trust=`
when loaded).

What the registering person trusted travels inside the artifact: `dump` adds an
entry, `GRANTS`, listing the names that needed a person's trust (the sha256 of
the artifact covers it). Each load works out again, with today's defaults, which
names need a person, and believes the recorded names only when `GRANTS` lists
them; an artifact written before `GRANTS` existed is believed only for names
outside the libraries older versions trusted by prefix (`trust.from_record`),
since those versions recorded such names without anyone choosing them.

A skops file is rewritten before it is returned (`canonical.py`), so the same model
is always the same bytes and equal models share one artifact file.

Pickle is possible only when explicitly allowed, is recorded as unsafe, and is
refused on load unless allowed again.
"""

from __future__ import annotations

import io
import json
import pickle
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from jupyter_mlops.errors import ALLOW_PICKLE, InvalidArgumentError, Option, UnsafeModelError
from jupyter_mlops.registry import canonical
from jupyter_mlops.registry import trust as policy

SKOPS = "skops"
PICKLE = "pickle"
GRANTS = "jupyter-mlops-trust.json"  # skops reads only schema.json and the files it names


@dataclass(frozen=True)
class Serialized:
    data: bytes
    encoding: str
    trusted_types: list[str]


def dump(model: Any, *, trust: str | Iterable[str] = (), allow_pickle: bool = False) -> Serialized:
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
            f"{type(model).__name__} cannot be stored safely with skops ({exc}); pass ",
            ALLOW_PICKLE,
            " only if you trust everyone who will load it.",
        ) from exc
    untrusted = sorted(skops_io.get_untrusted_types(data=data))
    needing = _needing_a_person(untrusted)
    granted = policy.names(trust)
    _refuse([name for name in needing if name not in granted], "the model")
    grants = json.dumps({"trusted_by_name": needing}).encode()
    return Serialized(canonical.rewrite(data, extra={GRANTS: grants}), SKOPS, untrusted)


def load(
    data: bytes,
    *,
    encoding: str,
    trusted_types: list[str],
    label: str,
    trust: str | Iterable[str] = (),
    allow_pickle: bool = False,
) -> Any:
    """Rebuild a model from its bytes; nothing in them runs unless every name is trusted
    by default, by its registering person (see the module docstring) or by `trust`."""
    if encoding == PICKLE:
        if not allow_pickle:
            raise UnsafeModelError(
                f"{label} was stored with pickle, which runs arbitrary code when loaded; pass ",
                ALLOW_PICKLE,
                " only if you trust who registered it.",
            )
        try:
            return pickle.loads(data)
        except Exception as exc:  # a damaged or truncated pickle
            raise InvalidArgumentError(
                f"{label} is not a pickle this version can read ({brief(exc)}); "
                "save the model again with pickle.dump."
            ) from exc
    if encoding != SKOPS:
        raise InvalidArgumentError(
            f"{label} has unknown format {encoding!r}; upgrade jupyter-mlops."
        )
    import skops.io as skops_io

    untrusted, grants = _read(data, label=label)
    believed = policy.from_record(trusted_types) if grants is None else set(trusted_types) & grants
    granted = believed | policy.names(trust)
    refused = [name for name in _needing_a_person(untrusted) if name not in granted]
    _refuse(refused, label, recorded=set(trusted_types) & set(refused))
    try:
        return skops_io.loads(data, trusted=untrusted)
    except Exception as exc:  # a name it cannot import as written, a module not installed
        missing = policy.missing_notebook_code(untrusted, label=label)
        if missing:
            raise InvalidArgumentError(missing) from None
        raise InvalidArgumentError(
            f"{label} could not be rebuilt from its skops file ({brief(exc)}); install the "
            "packages it was saved with, or save the model again with skops.io.dump."
        ) from exc


def encoding_of(data: bytes, *, suffix: str = "") -> str:
    """The format of a model file, by its content: a zip holding `schema.json` is skops,
    anything else a pickle; a `.skops` file is read as skops, so a damaged one says so."""
    if suffix == ".skops" or _is_skops(data):
        return SKOPS
    return PICKLE


def looks_like_pickle(data: bytes) -> bool:
    """Whether `data` starts as pickle protocols 2 to 5 (and joblib's plain files) do."""
    return len(data) > 1 and data[0] == 0x80 and 2 <= data[1] <= 5


def _is_skops(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "schema.json" in archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return False


def brief(exc: BaseException, *, limit: int = 100) -> str:
    """`Kind: message` of an exception on one line: its first line, cut at a word."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    text = lines[0] if lines else ""
    if len(text) > limit:
        text = text[:limit].rsplit(" ", 1)[0].rstrip(",;:") + " ..."
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _needing_a_person(untrusted: list[str]) -> list[str]:
    return [name for name in untrusted if not policy.is_trusted_by_default(name)]


def _read(data: bytes, *, label: str) -> tuple[list[str], set[str] | None]:
    """The names skops does not trust on its own, read without importing any of them, and
    the names the registering person trusted (None when the artifact predates `GRANTS`)."""
    import skops.io as skops_io

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            stored = archive.read(GRANTS) if GRANTS in archive.namelist() else None
        grants = None if stored is None else set(json.loads(stored)["trusted_by_name"])
        return sorted(skops_io.get_untrusted_types(data=data)), grants
    except Exception as exc:  # a damaged or hand-made file: the parser says why
        raise InvalidArgumentError(
            f"{label} is not a skops file this version can read ({brief(exc)}); "
            "save the model again with skops.io.dump."
        ) from exc


def _refuse(refused: list[str], subject: str, *, recorded: Iterable[str] = ()) -> None:
    """Raise, naming each name of `refused`, unless there is none."""
    if not refused:
        return
    it, which = ("it", "which is") if len(refused) == 1 else ("them", "which are")
    note = ""
    if recorded:
        names = ", ".join(sorted(recorded))
        note = f"; the registry recorded {names} as trusted by an older default, not by a person"
    raise UnsafeModelError(
        f"{subject} uses {', '.join(refused)}, {which} not trusted by default (loading imports"
        f" and calls {it}){note}; if you wrote or vetted {it}, pass ",
        Option("trust", python=repr(refused), typed=" ".join(refused)),
        ".",
    )
