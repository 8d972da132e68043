"""The type a column's values have, told the same way at registration and in production.

A profile records it per feature (`boolean`, `integer`, `float`, `datetime` or `text`), so
a column that arrives later as another type is told apart from drift (see
monitoring/conform.py).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from jupyter_mlops.profiling.instants import is_datetime

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
