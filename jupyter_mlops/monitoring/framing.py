"""Rows of predictions, scores and labels (`__timestamp__`, ...) cut into the windows
performance and estimates are computed per: windows of time keep the rows that have a time
(a range of dates, those in it), windows of rows take them oldest first, and an alias's
rows keep, per window, the versions it pointed at during that window.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from jupyter_mlops.errors import InvalidArgumentError, Option
from jupyter_mlops.monitoring import logs
from jupyter_mlops.monitoring.metrics import window_of
from jupyter_mlops.monitoring.performance import MetricValue
from jupyter_mlops.monitoring.scope import Scope
from jupyter_mlops.monitoring.windows import (
    Window,
    assign,
    blocks,
    moment,
    utc_times,
    without_time,
)


def timed(frame: pd.DataFrame, window: Window) -> tuple[pd.DataFrame, int]:
    """The rows a window of time can hold (of a range, those in it), and how many have no
    time; when no row has one (given data without a time column) they all form one window
    without bounds, which a range of dates cannot choose from."""
    times = frame.get(logs.TIMESTAMP)
    if window.rows is not None or times is None or frame.empty:
        return frame, 0
    missing = without_time(times)
    if missing.all() and window.start is not None:
        raise InvalidArgumentError(
            f"the window {window.text} chooses rows by their time, and no row has one; pass ",
            Option("time_column"),
            " or a span such as 7d.",
        )
    if missing.all():
        return frame, 0
    kept = frame[~missing].reset_index(drop=True)
    if window.start is not None and window.end is not None:
        stamps = utc_times(kept[logs.TIMESTAMP])
        inside = (stamps >= pd.Timestamp(window.start)) & (stamps < pd.Timestamp(window.end))
        kept = kept[inside.to_numpy()].reset_index(drop=True)
    return kept, int(missing.sum())


def windowed(frame: pd.DataFrame, window: Window, scope: Scope | None) -> pd.DataFrame:
    """An alias's logged rows, each window keeping the versions the alias pointed at during
    that window (rows of a version it left before the window are another model's work)."""
    if scope is None or frame.empty or logs.VERSION not in frame:
        return frame
    cuts = row_windows(frame, window)
    starts, ends = cuts["start"].to_numpy(), cuts["end"].to_numpy()
    numbers = frame[logs.VERSION].to_numpy()
    keep = np.ones(len(frame), dtype=bool)
    for start, end in {(s, e) for s, e in zip(starts, ends, strict=True) if not pd.isna(s)}:
        rows = (starts == start) & (ends == end)
        keep[rows] = np.isin(numbers[rows], scope.versions(moment(start), moment(end)))
    return frame[keep].reset_index(drop=True)


def row_windows(frame: pd.DataFrame, window: Window) -> pd.DataFrame:
    """Each row's window; rows without times form windows with no bounds (one, or one per
    block of a window of rows)."""
    times = frame.get(logs.TIMESTAMP)
    if times is None or pd.isna(times).all():
        none = pd.Series([pd.NaT] * len(frame))
        return pd.DataFrame({"start": none, "end": none, "block": blocks(len(frame), window)})
    return assign(times, window)


def in_time_order(frame: pd.DataFrame, window: Window) -> pd.DataFrame:
    """The rows oldest first, for windows of rows (given rows may come in any order)."""
    times = frame.get(logs.TIMESTAMP)
    if window.rows is None or times is None or frame.empty or pd.isna(times).all():
        return frame
    order = np.argsort(utc_times(times).to_numpy(), kind="stable")
    return frame.iloc[order].reset_index(drop=True)


def newest(metrics: list[MetricValue], last: int | None) -> list[MetricValue]:
    """The metrics of the newest `last` windows (None: of every window)."""
    if not last:
        return metrics
    chosen = sorted({window_of(m) for m in metrics if m.window_start is not None})[-last:]
    return [m for m in metrics if m.window_start is None or window_of(m) in chosen]
