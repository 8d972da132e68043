"""Runs of one job that must not overlap, and runs a schedule never made.

A run holds an exclusive `fcntl` lock on a file under the registry home for as long as it
goes: one per schedule (`schedule-<id>.lock`) or, unscheduled, per notebook and
parameters. The lock belongs to the runner's open file, so the operating system releases
it when the runner ends, however it ends: a killed runner never leaves a run locked out.
The notebook's processes never hold it (the descriptor is not inherited).

A scheduled run also tells what its schedule missed: runs fall due every `every_seconds`
after the previous run started (the first after the schedule was made). A timer fires on
the clock and a run starts some seconds late, so each due time counts as missed once more
than half an interval has passed it with no run.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from jupyter_mlops.automation.spans import spelled
from jupyter_mlops.errors import StorageError

LOCKS = Path("jobs") / "locks"  # under the registry home


def lock_name(*, schedule: int | None, notebook: str, parameters: str) -> str:
    """The lock file of a run: its schedule's, else its notebook's with these parameters."""
    if schedule is not None:
        return f"schedule-{schedule}.lock"
    digest = hashlib.sha256(f"{notebook}\0{parameters}".encode()).hexdigest()
    return f"notebook-{digest[:32]}.lock"


@contextmanager
def held(home: Path, name: str) -> Iterator[bool]:
    """Hold the lock `name` while the block runs: True, or False at once when another
    runner holds it."""
    folder = home / LOCKS
    try:
        folder.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(folder / name, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise StorageError.of(
            exc, folder, doing="lock the job", outcome="nothing was run"
        ) from None
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(descriptor)  # releases the lock


@dataclass(frozen=True)
class Missed:
    """Runs a schedule did not make: how many, since when the first was due."""

    count: int
    since: datetime
    every_seconds: int

    def message(self) -> str:
        runs = "run" if self.count == 1 else "runs"
        return (
            f"{self.count} {runs} due every {spelled(self.every_seconds)} did not happen since "
            f"{self.since:%Y-%m-%d %H:%M:%S} UTC"
        )

    def detail(self) -> dict[str, Any]:
        return {
            "missed": self.count,
            "since": self.since.isoformat(),
            "every_seconds": self.every_seconds,
        }


def missed(schedule: dict[str, Any], *, last: datetime | None, now: datetime) -> Missed | None:
    """What `schedule` missed before `now`, its newest run having started at `last` (None:
    it never ran); None when it missed nothing."""
    every = int(schedule["every_seconds"])
    base = last if last is not None else schedule["created_at"]
    if every <= 0 or base is None:
        return None
    count = round((now - base).total_seconds() / every) - 1
    if count < 1:
        return None
    return Missed(count, base + timedelta(seconds=every), every)
