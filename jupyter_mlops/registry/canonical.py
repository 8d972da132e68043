"""skops files written the same way every time: the same fitted model, the same bytes.

skops names its zip members and the `__id__` fields of its schema after the memory
addresses of the objects it saved (`140047617251088.npy`; a random uuid for bytes), and
stamps each member with the time it was written, so one fitted model dumped twice gave two
files with different sha256: a registry stored each copy again, however large. `rewrite`
keeps what skops wrote and changes only names and times: every `__id__` becomes its order
of first appearance in the schema (counting from 1, since skops ignores an id of 0), every
member the schema names becomes its order of first mention (`1.npy`, `2.bin`), and members
are written sorted by name, uncompressed as skops writes them, with one fixed timestamp
(the schema is written without skops' indentation, which nothing reads).
Equal ids stay equal and different ids stay different, so the objects one file shares
between places are shared again when skops loads it.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import Any

SCHEMA = "schema.json"
STAMP = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can carry


def rewrite(data: bytes, *, extra: Mapping[str, bytes] | None = None) -> bytes:
    """The skops file `data` with names and times that depend only on its content, plus the
    members of `extra` (name -> bytes)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names: dict[str, str] = {}
        schema = _renumber(json.loads(archive.read(SCHEMA)), ids={}, names=names)
        # compact: skops indents it, but the indenting encoder is pure Python and ten times slower
        members = {SCHEMA: json.dumps(schema, separators=(",", ":")).encode()}
        for name in archive.namelist():
            if name != SCHEMA:  # a member the schema does not name keeps its own name
                members[names.get(name, name)] = archive.read(name)
    members.update(extra or {})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as written:
        for name in sorted(members):
            entry = zipfile.ZipInfo(name, date_time=STAMP)
            entry.external_attr = 0o644 << 16  # a regular file, the same on every machine
            written.writestr(entry, members[name])
    return buffer.getvalue()


def _renumber(node: Any, *, ids: dict[int, int], names: dict[str, str]) -> Any:
    """`node` (a part of the schema) with ids and member names in order of appearance."""
    if isinstance(node, list):
        return [_renumber(item, ids=ids, names=names) for item in node]
    if not isinstance(node, dict):
        return node
    renamed: dict[str, Any] = {}
    for key, value in node.items():
        if key == "__id__" and isinstance(value, int) and not isinstance(value, bool):
            renamed[key] = ids.setdefault(value, len(ids) + 1)
        elif key == "file" and isinstance(value, str):
            suffix = PurePosixPath(value).suffix
            renamed[key] = names.setdefault(value, f"{len(names) + 1}{suffix}")
        else:
            renamed[key] = _renumber(value, ids=ids, names=names)
    return renamed
