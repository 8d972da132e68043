"""Results as JSON takes them: what every result's `to_dict()` is made of.

A REST handler, a widget and a scheduled job read a result as plain data: `jsonable`
turns the values results hold into what `json.dumps(..., allow_nan=False)` writes and
`json.loads` gives back unchanged. A number that is not one (NaN, an infinity: a metric
undefined on its window) is `None`, JSON's null; a time is ISO 8601 text with its offset (the
registry keeps times in UTC without a zone, so a time without one is written as UTC: a
browser would read `2026-11-20T00:00:00` as its own local time); a table is a list of rows,
each a dict by column.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from enum import Enum
from pathlib import PurePath
from typing import Any


def jsonable(value: Any) -> Any:
    """`value` as JSON data: dicts with text keys, lists, text, numbers, booleans, None.

    A value of a type it does not know is a `TypeError` (a result that cannot be written
    as JSON is a bug of ours, found by the test that walks every result)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value) if math.isfinite(value) else None
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict) and not _is_pandas(value):
        return jsonable(to_dict())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return fields_of(value)
    if isinstance(value, Mapping):
        return {_key(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=str) if isinstance(value, (set, frozenset)) else value
        return [jsonable(item) for item in items]
    return _scalar(value)


def fields_of(record: Any, *, leave_out: tuple[str, ...] = ()) -> dict[str, Any]:
    """A dataclass's fields by name, as JSON data; fields marked `json=False` in their
    metadata (a secret, a raw encoded copy) and those in `leave_out` are left out."""
    return {
        f.name: jsonable(getattr(record, f.name))
        for f in dataclasses.fields(record)
        if f.metadata.get("json", True) and f.name not in leave_out
    }


def _scalar(value: Any) -> Any:
    if _is_pandas(value):
        return _pandas(value)
    if isinstance(value, datetime):
        return _utc(value).isoformat()
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Enum):
        return jsonable(value.value)
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, Decimal):
        return jsonable(float(value))
    if isinstance(value, bytes):
        return value.hex()
    item = getattr(value, "item", None)  # a numpy scalar, or a pandas Timestamp's value
    if callable(item) and getattr(value, "ndim", None) == 0:
        return jsonable(item())
    tolist = getattr(value, "tolist", None)  # a numpy array
    if callable(tolist):
        return jsonable(tolist())
    if _missing(value):
        return None
    raise TypeError(f"{type(value).__name__} {value!r} has no JSON form")


def _utc(moment: datetime) -> datetime:
    """A time without a zone read as UTC, as the registry stores every time."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _key(key: Any) -> str:
    return key if isinstance(key, str) else str(jsonable(key))


def _is_pandas(value: Any) -> bool:
    module = type(value).__module__
    return module == "pandas" or module.startswith("pandas.")


def _pandas(value: Any) -> Any:
    import pandas as pd

    if isinstance(value, pd.DataFrame):
        return [
            {_key(column): jsonable(cell) for column, cell in row.items()}
            for row in value.to_dict("records")
        ]
    if isinstance(value, pd.Series):
        return [jsonable(cell) for cell in value.tolist()]
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else _utc(value).isoformat()
    if isinstance(value, pd.Timedelta):
        return None if pd.isna(value) else value.total_seconds()
    if _missing(value):
        return None
    raise TypeError(f"{type(value).__name__} {value!r} has no JSON form")


def _missing(value: Any) -> bool:
    """pd.NA, pd.NaT, numpy's NaT: the missing values that are no number."""
    try:
        import pandas as pd

        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False
