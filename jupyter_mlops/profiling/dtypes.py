"""The type a column's values have, told the same way at registration and in production.

A profile records it per feature (`boolean`, `integer`, `float`, `datetime` or `text`), so
a column that arrives later as another type is told apart from drift (see
monitoring/conform.py).

A boolean column that arrives as text or numbers is read one way wherever it is read
(`as_booleans`): compared by drift, scored and logged, only the spellings below and the
numbers 0 and 1 are booleans; any other value ("yes", "f", 2) is not one, and Python's
truth of a string (every non-empty text is True) never decides.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from jupyter_mlops.profiling.instants import is_datetime

# the text a boolean may arrive as, compared without case or surrounding spaces
BOOLEANS = {"true": True, "false": False, "1": True, "0": False}
INFERRED = {
    "string": "text",
    "boolean": "boolean",
    "integer": "integer",
    "floating": "float",
    "mixed-integer-float": "float",
    "datetime": "datetime",
    "datetime64": "datetime",
}


def value_type(series: pd.Series) -> str | None:
    """`boolean`, `integer`, `float`, `datetime` or `text`; None when there is nothing to tell."""
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return value_type(pd.Series(dtype.categories)) if len(dtype.categories) else None
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if pd.api.types.is_integer_dtype(dtype):
        return "integer"
    if pd.api.types.is_float_dtype(dtype):
        return "float"
    if is_datetime(dtype):
        return "datetime"
    if dtype is np.dtype(object):
        return INFERRED.get(pd.api.types.infer_dtype(series.iloc[:10_000], skipna=True))
    return "text" if pd.api.types.is_string_dtype(dtype) else None


def as_booleans(series: pd.Series) -> pd.Series | None:
    """`series` as nullable booleans (missing values kept missing), or None when a present
    value is neither a boolean, nor 0 or 1, nor text spelling one of `BOOLEANS`."""
    if pd.api.types.is_bool_dtype(series.dtype):
        return series.astype("boolean")
    read = series.map(_boolean, na_action="ignore")
    if read.map(lambda value: value is _NOT, na_action="ignore").any():
        return None
    return read.astype("boolean")


def first_not_boolean(series: pd.Series) -> tuple[int, object] | None:
    """The position and value of the first present value `as_booleans` cannot read."""
    for position, value in enumerate(series.tolist()):
        if not _missing(value) and _boolean(value) is _NOT:
            return position, value
    return None


_NOT = object()  # a value that is no boolean


def _boolean(value: object) -> object:
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, str):
        return BOOLEANS.get(value.strip().lower(), _NOT)
    if isinstance(value, int | float | np.integer | np.floating) and value in (0, 1):
        return bool(value)
    return _NOT


def _missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # a list or an array in a cell is a value
        return False
