"""The times a log's rows carry: naive UTC at microseconds, between 1900 and 2199.

Every segment of a log holds its `__timestamp__` in one Arrow type, `timestamp[us]`, as the
model server writes it: DuckDB reads a model's segments together and gives the column the
widest type they hold, so one segment at nanoseconds beside a row from the year 1600 left
every later read of the log failing. Numbers are no times (pandas reads Unix seconds as
nanoseconds, all on 1970-01-01), so they are refused. The times `log_predictions` and
`log_labels` are given are written at microseconds, and a time outside `EARLIEST`..`LATEST`
(a year-1600 typo, or a time no pandas timestamp at nanoseconds holds) is refused with
nothing written, as is a missing one: a row with no time falls in no window and its day
folder would be `date=nan`. A log written before holding such a day is not read half: its
reader (`compaction.reading`) names the day folders to move away.
"""

from __future__ import annotations

from typing import Any, Final, Literal

import pandas as pd

from jupyter_mlops.errors import InvalidArgumentError
from jupyter_mlops.monitoring.windows import NUMBERS, first_clause, first_number, in_utc
from jupyter_mlops.registry.display import counted

EARLIEST = pd.Timestamp("1900-01-01")
LATEST = pd.Timestamp("2200-01-01")  # the first time a log refuses
UNIT: Final[Literal["us"]] = "us"
KEEP = "leave timestamps out to log the rows at the time of logging"


def log_times(values: Any, count: int, *, per: str = "row") -> pd.Series:
    """The times given for a batch of `count` rows (`per`: or labels; one time: for each of
    them) as naive UTC datetimes at microseconds, times with a zone or offset (mixed ones
    too) converted; a count that differs, a missing time, a number or a time outside
    `EARLIEST`..`LATEST` is refused."""
    if pd.api.types.is_scalar(values) and values is not None:
        values = [values] * count
    given = pd.Series(values).reset_index(drop=True)
    if len(given) != count:
        raise InvalidArgumentError(
            f"{counted(count, per)} and {counted(len(given), 'timestamp')} were given; pass "
            f"one time per {per}, or one for all."
        )
    number = first_number(given)
    if number is not None:
        raise InvalidArgumentError(
            f"timestamps are numbers ({number!r}), {NUMBERS}; convert them to times first, "
            'e.g. pd.to_datetime(timestamps, unit="s").'
        )
    try:
        stamps = in_utc(given).dt.tz_localize(None)
    except (TypeError, ValueError) as exc:
        raise InvalidArgumentError(
            f"timestamps cannot be read as times ({first_clause(exc)}); pass datetimes "
            "or ISO 8601 text such as 2026-11-26T08:00:00+01:00."
        ) from None
    missing = stamps.isna().to_numpy()
    if missing.any():
        raise InvalidArgumentError(
            f"timestamp {int(missing.argmax())} is missing ({given[missing].iloc[0]!r}); "
            f"give every row its time, or {KEEP}."
        )
    outside = ((stamps < EARLIEST) | (stamps >= LATEST)).to_numpy()
    if outside.any():
        first = int(outside.argmax())
        raise InvalidArgumentError(
            f"timestamp {first} is {stamps.iloc[first]}, outside the years "
            f"{EARLIEST.year} to {LATEST.year - 1} a log holds; pass the time each row was "
            f"made, or {KEEP}."
        )
    return stamps.dt.as_unit(UNIT)


def outside(days: list[str]) -> list[str]:
    """Those of `days` (`date=` folders' keys) whose day lies outside the times a log
    holds: rows written there before such times were refused."""
    found = []
    for day in days:
        stamp = pd.to_datetime(day.rpartition("date=")[2], errors="coerce", format="%Y-%m-%d")
        if not pd.isna(stamp) and not EARLIEST <= stamp < LATEST:
            found.append(day)
    return found


def unreadable(model: str, folders: list[str]) -> InvalidArgumentError:
    """The one sentence a read of `model`'s logs that met rows of `folders` fails with."""
    more = f" (and {len(folders) - 1} more)" if len(folders) > 1 else ""
    return InvalidArgumentError(
        f"the logs of {model} hold rows in {folders[0]}{more}, whose times lie outside the "
        f"years {EARLIEST.year} to {LATEST.year - 1} and cannot be read beside the rest; move "
        "those folders out of the log, then read it again."
    )
