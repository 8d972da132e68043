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
import functools
from collections.abc import Iterable
from datetime import datetime
from typing import Any, TypeVar

from jupyter_mlops.errors import Face, Note, spell

T = TypeVar("T")
# values that hold no record, looked past at once (a `Note` is a type of its own)
PLAIN = frozenset({str, int, float, bool, type(None), dict, datetime})


def shown_in(result: T, face: Face) -> T:
    """`result` with its notes, and those of the records it holds, spelled for `face`."""
    return _shown(result, face, asked=True)


def _shown(value: T, face: Face, *, asked: bool) -> T:
    """`value` set to `face`: when it was asked for, or holds a note (a record that holds
    none reads the same in every face, and is left as it is)."""
    if isinstance(value, list):
        return _table(value, face)  # type: ignore[return-value]
    if not isinstance(getattr(value, "face", None), Face):
        return value
    if not dataclasses.is_dataclass(value) or isinstance(value, type):
        shown: Any = copy.copy(value)
        shown.face = face
        return shown
    held = _fields(type(value))
    changed = {}
    for name in held:
        now = getattr(value, name)
        if type(now) not in PLAIN and (new := _shown(now, face, asked=False)) is not now:
            changed[name] = new
    if asked or changed or any(_noted(getattr(value, name)) for name in held):
        return dataclasses.replace(value, face=face, **changed)
    return value


@functools.cache
def _fields(kind: type) -> tuple[str, ...]:
    """The fields a record of `kind` is made with, its face apart."""
    return tuple(f.name for f in dataclasses.fields(kind) if f.init and f.name != "face")


def _noted(value: Any) -> bool:
    """Whether `value` is a note, or a list holding one."""
    return isinstance(value, Note) or (
        isinstance(value, list) and any(isinstance(item, Note) for item in value)
    )


def _table(rows: list[Any], face: Face) -> list[Any]:
    """A list of records (a `RecordTable`) with each record that holds a note, and the
    table when it holds notes of its own, set to `face`."""
    items = [_shown(item, face, asked=False) for item in rows]
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
