"""What makes two stored models the same: a digest of their content, not of their bytes.

skops writes a model as a zip whose member names and `__id__` fields are the memory
addresses of the objects it saved, and whose entries carry the time they were written:
the same fitted model dumped twice gives different bytes. Artifacts are now rewritten so
that they do not (`canonical.py`), but those stored before were not. The digest here
reads past that: every `__id__` becomes its order of first appearance and every member file named
in the schema becomes the sha256 of its content, so equal models give equal digests in
any process, at any time. A pickle is taken as it is.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from typing import Any

SCHEMA = "schema.json"


def model_digest(data: bytes, *, encoding: str) -> str:
    """The sha256 of a stored model's content, equal for equal models."""
    if encoding != "skops":
        return hashlib.sha256(data).hexdigest()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        files = {
            name: hashlib.sha256(archive.read(name)).hexdigest()
            for name in archive.namelist()
            if name != SCHEMA
        }
        schema = json.loads(archive.read(SCHEMA))
    canonical = _canonical(schema, files=files, ids={})
    return hashlib.sha256(json.dumps(canonical, sort_keys=True).encode()).hexdigest()


def _canonical(node: Any, *, files: dict[str, str], ids: dict[Any, int]) -> Any:
    if isinstance(node, list):
        return [_canonical(item, files=files, ids=ids) for item in node]
    if not isinstance(node, dict):
        return node
    canonical: dict[str, Any] = {}
    for key, value in node.items():
        if key == "__id__":
            canonical[key] = ids.setdefault(value, len(ids))
        elif key == "file" and isinstance(value, str) and value in files:
            canonical[key] = files[value]
        else:
            canonical[key] = _canonical(value, files=files, ids=ids)
    return canonical
