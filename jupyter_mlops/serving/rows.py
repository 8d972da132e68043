"""A request's rows checked against the version's signature, and the frame a batch makes.

Rows arrive as records (`[{"age": 41, ...}, ...]`) or columns (`{"age": [41, ...]}`).
Every value is checked against the kind of its column, and nothing is converted between
kinds, so the model and the prediction log see exactly one type per column:

- a number column takes JSON numbers and null; they become one float matrix (null
  becomes NaN: a missing value, the model decides);
- a text column takes JSON strings and null, kept as Python objects; a number or a
  boolean there is refused, not turned into text ("5", "5.0" and "05" are different
  categories, and the server will not pick one for the client);
- a boolean column (registered with a bool dtype) takes true, false and null.

Anything else (a number beyond a float, an array or object in a cell, missing or extra
columns, more than `MAX_ROWS` rows, a body with both records and columns) is
`Unprocessable` (422), naming the field (every missing and extra column, up to 20 of
each, worded as `registry.signature` words it for every face). The checks run over whole
columns at C speed; only a failing request is walked value by value, to name the culprit.
When the model itself refuses rows that passed (a null it cannot take), `culprit` names
the field.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import chain
from operator import itemgetter
from typing import Any

import numpy as np
import pandas as pd

from jupyter_mlops.errors import Unprocessable
from jupyter_mlops.registry.signature import described_mismatch, mismatch
from jupyter_mlops.serving.validation import BOOLEAN, TEXT, Column, described

MAX_ROWS = 10_000
NUMBER_TYPES = frozenset({int, float, type(None)})
OTHER_TYPES = {TEXT: frozenset({str, type(None)}), BOOLEAN: frozenset({bool, type(None)})}
WANTED = {TEXT: "text", BOOLEAN: "true, false"}


@dataclass(frozen=True)
class Rows:
    """The checked rows of one request."""

    numbers: np.ndarray  # (rows, numeric columns of the signature), float
    texts: dict[str, np.ndarray]  # text or boolean column -> its values
    count: int


def rows_of(payload: Any, columns: list[Column]) -> Rows:
    """The rows of a parsed body, checked against the signature."""
    shapes = {"records", "columns"} & set(payload) if isinstance(payload, dict) else set()
    if len(shapes) != 1:
        raise Unprocessable(
            'the body must be an object with either "records" (an array of objects) or '
            '"columns" (an object of arrays)' + (", not both." if len(shapes) > 1 else "."),
            field="body",
        )
    numeric = [c for c in columns if c.numeric]
    text = [c for c in columns if not c.numeric]
    if "records" in payload:
        records = _records(payload["records"], [c.name for c in columns])
        count = len(records)
        _limit(count)
        by_row = list(map(_picker([c.name for c in numeric]), records))
        numbers = _numbers(by_row, numeric, by_row=True)
        texts = {c.name: _texts([record[c.name] for record in records], c) for c in text}
    else:
        given = _columns(payload["columns"], [c.name for c in columns])
        count = len(next(iter(given.values())))
        _limit(count)
        numbers = _numbers([given[c.name] for c in numeric], numeric, by_row=False)
        texts = {c.name: _texts(given[c.name], c) for c in text}
    return Rows(numbers.reshape(count, len(numeric)), texts, count)


def combined(rows: list[Rows]) -> Rows:
    """The rows of several requests as one."""
    if len(rows) == 1:
        return rows[0]
    texts = {name: np.concatenate([r.texts[name] for r in rows]) for name in rows[0].texts}
    return Rows(np.concatenate([r.numbers for r in rows]), texts, sum(r.count for r in rows))


def inputs_of(rows: Rows, columns: list[Column]) -> dict[str, np.ndarray]:
    """One array per signature column, in its order."""
    numeric = iter(range(rows.numbers.shape[1]))
    return {
        c.name: rows.numbers[:, next(numeric)] if c.numeric else rows.texts[c.name] for c in columns
    }


def frame_of(rows: Rows, columns: list[Column]) -> pd.DataFrame:
    """The DataFrame the model is called with.

    Column names as plain Python strings (an object index): scikit-learn checks them on
    every call, and the check costs a quarter of a small prediction on pandas' Arrow-backed
    string index.
    """
    names = pd.Index([c.name for c in columns], dtype=object)
    if not rows.texts:  # numbers only: one block, the fast way to a frame
        return pd.DataFrame(rows.numbers, columns=names)
    frame = pd.DataFrame(inputs_of(rows, columns))
    frame.columns = names
    return frame


def culprit(rows: Rows, columns: list[Column], reason: str) -> tuple[str, int, Any] | None:
    """Where the model most likely refused rows that passed every check, as (column, row,
    value): the first null in signature order (the model may not take missing values),
    else the first text the model's message quotes; None when neither is found."""
    by_name = inputs_of(rows, columns)
    for column in columns:
        missing = np.flatnonzero(pd.isna(by_name[column.name]))
        if len(missing):
            return column.name, int(missing[0]), None
    for column in (c for c in columns if not c.numeric):
        for row, value in enumerate(by_name[column.name].tolist()):
            if isinstance(value, str) and value and repr(value) in reason:
                return column.name, row, value
    return None


def _limit(count: int) -> None:
    if count > MAX_ROWS:
        raise Unprocessable(f"{count} rows is more than {MAX_ROWS} a request; split it.")


def _records(records: Any, names: list[str]) -> list[dict[str, Any]]:
    if not isinstance(records, list) or not records:
        raise Unprocessable('"records" must be a non-empty array of objects.', field="records")
    expected = set(names)
    for position, record in enumerate(records):
        if not isinstance(record, dict):
            raise Unprocessable('every entry of "records" must be an object.', field="records")
        if record.keys() != expected:
            _refuse_names(record.keys(), names, position=position if len(records) > 1 else None)
    return records


def _columns(columns: Any, names: list[str]) -> dict[str, list[Any]]:
    if not isinstance(columns, dict) or not columns:
        raise Unprocessable('"columns" must be a non-empty object of arrays.', field="columns")
    for name, values in columns.items():
        if not isinstance(values, list):
            raise Unprocessable(
                f"column {name!r} must be an array; it is {described(values)}.", field=name
            )
    lengths = {len(values) for values in columns.values()}
    if len(lengths) != 1 or 0 in lengths:
        raise Unprocessable("the columns must be non-empty arrays of one length.", field="columns")
    if columns.keys() != set(names):
        _refuse_names(columns.keys(), names, position=None)
    return columns


def _refuse_names(given: Any, names: list[str], *, position: int | None) -> None:
    """A 422 naming every missing and every unexpected column (up to `LISTED` of each)."""
    missing, extra = mismatch(given, names)
    where = f"row {position}: " if position is not None else ""
    raise Unprocessable(
        f"{where}{described_mismatch(missing, extra)}; send exactly the model's inputs (GET "
        "/metadata lists them).",
        field=(missing or extra)[0],
    )


def _picker(names: list[str]) -> Callable[[dict[str, Any]], Sequence[Any]]:
    """A record's values of `names`, in order, as a tuple."""
    if len(names) == 1:
        name = names[0]
        return lambda record: (record[name],)
    if not names:
        return lambda record: ()
    return itemgetter(*names)


def _numbers(lists: list[Sequence[Any]], columns: list[Column], *, by_row: bool) -> np.ndarray:
    """The numeric values as floats, (rows, columns); `lists` are rows or columns."""
    if not set(map(type, chain.from_iterable(lists))) <= NUMBER_TYPES:
        _refuse_kind(lists, columns, by_row=by_row)
    try:
        matrix = np.array(lists, dtype=float)
    except OverflowError:  # an integer beyond any float
        matrix = np.array([[_float_or_inf(v) for v in values] for values in lists], dtype=float)
    finite = np.isfinite(matrix)
    if not finite.all():
        finite |= np.array([[v is None for v in values] for values in lists], dtype=bool)
        if not finite.all():
            first, second = (int(i) for i in np.argwhere(~finite)[0])
            row, where = (first, second) if by_row else (second, first)
            name = columns[where].name
            raise Unprocessable(
                f"column {name!r} takes numbers or null; row {row} has a number beyond a float.",
                field=name,
            )
    return matrix if by_row else matrix.T


def _refuse_kind(lists: list[Sequence[Any]], columns: list[Column], *, by_row: bool) -> None:
    for first, values in enumerate(lists):
        for second, value in enumerate(values):
            if type(value) not in NUMBER_TYPES:
                row, where = (first, second) if by_row else (second, first)
                name = columns[where].name
                raise Unprocessable(
                    f"column {name!r} takes numbers or null; row {row} has {described(value)}.",
                    field=name,
                )


def _float_or_inf(value: Any) -> float:
    try:
        return math.nan if value is None else float(value)
    except OverflowError:
        return math.inf


def _texts(values: list[Any], column: Column) -> np.ndarray:
    """The values of a text or boolean column; booleans without nulls as a bool array."""
    allowed = OTHER_TYPES[column.kind]
    found = set(map(type, values))
    if not found <= allowed:
        position, value = next((i, v) for i, v in enumerate(values) if type(v) not in allowed)
        raise Unprocessable(
            f"column {column.name!r} takes {WANTED[column.kind]} or null; row {position} has "
            f"{described(value)}.",
            field=column.name,
        )
    if column.kind == BOOLEAN and type(None) not in found:
        return np.array(values, dtype=bool)
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array
