"""How often a schedule runs: `--every` as a crontab expression, or a whole expression
checked by python-crontab, with the shortest gap between its runs and its next run.

`--every` takes only intervals cron keeps exactly: minutes dividing an hour (5m..30m),
hours dividing a day (1h..12h), a day and a week; `*/7` minutes would run at :56 and
again at :00. A `--cron` expression may say anything cron says; its `every_seconds` is
the shortest gap between its runs over the next `GAPS_STEPPED` runs (a job reports a run
as missed after one such gap), and an expression with no next run to step to (`@reboot`)
is refused.
"""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime

from jupyter_mlops.errors import InvalidArgumentError, Option

MINUTES = (5, 6, 10, 12, 15, 20, 30)
HOURS = (1, 2, 3, 4, 6, 8, 12)
EVERY = (*(f"{n}m" for n in MINUTES), *(f"{n}h" for n in HOURS), "1d", "1w")
GAPS_STEPPED = 400
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}
_NUMBER = r"(?:\d+(?:\.\d*)?|\.\d+)"
_DURATION = re.compile(rf"(?:{_NUMBER}[smhdw])+|{_NUMBER}")  # 90, 90s, 1.5m, 1h30m
_PART = re.compile(rf"({_NUMBER})([smhdw]?)")


def every_cron(every: str) -> str:
    """`15m` as `*/15 * * * *`, `6h` as `0 */6 * * *`, `1d` as `0 0 * * *`, `1w` as
    `0 0 * * 0`; anything else refused, naming what works."""
    text = every.strip() if isinstance(every, str) else every
    if text not in EVERY:
        raise InvalidArgumentError(
            Option("every", python=repr(every), typed=str(every)),
            f" is not an interval cron keeps; use one of {', '.join(EVERY)}, or ",
            Option("cron", python="'EXPR'", typed='"EXPR"'),
            " for any other.",
        )
    count, unit = int(text[:-1]), text[-1]
    if unit == "m":
        return f"*/{count} * * * *"
    if unit == "h":
        return "0 * * * *" if count == 1 else f"0 */{count} * * *"
    return "0 0 * * *" if unit == "d" else "0 0 * * 0"


def cron_gap(cron: str) -> int:
    """The shortest gap, in seconds, between the runs of a crontab expression; an
    expression python-crontab refuses, or cannot step through, is refused."""
    from crontab import CronSlices

    fix = Option("cron", python="'*/15 * * * *'", typed='"*/15 * * * *"')
    given = Option("cron", python=repr(cron), typed=f'"{cron}"')
    if not isinstance(cron, str) or not CronSlices.is_valid(cron.strip()):
        fields = len(cron.split()) if isinstance(cron, str) else 0
        why = (
            "one of its fields is out of range (minute 0-59, hour 0-23, day 1-31, month 1-12, "
            "weekday 0-7, a step within them)"
            if fields == 5
            else "write five fields (minute, hour, day, month, weekday)"
        )
        raise InvalidArgumentError(
            given, f" is not a crontab expression cron reads; {why}, e.g. ", fix, "."
        )
    runs = _runs(cron.strip(), count=GAPS_STEPPED + 1)
    if len(runs) < 2:
        raise InvalidArgumentError(
            given, " has no runs to step through; give a repeating time, e.g. ", fix, "."
        )
    return min(int((b - a).total_seconds()) for a, b in itertools.pairwise(runs))


def next_run(cron: str) -> datetime | None:
    """When cron runs the expression next, in UTC without a zone (the registry's times);
    cron itself reads it in this machine's local time."""
    runs = _runs(cron, count=1)
    return runs[0].astimezone(UTC).replace(tzinfo=None) if runs else None


def _runs(cron: str, *, count: int) -> list[datetime]:
    """The next `count` runs of `cron` from now, in local time with its zone."""
    from crontab import CronItem

    item = CronItem()
    item.setall(cron)
    if item.slices.special == "@reboot":  # not a time: python-crontab would step minutely
        return []
    try:
        steps = item.schedule(date_from=datetime.now().astimezone())
        return [steps.get_next(datetime) for _ in range(count)]
    except (ValueError, KeyError, TypeError, StopIteration):  # @reboot: no time to step to
        return []


def seconds(given: str | float | int, *, what: str) -> float:
    """A duration given as a number of seconds (`90`, `1.5`), or in units (`90s`, `1.5m`,
    `2h`, `1d`, `1w`) added up (`1h30m`); over 0."""
    if isinstance(given, int | float) and not isinstance(given, bool):
        value = float(given)
    elif isinstance(given, str) and _DURATION.fullmatch(given.strip()):
        value = sum(
            float(number) * _SECONDS[unit or "s"] for number, unit in _PART.findall(given.strip())
        )
    else:
        value = 0.0
    if not 0 < value < float("inf"):
        raise InvalidArgumentError(
            f"{what} {given!r} is not a duration; write seconds (90), or units s, m, h, d, w "
            "alone or added up, e.g. ", Option(what, "'1h30m'", "1h30m"), ".",
        )  # fmt: skip
    return value


def spoken(duration: float) -> str:
    """Seconds as the largest unit they are a whole number of: 1800 as `30m`, 90 as `90s`."""
    whole = round(duration)
    for unit in ("w", "d", "h", "m"):
        if whole and whole % _SECONDS[unit] == 0 and whole == duration:
            return f"{whole // _SECONDS[unit]}{unit}"
    return f"{whole}s" if whole == duration else f"{duration:g}s"
