"""Points in time as numbers: drift of a datetime feature is measured on epoch seconds.

A datetime column (naive, read as UTC; aware, in any zone; NumPy or Arrow-backed; of any
unit) becomes float seconds since 1970-01-01 UTC, missing as NaN, so it is binned and
tested like any number, and a shift can be told in days, hours or minutes.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

PER_SECOND = {"s": 1.0, "ms": 1e3, "us": 1e6, "ns": 1e9}
UNITS = (("days", 86_400.0), ("hours", 3_600.0), ("minutes", 60.0), ("seconds", 1.0))


def is_datetime(dtype: Any) -> bool:
    return bool(pd.api.types.is_datetime64_any_dtype(dtype))


def epoch_seconds(series: pd.Series) -> np.ndarray:
    """Float64 seconds since the epoch (UTC), NaN where missing."""
    instants = pd.to_datetime(series, utc=True).dt.tz_localize(None).to_numpy()
    unit, step = np.datetime_data(instants.dtype)  # pandas keeps s, ms, us or ns
    seconds = instants.view("int64").astype("float64") * (step / PER_SECOND[unit])
    seconds[np.isnat(instants)] = np.nan
    return seconds


def duration(seconds: float) -> str:
    """A signed span in the largest unit it holds at least twice: `+548 days`, `-3 hours`."""
    size = abs(seconds)
    name, length = next(((n, s) for n, s in UNITS if size >= 2 * s), UNITS[-1])
    amount = seconds / length
    if abs(amount) >= 10:
        shown = f"{amount:+.0f}"
    else:  # a moment's move under a tenth of a second: its first digit, never "+0.0"
        shown = f"{amount:+.1f}" if abs(amount) >= 0.05 or not amount else f"{amount:+.1g}"
    return f"{shown} {name}"
