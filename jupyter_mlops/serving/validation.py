"""Request bodies checked against a version's signature before the model sees them.

A body is JSON: `{"records": [{"age": 41, ...}, ...]}` or `{"columns": {"age": [41, ...]}}`.
Malformed JSON (NaN and Infinity included, nesting past 64 levels) is a `BadRequest`
(400); a body that is JSON but not what the model takes (a missing or extra column, a
string where a number goes, a number too large for a float, too many rows) is an
`Unprocessable` (422) naming the field. Nothing here raises anything else.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

MAX_ROWS = 10_000
MAX_DEPTH = 64
MAX_BYTES = 32 * 2**20


class RequestError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class BadRequest(RequestError):
    pass


class Unprocessable(RequestError):
    status = 422
    code = "unprocessable"


class TooLarge(RequestError):
    status = 413
    code = "too_large"


@dataclass(frozen=True)
class Column:
    name: str
    numeric: bool
    nullable: bool


def signature(schema: list[dict[str, Any]] | None) -> list[Column]:
    """The columns a version takes, from the schema recorded at registration."""
    columns = []
    for entry in schema or []:
        dtype = str(entry.get("dtype", ""))
        numeric = dtype.startswith(("int", "uint", "float", "Int", "UInt", "Float"))
        columns.append(Column(str(entry["name"]), numeric, bool(entry.get("nulls"))))
    return columns


def parse_body(body: bytes) -> Any:
    """JSON, strictly: no NaN or Infinity, bounded nesting."""
    if not body:
        raise BadRequest("the request body is empty; send JSON with records or columns.")
    if len(body) > MAX_BYTES:
        raise TooLarge(f"the body is over {MAX_BYTES // 2**20} MB; send fewer rows a request.")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("the request body is not UTF-8 text; send JSON.") from None
    if _too_deep(text):
        raise BadRequest(f"the JSON nests deeper than {MAX_DEPTH} levels; send flat records.")
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as exc:
        raise BadRequest(f"the request body is not valid JSON ({exc}).") from None


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def _too_deep(text: str) -> bool:
    depth = 0
    for char in text:
        if char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return True
        elif char in "]}":
            depth -= 1
    return False


def frame_of(payload: Any, columns: list[Column]) -> pd.DataFrame:
    """The rows of a parsed body as a DataFrame in the signature's column order."""
    if not isinstance(payload, dict) or not ({"records", "columns"} & set(payload)):
        raise Unprocessable(
            'the body must be an object with "records" (a list of objects) or "columns" '
            "(an object of lists).",
            field="body",
        )
    if "records" in payload:
        frame = _from_records(payload["records"])
    else:
        frame = _from_columns(payload["columns"])
    if len(frame) > MAX_ROWS:
        raise Unprocessable(f"{len(frame)} rows is more than {MAX_ROWS} a request; split it.")
    names = [c.name for c in columns]
    missing = [name for name in names if name not in frame.columns]
    if missing:
        raise Unprocessable(f"column {missing[0]!r} is missing.", field=missing[0])
    extra = [name for name in frame.columns if name not in names]
    if extra:
        raise Unprocessable(f"column {extra[0]!r} is not an input of this model.", field=extra[0])
    return pd.DataFrame({c.name: _checked(frame[c.name], c) for c in columns})


def _from_records(records: Any) -> pd.DataFrame:
    if not isinstance(records, list) or not records:
        raise Unprocessable('"records" must be a non-empty list of objects.', field="records")
    if not all(isinstance(record, dict) for record in records):
        raise Unprocessable('every entry of "records" must be an object.', field="records")
    names: dict[str, None] = {}
    for record in records:
        names.update(dict.fromkeys(record))
    return pd.DataFrame({name: [record.get(name, _ABSENT) for record in records] for name in names})


def _from_columns(columns: Any) -> pd.DataFrame:
    if not isinstance(columns, dict) or not columns:
        raise Unprocessable('"columns" must be a non-empty object of lists.', field="columns")
    lengths = set()
    for name, values in columns.items():
        if not isinstance(values, list):
            raise Unprocessable(f"column {name!r} must be a list.", field=name)
        lengths.add(len(values))
    if len(lengths) != 1 or 0 in lengths:
        raise Unprocessable("the columns must be non-empty lists of one length.", field="columns")
    return pd.DataFrame({name: pd.Series(values, dtype=object) for name, values in columns.items()})


def _finite(number: int | float) -> bool:
    try:
        return math.isfinite(float(number))
    except OverflowError:  # an integer beyond any float
        return False


class _Absent:
    pass


_ABSENT = _Absent()


def _checked(values: pd.Series, column: Column) -> pd.Series:
    for position, value in enumerate(values):
        if value is _ABSENT:
            raise Unprocessable(f"row {position} lacks column {column.name!r}.", field=column.name)
        if value is None:  # missing: NaN for numbers, None otherwise; the model decides
            continue
        if column.numeric:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise Unprocessable(
                    f"column {column.name!r} takes numbers; row {position} has "
                    f"{type(value).__name__} {str(value)[:40]!r}.",
                    field=column.name,
                )
            if not _finite(value):
                raise Unprocessable(
                    f"column {column.name!r}: row {position} is out of range for a float.",
                    field=column.name,
                )
        elif isinstance(value, dict | list):
            raise Unprocessable(
                f"column {column.name!r} takes a single value; row {position} has a "
                f"{type(value).__name__}.",
                field=column.name,
            )
    if column.numeric:
        return pd.to_numeric(values.where(values.notna(), np.nan), errors="raise").astype(float)
    return values.astype(object).where(values.notna(), None)
