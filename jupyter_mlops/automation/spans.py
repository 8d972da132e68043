"""Spans of time a job is given, as typed: `30s`, `10m`, `1h`, `1d`, or a number of seconds."""

from __future__ import annotations

import math
import re

from jupyter_mlops.errors import InvalidArgumentError, Option

_SPAN = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*(s|m|h|d)?\s*", re.IGNORECASE)
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86_400}
LONGEST = 366 * 86_400  # a year: longer is a typo, and past what a timer can wait


def seconds_of(value: str | float | None, *, what: str = "timeout") -> float | None:
    """`value` in seconds (None stays None); a span that is not one, zero, negative or
    over a year is refused naming `what`, the option it was given as."""
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    else:
        match = _SPAN.fullmatch(str(value))
        unit = (match.group(2) or "s").lower() if match else "s"
        seconds = float(match.group(1)) * _SECONDS[unit] if match else math.nan
    if not 0 < seconds <= LONGEST:
        raise InvalidArgumentError(
            f"cannot read the {what} {value!r} as a span of time from 1 second to a year; "
            "write it as ",
            Option(what, python="'30m'", typed="30m"),
            " (30s, 10m, 1h, 1d, or seconds).",
        )
    return seconds


def spelled(seconds: float) -> str:
    """A span as typed: `30s`, `10m`, `1h`, `1d` when whole, else seconds."""
    for unit in ("d", "h", "m"):
        if seconds >= _SECONDS[unit] and seconds % _SECONDS[unit] == 0:
            return f"{seconds / _SECONDS[unit]:.0f}{unit}"
    return f"{seconds:g}s"
