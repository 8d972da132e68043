"""Current columns read with the types they were registered with, and the changes named.

A column whose type changed between training and production (an integer category
arriving as floats, a boolean arriving as 0/1 or as the text 'true'/'false', numbers
or datetimes arriving as text) is not drift: values that are equal under the registered
type are converted to it before they are compared, and the change itself is reported
as a schema finding. Values that are not equal under it (1.5 for an integer) are
compared as they arrived, so they show as unseen or refused, and the finding says so.
A numeric feature is compared as numbers whatever it arrives as, so an integer feature
arriving as floats (or a float one as integers) needs no conversion, yet it is named
all the same: every column whose type differs from the registered one is a finding.

A column with no value at all (every row None or NaN, whatever its dtype) has no type to
tell: it is read as the reference's kind, all missing, with no finding; its `missing`
share is 1.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from jupyter_mlops.monitoring.columns import Columns
from jupyter_mlops.profiling.dtypes import as_booleans, value_type
from jupyter_mlops.profiling.instants import is_datetime

WHOLE = re.compile(r"[+-]?\d+")


@dataclass(frozen=True)
class TypeChange:
    """A feature whose values arrived as another type than the one registered."""

    feature: str
    registered: str
    arrived: str
    converted: bool

    @property
    def text(self) -> str:
        how = (
            f"compared as {self.registered} values"
            if self.converted
            else f"compared as they arrived (they are not all equal to {_a(self.registered)} value)"
        )
        was = f"{self.feature!r} was registered as {self.registered}"
        return f"{was}, arrived as {self.arrived}: {how}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "feature": self.feature,
            "registered": self.registered,
            "arrived": self.arrived,
            "converted": self.converted,
        }


def _a(word: str) -> str:
    """`word` after its indefinite article: "an integer", "a float"."""
    return f"{'an' if word[:1] in 'aeiou' else 'a'} {word}"


def registered_type(entry: dict[str, Any], dtype: str | None) -> str | None:
    """The type a profiled feature was registered with (older profiles: from the schema's
    dtype, and for text or categories from the values the reference listed)."""
    stats = entry["stats"]
    if "type" in stats:
        return str(stats["type"])
    try:
        found = pd.api.types.pandas_dtype(dtype) if dtype else None
    except (TypeError, ValueError):
        found = None
    if (
        found is not None
        and found is not np.dtype(object)
        and not isinstance(found, pd.CategoricalDtype)
    ):
        known = value_type(pd.Series([], dtype=found))
        if known != "text":
            return known
    keys = [key for key in stats.get("counts", {}) if not key.startswith("__")]
    if not keys:
        return None
    if set(keys) <= {"True", "False"}:
        return "boolean"
    return "integer" if all(WHOLE.fullmatch(key) for key in keys) else "text"


def conform(
    entries: list[dict[str, Any]], columns: Columns, schema: list[dict[str, Any]] | None
) -> tuple[Columns, list[TypeChange]]:
    """`columns` with each changed feature converted to its registered type where its values
    allow, and the changes found."""
    dtypes = {str(c["name"]): str(c["dtype"]) for c in schema or []}
    changes, converted = [], {}
    for entry in entries:
        name = entry["feature"]
        if name not in columns.names:
            continue
        series = columns.frame[name]
        if not series.notna().any():
            if (blank := _blank(series, entry["kind"])) is not None:
                converted[name] = blank
            continue
        registered = registered_type(entry, dtypes.get(name))
        arrived = value_type(series)
        if registered is None or arrived is None or registered == arrived:
            continue
        if _numbers(registered, arrived, entry["kind"]):  # compared as numbers either way
            changes.append(TypeChange(name, registered, arrived, _lossless(series, registered)))
            continue
        values = _converted(series, registered, arrived)
        if values is not None:
            converted[name] = values
        changes.append(TypeChange(name, registered, arrived, values is not None))
    return (columns.replaced(converted) if converted else columns), changes


def _blank(series: pd.Series, kind: str) -> pd.Series | None:
    """A column without a value as an all-missing column of the reference's `kind` (None
    when it is one already, or the kind takes any dtype)."""
    if kind == "numeric" and not (
        pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series)
    ):
        return pd.Series(np.nan, index=series.index, dtype="float64")
    if kind == "datetime" and not is_datetime(series.dtype):
        return pd.Series(pd.NaT, index=series.index, dtype="datetime64[ns]")
    return None


def _numbers(registered: str, arrived: str, kind: str) -> bool:
    return kind == "numeric" and {registered, arrived} <= {"integer", "float"}


def _lossless(series: pd.Series, registered: str) -> bool:
    """Whether every value of a numeric `series` equals a `registered` value."""
    present = series.dropna()
    return registered == "float" or bool((present == present.round()).all())


def _converted(series: pd.Series, registered: str, arrived: str) -> pd.Series | None:
    """`series` as `registered` values, or None when some value is not equal to one."""
    present = series.dropna()
    if registered == "boolean":
        return as_booleans(series) if arrived in ("integer", "float", "text") else None
    if registered == "integer" and arrived == "float":
        return series.astype("Int64") if (present == present.round()).all() else None
    whole = arrived == "text" and present.astype(str).str.fullmatch(WHOLE.pattern).all()
    if registered == "integer" and whole:
        return pd.to_numeric(series).astype("Int64")
    if registered in ("integer", "float") and arrived in ("text", "boolean"):
        numbers = pd.to_numeric(series, errors="coerce")
        return numbers.astype("float64") if numbers.notna().sum() == len(present) else None
    if registered == "datetime" and arrived == "text":
        instants = pd.to_datetime(series, utc=True, errors="coerce", format="mixed")
        return instants if instants.notna().sum() == len(present) else None
    return None
