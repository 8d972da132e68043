"""Where current data comes from: a DataFrame, data files, or the prediction log,
cut to a window of time or of rows."""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import datetime

import numpy as np
import pandas as pd

from jupyter_mlops.clock import utc_now
from jupyter_mlops.errors import InvalidArgumentError, Option, Spelled
from jupyter_mlops.monitoring import compaction, logs
from jupyter_mlops.monitoring.columns import Columns
from jupyter_mlops.monitoring.scope import Scope, rows_from
from jupyter_mlops.monitoring.windows import (
    Window,
    assign,
    moment,
    span_or_range,
    untimed_notes,
    utc_times,
    without_time,
)
from jupyter_mlops.registry import Registry, datafiles
from jupyter_mlops.registry.records import Version
from jupyter_mlops.store import analytics

Current = (
    pd.DataFrame | np.ndarray | str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None
)
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
    whole_log: bool = False,
) -> Data:
    """The data to judge `version` on; from the log, the rows of the versions `scope` names
    (`whole_log`: all of the log, not only its last `window`, by default LOG_WINDOW)."""
    if current is None:
        span = None if whole_log else span_or_range(LOG_WINDOW if window is None else window)
        return _from_log(registry, version, span, scope)
    whole, source = given(current, time_column=time_column, version=version)
    frame = whole
    if time_column is not None and time_column not in frame:
        raise InvalidArgumentError(
            f"the current data has no column {time_column!r}; pass the name of its time column as ",
            Option("time_column"),
            ".",
        )
    start = end = None
    left_out = 0
    if window is not None:
        span = span_or_range(window)
        if span.rows is not None:
            frame = frame.iloc[-span.rows :]
        elif time_column is None:
            raise InvalidArgumentError(
                f"a window of {span.text} needs a time column; pass ",
                Option("time_column"),
                " or a window of rows (",
                Option("window", python="'10000 rows'", typed="'10000 rows'"),
                ").",
            )
        else:
            times = utc_times(frame[time_column])
            if len(times) and times.isna().all():
                raise InvalidArgumentError(
                    f"no row of the current data has a time in {time_column!r}, so a window "
                    f"of {span.text} holds no rows; fill in the times or leave out window=."
                )
            end = moment(times.max()) if len(times) else None
            if span.start is not None and span.end is not None:
                start, end = span.start, span.end
                frame = frame[(times >= pd.Timestamp(start))
                              & (times < pd.Timestamp(end))]  # fmt: skip
                left_out = int(times.isna().sum())
            elif end is not None and span.every is not None:
                start = end - span.every
                frame = frame[(times > pd.Timestamp(start)) & (times <= pd.Timestamp(end))]
                left_out = int(times.isna().sum())
    return Data(Columns(frame), source, start, end, time_column, given=whole, untimed=left_out)


def given(
    current: pd.DataFrame | np.ndarray | str | os.PathLike[str] | Sequence,
    *,
    time_column: str | None = None,
    version: Version | None = None,
) -> tuple[pd.DataFrame, str]:
    """Given current data as a frame, and where it came from: a DataFrame as it is, data
    files (paths or globs of Parquet, CSV or TSV) read into one, and for a `version` fitted
    on an array, a 2-D array with its columns by position, named as registered."""
    names = on_array(version)
    if isinstance(current, pd.DataFrame):
        missing = [name for name in names if name not in {str(c) for c in current.columns}]
        if missing and version is not None:
            raise InvalidArgumentError(
                f"{version.model} version {version.version} was fitted on an array, so it "
                f"takes {names[0]}..{names[-1]} by position, and the DataFrame given lacks "
                f"{_few(missing)}; pass a 2-D array, or name the columns {names[0]}.."
                f"{names[-1]} (df.set_axis([...], axis=1))."
            )
        return current, "a DataFrame"
    if isinstance(current, str | os.PathLike) or _is_paths(current):
        paths = [current] if isinstance(current, str | os.PathLike) else list(current)
        read = datafiles.read_files(paths, time_column=time_column)
        return read, ", ".join(str(path) for path in paths)
    if names and np.ndim(current) == 2 and np.shape(current)[1] == len(names):
        return pd.DataFrame(np.asarray(current), columns=names), "an array"
    arrays = f", or a 2-D array of {len(names)} columns" if names else ""
    raise InvalidArgumentError(
        f"current data must be a DataFrame or data files ({datafiles.NAMED}){arrays}, not "
        f"{_shape(current)}; pass df or 'data/*.parquet'."
    )


def on_array(version: Version | None) -> list[str]:
    """The columns a version fitted on an array takes by position (x0, x1, ...); [] for
    one fitted on named columns."""
    names = [str(entry["name"]) for entry in (version.schema if version else None) or []]
    return names if names and names == [f"x{i}" for i in range(len(names))] else []


def _few(names: list[str]) -> str:
    more = f" and {len(names) - 3} more" if len(names) > 3 else ""
    return ", ".join(map(repr, names[:3])) + more


def _shape(value: object) -> str:
    kind = type(value).__name__
    return f"an array of shape {value.shape}" if isinstance(value, np.ndarray) else kind


def _from_log(
    registry: Registry, version: Version, span: Window | None, scope: Scope | None
) -> Data:
    """Rows of the log in the last `span` up to now (None: every row)."""
    home = registry.data
    if not logs.has_log(home, logs.PREDICTIONS, version.model):
        raise InvalidArgumentError(
            f"no predictions of {version.model} are logged yet; pass current data (",
            Spelled(python="current=df", notebook="--current df", shell="--current week.parquet"),
            ") or log some first (",
            Spelled(
                python="deploy it, or Monitor.log_predictions",
                shell="serve it: jupyter-mlops serve",
            ),
            ").",
        )
    end = utc_now() if span is not None else None
    start = end - span.every if end is not None and span and span.every is not None else None
    if span is not None and span.start is not None:
        start, end = span.start, span.end
    with compaction.reading(home, version.model) as held, analytics.cursor() as conn:
        files = held.files(logs.PREDICTIONS)
        frame = analytics.read_parquet(
            conn, files, time_column=logs.TIMESTAMP, start=start, end=end
        )
        newest = analytics.newest_time(conn, files, logs.TIMESTAMP) if frame.empty else None
    if scope is not None:
        frame = scope.select(frame, start=start, end=end)
    if span is not None and span.rows is not None:
        frame = frame.sort_values(logs.TIMESTAMP).iloc[-span.rows :]
    label = "the prediction log"
    if span is not None and span.start is not None:
        label += f" ({span.text})"
    elif span is not None and end is not None:
        label += f" ({span.text} to {end:%Y-%m-%d %H:%M} UTC)"
    if newest is not None:
        label += f", whose newest row is logged at {newest:%Y-%m-%d %H:%M} UTC,"
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
