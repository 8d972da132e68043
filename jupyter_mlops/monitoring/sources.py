"""Where current data comes from: a DataFrame, data files, or the prediction log,
cut to a window of time or of rows."""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import datetime

import numpy as np
import pandas as pd

from jupyter_mlops.clock import utc_now
from jupyter_mlops.errors import UsageError
from jupyter_mlops.monitoring import compaction, logs
from jupyter_mlops.monitoring.columns import Columns
from jupyter_mlops.monitoring.scope import Scope, rows_from
from jupyter_mlops.monitoring.windows import (
    Window,
    assign,
    moment,
    parse_window,
    untimed_notes,
    utc_times,
    without_time,
)
from jupyter_mlops.registry import Registry, datafiles
from jupyter_mlops.registry.records import Version
from jupyter_mlops.store import analytics

Current = pd.DataFrame | str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None
LOG_WINDOW = "7d"


class Data:
    """Current data and where it came from; `given` is the whole frame a caller gave, before
    the window cut it (None: rows of the log), which labels given beside it line up with."""

    def __init__(
        self,
        columns: Columns,
        source: str,
        start: datetime | None,
        end: datetime | None,
        time_column: str | None,
        *,
        given: pd.DataFrame | None = None,
        untimed: int = 0,
    ) -> None:
        self.columns, self.source = columns, source
        self.start, self.end, self.time_column = start, end, time_column
        self.given = given
        self.notes = untimed_notes(untimed)  # rows the window of time left out


def current_data(
    registry: Registry,
    version: Version,
    current: Current,
    *,
    window: str | int | None,
    time_column: str | None,
    scope: Scope | None = None,
) -> Data:
    """The data to judge `version` on; from the log, the rows of the versions `scope` names."""
    if current is None:
        span = parse_window(LOG_WINDOW if window is None else window)
        return _from_log(registry, version, span, scope)
    whole, source = given(current, time_column=time_column)
    frame = whole
    if time_column is not None and time_column not in frame:
        raise UsageError(
            f"the current data has no column {time_column!r}; pass the name of its "
            "time column as time_column=."
        )
    start = end = None
    left_out = 0
    if window is not None:
        span = parse_window(window)
        if span.rows is not None:
            frame = frame.iloc[-span.rows :]
        elif time_column is None:
            raise UsageError(
                f"a window of {span.text} needs a time column; pass time_column= or "
                "a window of rows (window='10000 rows')."
            )
        else:
            times = utc_times(frame[time_column])
            end = moment(times.max()) if len(times) else None
            if end is not None and span.every is not None:
                start = end - span.every
                frame = frame[(times > pd.Timestamp(start)) & (times <= pd.Timestamp(end))]
                left_out = int(times.isna().sum())
    return Data(Columns(frame), source, start, end, time_column, given=whole, untimed=left_out)


def given(
    current: pd.DataFrame | str | os.PathLike[str] | Sequence, *, time_column: str | None = None
) -> tuple[pd.DataFrame, str]:
    """Given current data as a frame, and where it came from: a DataFrame as it is, data
    files (paths or globs of Parquet, CSV or TSV) read into one."""
    if isinstance(current, pd.DataFrame):
        return current, "a DataFrame"
    if isinstance(current, str | os.PathLike) or _is_paths(current):
        paths = [current] if isinstance(current, str | os.PathLike) else list(current)
        read = datafiles.read_files(paths, time_column=time_column)
        return read, ", ".join(str(path) for path in paths)
    raise UsageError(
        f"current data must be a DataFrame or data files ({datafiles.NAMED}), not "
        f"{type(current).__name__}; pass df or 'data/*.parquet'."
    )


def _from_log(registry: Registry, version: Version, span: Window, scope: Scope | None) -> Data:
    home = registry.home
    if not logs.has_log(home, logs.PREDICTIONS, version.model):
        raise UsageError(
            f"no predictions of {version.model} are logged yet; pass current data "
            "(--current df) or log some first (deploy it, or Monitor.log_predictions)."
        )
    files = [logs.pattern(home, logs.PREDICTIONS, version.model)]
    end = utc_now()
    start = end - span.every if span.every is not None else None
    with compaction.reading(home, version.model), analytics.cursor() as conn:
        frame = analytics.read_parquet(
            conn, files, time_column=logs.TIMESTAMP, start=start, end=end
        )
    if scope is not None:
        frame = scope.select(frame, start=start, end=end)
    if span.rows is not None:
        frame = frame.sort_values(logs.TIMESTAMP).iloc[-span.rows :]
    label = f"the prediction log ({span.text} to {end:%Y-%m-%d %H:%M} UTC)"
    source = "the prediction log"
    if scope is not None:
        source += f" ({rows_from(frame) or 'no rows of ' + scope.named})"
    return Data(Columns(frame, label=label), source, start, end, logs.TIMESTAMP)


def _is_paths(value: object) -> bool:
    return isinstance(value, list | tuple) and all(
        isinstance(item, str | os.PathLike) for item in value
    )


def windows_of(
    frame: pd.DataFrame, span: Window, time_name: str | None
) -> tuple[list[tuple[datetime | None, datetime | None, pd.DataFrame]], int]:
    """The frame cut into windows of time or of rows: (start, end, rows), oldest first; and
    how many rows no window of time holds, for having no time."""
    if time_name is not None:  # in time order, whatever the zones or offsets of the times
        order = np.argsort(utc_times(frame[time_name]).to_numpy(), kind="stable")
        frame = frame.iloc[order]
    if span.every is not None:
        assert time_name is not None
        bounds = assign(frame[time_name], span)
        groups = frame.groupby(bounds["start"].to_numpy(), sort=True)
        cuts: list[tuple[datetime | None, datetime | None, pd.DataFrame]] = []
        for key, group in groups:
            opens = moment(key)
            cuts.append((opens, None if opens is None else opens + span.every, group))
        return cuts, int(without_time(frame[time_name]).sum())
    size = span.rows or len(frame)
    parts = []
    for first in range(0, len(frame), size):
        rows = frame.iloc[first : first + size]
        times = utc_times(rows[time_name]) if time_name else None
        start = moment(times.min()) if times is not None else None
        end = moment(times.max()) if times is not None else None
        parts.append((start, end, rows))
    return parts, 0
