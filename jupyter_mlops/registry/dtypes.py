"""Rows given to a model in the dtypes it was fitted on, whatever the source.

Parquet files and the prediction log arrive Arrow-backed, and a user's frame may hold
pandas' nullable dtypes: either way a missing value is `pd.NA`, which most models cannot
take (`TypeError: boolean value of NA is ambiguous`). Each column the version's recorded
schema names is turned into what pandas gives by default (NaN for a missing number, a
missing text or time as pandas reads it from Parquet) and then into the recorded dtype,
where that keeps every value and every missing one. The model sees the same frame
whether the rows came from a DataFrame or from a file.

A boolean input given as text or numbers is read by `profiling.dtypes.as_booleans`, as drift
compares it: "false" and 0 are False, never True for being a non-empty text or a number.
Scoring and logging (`booleans_read`) refuse any other value in one sentence, so only
booleans reach the model and the prediction log.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from jupyter_mlops.errors import InvalidArgumentError
from jupyter_mlops.profiling.dtypes import as_booleans, first_not_boolean

BOOL_DTYPES = ("bool", "boolean")  # a schema's dtypes of a boolean input


def as_trained(frame: pd.DataFrame, schema: list[dict[str, Any]] | None) -> pd.DataFrame:
    """`frame` with each column the schema records in the dtype it was fitted on (other
    columns, and a frame without a schema, as they are)."""
    recorded = {str(c["name"]): str(c["dtype"]) for c in schema or [] if c.get("dtype")}
    converted = {
        name: _cast(frame[name], recorded[str(name)])
        for name in frame.columns
        if str(name) in recorded and str(frame[name].dtype) != recorded[str(name)]
    }
    return _replaced(frame, converted)


def booleans_read(
    frame: pd.DataFrame, schema: list[dict[str, Any]] | None, *, what: str
) -> pd.DataFrame:
    """`frame` with each input the schema records as boolean holding booleans (text and
    numbers read by `as_booleans`); refused, naming the column and the value, when one
    reads as neither true nor false."""
    boolean = {str(c["name"]) for c in schema or [] if str(c.get("dtype")) in BOOL_DTYPES}
    converted = {}
    for name in frame.columns:
        series = frame[name]
        if str(name) not in boolean or pd.api.types.is_bool_dtype(series.dtype):
            continue
        values = as_booleans(series)
        if values is None:
            row, value = first_not_boolean(series) or (0, None)
            raise InvalidArgumentError(
                f"column {name!r} of {what} is boolean, but row {row} holds {value!r}, which "
                "reads as neither true nor false; give True or False (or the text 'true', "
                "'false', '1' or '0', or the numbers 1 and 0)."
            )
        converted[name] = values
    return _replaced(frame, converted)


def _replaced(frame: pd.DataFrame, columns: dict[Any, pd.Series]) -> pd.DataFrame:
    """`frame` with `columns` in place of its own (the caller's frame left as it is)."""
    if not columns:
        return frame
    frame = frame.copy(deep=False)
    for name, series in columns.items():
        frame[name] = series
    return frame


def plain(series: pd.Series) -> pd.Series:
    """A column with `pd.NA` for missing (Arrow-backed, nullable Int64, boolean, string) as
    pandas reads it from Parquet by default: numbers as float64 with NaN, booleans with a
    missing value as objects, text as pandas' default string dtype."""
    if getattr(series.dtype, "na_value", None) is not pd.NA:
        return series
    import pyarrow as pa

    values = pa.array(series, from_pandas=True).to_pandas().set_axis(series.index)
    values.name = series.name
    return values


def _cast(series: pd.Series, dtype: str) -> pd.Series:
    """The column in `dtype` when the cast keeps its values and its missing ones, else
    as `plain` gives it."""
    values = plain(series)
    try:
        if pd.api.types.is_datetime64_any_dtype(values) and "datetime64" in dtype:
            return _times(values, dtype)
        if dtype in BOOL_DTYPES and not pd.api.types.is_bool_dtype(values.dtype):
            read = as_booleans(values)  # not Python's truth: "false" is no True
            if read is None:
                return values
            values = plain(read)
        cast = values.astype(pd.api.types.pandas_dtype(dtype))
    except (TypeError, ValueError):
        return values
    return cast if cast.isna().equals(values.isna()) else values


def _times(values: pd.Series, dtype: str) -> pd.Series:
    """Times in the recorded zone; a time without one is UTC (and a zone becomes UTC)."""
    utc = pd.to_datetime(values, utc=True)
    target = pd.api.types.pandas_dtype(dtype)
    zone = getattr(target, "tz", None)
    return (utc.dt.tz_convert(zone) if zone else utc.dt.tz_localize(None)).astype(target)
