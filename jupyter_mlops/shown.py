"""A result as one face shows it: the notes it holds spelled as that face's users type.

A result's notes hold their fixes as data (`errors.Note`), and the result carries the face
it is shown in (`face`, Python unless a face says otherwise), which its text, HTML and
`to_dict()` spell them for. A face calls `shown_in` on whatever it is about to show; a
result holding no notes comes back as it was, one that does comes back as a copy set to
that face, with every record it holds (a check's drift report, a table's rows) set too.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Iterable
from typing import Any, TypeVar

from jupyter_mlops.errors import Face, spell

T = TypeVar("T")


def shown_in(result: T, face: Face) -> T:
    """`result` with its notes, and those of the records it holds, spelled for `face`."""
    if isinstance(result, list):
        return _table(result, face)  # type: ignore[return-value]
    if not isinstance(getattr(result, "face", None), Face):
        return result
    if dataclasses.is_dataclass(result) and not isinstance(result, type):
        held = {
            f.name: shown_in(getattr(result, f.name), face)
            for f in dataclasses.fields(result)
            if f.init and f.name != "face"
        }
        changed = {k: v for k, v in held.items() if v is not getattr(result, k)}
        return dataclasses.replace(result, face=face, **changed)
    shown: Any = copy.copy(result)
    shown.face = face
    return shown


def _table(rows: list[Any], face: Face) -> list[Any]:
    """A list of records (a `RecordTable`) with each record, and the table, set to `face`."""
    items = [shown_in(item, face) for item in rows]
    faced = isinstance(getattr(rows, "face", None), Face)
    if not faced and all(a is b for a, b in zip(items, rows, strict=True)):
        return rows
    shown: Any = copy.copy(rows)
    shown[:] = items
    if faced:
        shown.face = face
    return shown


def spelled(notes: Iterable[str], face: Face) -> list[str]:
    """Each note as `face` spells it (a plain `str` note as it is)."""
    return [spell((note,), face) for note in notes]
