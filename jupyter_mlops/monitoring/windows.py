"""Windows over time-stamped rows: fixed spans of time (1h, 1d, 1w) or of row counts.

A row whose time is missing (NaT, None) belongs to no window of time. Every result cut
by time that leaves such rows out says how many (`untimed_notes`), so no row is dropped
without a word; windows of rows keep them, in their place.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from jupyter_mlops.errors import InvalidArgumentError, Option

_SPAN = re.compile(r"\s*([0-9]+)\s*(h|d|w|rows?)\s*", re.IGNORECASE)
_FIRST_MONDAY = pd.Timestamp("1970-01-05")  # weeks start on Mondays
_UNITS = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}
_HOURS = {"h": 1, "d": 24, "w": 24 * 7}
MAX_HOURS = 24 * 36_525  # 100 years: pandas' times end in 2262
MAX_ROWS = 2**62


@dataclass(frozen=True)
class Window:
    """A span of time (`every` set) or a number of consecutive rows (`rows` set)."""

    text: str
    every: timedelta | None = None
    rows: int | None = None
    # a range of dates: rows from `start` up to, not including, `end` (both UTC)
    start: datetime | None = None
    end: datetime | None = None


def parse_window(text: str | int) -> Window:
    """`1h`, `1d`, `7d`, `2w`, or `10000 rows` (an int means rows); a window of 0 in any
    form is refused, never read as no window."""
    if isinstance(text, int) and not isinstance(text, bool):
        count, unit = text, "rows"
    else:
        match = _SPAN.fullmatch(str(text))
        if not match and ".." in str(text):
            raise InvalidArgumentError(
                f"{text!r} is a range of dates, which chooses the rows of one window; here "
                "give a span to cut windows by: 1h, 1d, 7d, 2w or '10000 rows'."
            )
        if not match:
            raise InvalidArgumentError(
                f"cannot read the window {text!r}; write it as 1h, 1d, 7d, 2w or '10000 rows'."
            )
        count, unit = int(match.group(1)), match.group(2).lower()
    if count <= 0:
        raise InvalidArgumentError(
            f"a window of {text!r} is empty; give a positive span: 1h, 1d, 7d, 2w or '10000 rows'."
        )
    if unit.startswith("row"):
        if count > MAX_ROWS:
            raise InvalidArgumentError(
                f"a window of {count} rows is more rows than any log holds; give at most "
                f"{MAX_ROWS:,}, or a span of time such as 7d."
            )
        return Window(f"{count} rows", rows=count)
    if count * _HOURS[unit] > MAX_HOURS:
        raise InvalidArgumentError(
            f"a window of {text!r} is longer than 100 years; give a shorter span such as 7d or 52w."
        )
    return Window(f"{count}{unit}", every=count * _UNITS[unit])


def span_or_range(text: str | int) -> Window:
    """A window as `parse_window` reads it, or a range of dates or times `FROM..TO` (ISO
    8601; a time without a zone is UTC): the rows from FROM up to, not including, TO."""
    if isinstance(text, str) and ".." in text:
        return _date_range(text)
    return parse_window(text)


def _date_range(text: str) -> Window:
    first, _, last = text.partition("..")
    try:
        start, end = (_utc(pd.Timestamp(part.strip())) for part in (first, last))
    except (ValueError, TypeError):
        raise InvalidArgumentError(
            f"cannot read the range {text!r}; write it as FROM..TO, e.g. 2026-11-01..2026-11-08 "
            "(ISO dates or times, UTC)."
        ) from None
    if not start < end:
        raise InvalidArgumentError(
            f"the range {text!r} ends before it starts; write the earlier date first, e.g. "
            f"{end:%Y-%m-%d}..{start:%Y-%m-%d}."
        )
    return Window(f"{start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC", start=start, end=end)


def _utc(moment: pd.Timestamp) -> datetime:
    if pd.isna(moment):
        raise ValueError("not a time")
    stamp = moment.tz_localize("UTC") if moment.tzinfo is None else moment.tz_convert("UTC")
    return stamp.to_pydatetime().replace(tzinfo=None)


def check_last(last: Any) -> int | None:
    """`last`: None (every window) or a positive count of the newest windows; 0 would be
    read as every window, so it is refused as any other count that is not one."""
    if last is None:
        return None
    if isinstance(last, bool) or not isinstance(last, int | np.integer) or not last > 0:
        raise InvalidArgumentError(
            f"{last!r} is not a positive count of the newest windows; give ",
            Option("last", python="3", typed="3"),
            " for the newest three, or leave it out for every window.",
        )
    return int(last)


def assign(times: pd.Series, window: Window) -> pd.DataFrame:
    """Each row's window: a frame of `start` and `end` (times aligned to the Unix epoch, weeks
    to a Monday, or the first and last time of each block of rows) and `block`, in the rows'
    order. Windows are cut in UTC (`utc_times`), so a day starts at midnight UTC everywhere.

    `block` numbers the windows of rows (0 for windows of time): rows logged in one call
    share their time, so several windows of rows can have the same start and end, and are
    told apart by their block only."""
    stamps = utc_times(times).reset_index(drop=True)
    if window.start is not None and window.end is not None:  # a range of dates: one window
        start, end = pd.Timestamp(window.start), pd.Timestamp(window.end)
        return pd.DataFrame({"start": start, "end": end, "block": 0}, index=stamps.index)
    if window.every is not None:
        step = pd.Timedelta(window.every)
        starts = stamps.dt.floor(step) if step <= pd.Timedelta(days=1) else _floor(stamps, step)
        return pd.DataFrame({"start": starts, "end": starts + step, "block": 0})
    block = blocks(len(stamps), window)
    first = stamps.groupby(block).transform("min")
    last = stamps.groupby(block).transform("max")
    return pd.DataFrame({"start": first, "end": last, "block": block})


def blocks(rows: int, window: Window) -> pd.Series:
    """Each of `rows` consecutive rows' window of rows, counted from 0 (all 0 for a window
    of time)."""
    if window.rows is None:
        return pd.Series(np.zeros(rows, dtype=np.int64))
    return pd.Series(np.arange(rows, dtype=np.int64) // window.rows)


def utc_times(times: Any) -> pd.Series:
    """Times as naive UTC datetimes: times with a zone or an offset (mixed ones too, and text
    such as '2024-03-31T02:30:00+02:00') are converted, and times without one are UTC.
    Numbers are refused (`first_number`)."""
    number = first_number(times)
    if number is not None:
        raise InvalidArgumentError(
            f"the time column holds numbers ({number!r}), {NUMBERS}; convert it to times "
            'first (e.g. pd.to_datetime(df[column], unit="s"), or ISO 8601 text).'
        )
    try:
        stamps = in_utc(pd.Series(times))
    except (TypeError, ValueError) as exc:
        raise InvalidArgumentError(
            f"cannot read the time column as times ({type(exc).__name__}: "
            f"{first_clause(exc)}); pass datetimes or ISO 8601 text."
        ) from None
    return stamps.dt.tz_localize(None)


def in_utc(values: pd.Series) -> pd.Series:
    """`values` as times in UTC: as pandas reads them, else as ISO 8601 text each in a form
    of its own (a date beside a time with an offset); a TypeError or ValueError when they are
    neither."""
    with warnings.catch_warnings():  # each value is tried; the caller's sentence says if none is
        warnings.filterwarnings("ignore", "Could not infer format", UserWarning)
        try:
            return pd.to_datetime(values, utc=True)
        except (TypeError, ValueError):
            return pd.to_datetime(values, utc=True, format="ISO8601")


def first_clause(error: BaseException) -> str:
    """An error's words up to its first full stop, for a sentence of ours to quote."""
    return str(error).strip().splitlines()[0].split(". ")[0].rstrip(".") if str(error) else ""


NUMBERS = "which may count seconds, milliseconds or nanoseconds since 1970"


def first_number(times: Any) -> Any:
    """The first number among `times` (None when there is none): pandas reads a number as
    nanoseconds since 1970, so Unix seconds would all fall on 1970-01-01."""
    values = pd.Series(times)
    if pd.api.types.is_bool_dtype(values):
        return None
    if pd.api.types.is_numeric_dtype(values):
        found = values.dropna()
        return found.iloc[0].item() if len(found) else None
    if values.dtype == object:
        for value in values:
            if _is_number(value):
                return value.item() if isinstance(value, np.generic) else value
    return None


def _is_number(value: Any) -> bool:
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | float | np.number):
        return False
    return value == value  # not NaN


def without_time(times: Any) -> np.ndarray:
    """Which rows have no time, so that no window of time holds them."""
    return utc_times(times).isna().to_numpy()


def untimed_notes(rows: int) -> list[str]:
    """What a result cut by time notes of the `rows` it left out for having no time."""
    if not rows:
        return []
    if rows == 1:
        return ["1 row has no time and is in no window"]
    return [f"{rows:,} rows have no time and are in no window"]


def _floor(stamps: pd.Series, step: pd.Timedelta) -> pd.Series:
    """Starts of spans of `step`: weeks (and multiples of 7 days) start on a Monday 00:00
    UTC, other spans at the Unix epoch (a Thursday)."""
    weekly = step % pd.Timedelta(weeks=1) == pd.Timedelta(0)
    epoch = _FIRST_MONDAY if weekly else pd.Timestamp(0)
    return epoch + ((stamps - epoch) // step) * step


def moment(value: Any) -> datetime | None:
    """A pandas or NumPy time as a naive UTC datetime (how times are stored); None for NaT."""
    if value is None or pd.isna(value):
        return None
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return stamp.to_pydatetime()
