"""The current data a check reads: one column at a time as NumPy values or category counts.

A DataFrame is read as it is (no copy for float columns); Parquet files and the
prediction log are read by DuckDB into Arrow-backed columns first. `check_columns` refuses,
in one sentence, current data a profile cannot be compared with.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from jupyter_mlops.errors import InvalidArgumentError
from jupyter_mlops.profiling.instants import epoch_seconds, is_datetime


class Columns:
    """Named columns of equal length, read as a drift test needs them."""

    def __init__(self, frame: pd.DataFrame, *, label: str = "the current data") -> None:
        if not all(isinstance(name, str) for name in frame.columns):
            frame = frame.rename(columns=str)
        if frame.columns.duplicated().any():
            repeated = sorted(set(frame.columns[frame.columns.duplicated()]))
            raise InvalidArgumentError(
                f"{label} has repeated column names {repeated}; give every column its own name."
            )
        self.frame = frame
        self.label = label

    @property
    def rows(self) -> int:
        return len(self.frame)

    @property
    def names(self) -> list[str]:
        return list(self.frame.columns)

    def is_numeric(self, name: str) -> bool:
        dtype = self.frame[name].dtype
        return pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)

    def is_datetime(self, name: str) -> bool:
        return is_datetime(self.frame[name].dtype)

    def replaced(self, columns: dict[str, pd.Series]) -> Columns:
        """The same columns, some of them replaced (by values of the same length)."""
        return Columns(self.frame.assign(**columns), label=self.label)

    def numeric(self, name: str) -> np.ndarray:
        """Float64 values, missing as NaN (infinities kept); datetimes as epoch seconds."""
        series = self.frame[name]
        if series.dtype == np.float64:
            return series.to_numpy()
        if is_datetime(series.dtype):
            return epoch_seconds(series)
        return series.to_numpy(dtype="float64", na_value=np.nan)

    def categories(self, name: str) -> tuple[dict[str, int], int]:
        """Counts per category (as the text the reference profile used) and the missing count."""
        series = self.frame[name]
        if isinstance(series.dtype, pd.CategoricalDtype):
            codes = series.cat.codes.to_numpy()
            counts = np.bincount(codes[codes >= 0], minlength=len(series.cat.categories))
            labels = [str(value) for value in series.cat.categories]
            return _merge(zip(labels, counts.tolist(), strict=True)), int((codes < 0).sum())
        frequencies = series.value_counts(dropna=True)
        nulls = len(series) - int(frequencies.sum())
        return _merge((str(key), int(count)) for key, count in frequencies.items()), nulls

    def sample(self, rows: int, *, seed: int = 0) -> pd.DataFrame:
        """At most `rows` rows, drawn uniformly without replacement."""
        if self.rows <= rows:
            return self.frame
        chosen = np.sort(np.random.default_rng(seed).choice(self.rows, rows, replace=False))
        return self.frame.take(chosen)


def check_columns(entries: list[dict[str, Any]], columns: Columns, *, what: str) -> list[str]:
    """Refuse current data that cannot be compared; return the extra columns it has."""
    if not columns.rows:
        raise InvalidArgumentError(
            f"{columns.label} has no rows; choose a window with data (or check the time column)."
        )
    names = set(columns.names)
    missing = [e["feature"] for e in entries if e["feature"] not in names]
    if missing:
        raise InvalidArgumentError(
            f"{columns.label} lacks {len(missing)} feature(s) {what} was trained on: "
            f"{', '.join(map(repr, missing[:5]))}; pass data with every training column."
        )
    for entry in entries:
        name = entry["feature"]
        if entry["kind"] == "numeric" and not columns.is_numeric(name):
            dtype = columns.frame[name].dtype
            raise InvalidArgumentError(
                f"column {name!r} is {dtype} in {columns.label} but numeric in the reference; "
                f"convert it (for example with pd.to_numeric) before checking drift."
            )
        if entry["kind"] == "datetime" and not columns.is_datetime(name):
            dtype = columns.frame[name].dtype
            raise InvalidArgumentError(
                f"column {name!r} is {dtype} in {columns.label} but datetimes in the reference; "
                f"convert it (for example with pd.to_datetime) before checking drift."
            )
    profiled = {e["feature"] for e in entries}
    return [name for name in columns.names if name not in profiled]


def _merge(pairs: Any) -> dict[str, int]:
    """Counts keyed by text; values whose text coincides (1 and "1") are added up."""
    merged: dict[str, int] = {}
    for key, count in pairs:
        if count:
            merged[key] = merged.get(key, 0) + count
    return merged
