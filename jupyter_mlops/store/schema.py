"""The registry's schema as a shared (DuckLake) catalog takes it.

DuckLake keeps NOT NULL constraints only: no sequence, primary key or `DEFAULT nextval`.
The migrations are written once, for the registry file; each statement is translated here
for the catalog. What those constraints guard in the file is kept another way there: writers
take turns (`lake.py`) and every id is given explicitly (`catalog.next_id`).
"""

from __future__ import annotations

import re

_SEQUENCE = re.compile(r"^\s*CREATE SEQUENCE\b", re.IGNORECASE)
_NEXTVAL = re.compile(r"\s+DEFAULT\s+nextval\('[^']*'\)", re.IGNORECASE)
_TABLE_KEY = re.compile(r",\s*PRIMARY KEY\s*\([^)]*\)", re.IGNORECASE)
_COLUMN_KEY = re.compile(r"\s+PRIMARY KEY\b", re.IGNORECASE)


def for_lake(statement: str) -> str | None:
    """`statement` as a DuckLake catalog takes it, or None when it has no place there."""
    if _SEQUENCE.match(statement):
        return None
    return _COLUMN_KEY.sub("", _TABLE_KEY.sub("", _NEXTVAL.sub("", statement)))
