"""Runs of one job that must not overlap, and runs a schedule never made.

A run holds an exclusive `fcntl` lock on a file under the registry home for as long as it
goes: one per schedule (`schedule-<id>.lock`) or, unscheduled, per notebook and
parameters (a retraining: per model). The holder writes its pid and then its job id in
the file, so a run it skips names the job it waits on. The lock belongs to the runner's
open file, so the operating system releases it when the runner ends, however it ends: a
killed runner never leaves a run locked out.
The notebook's processes never hold it (the descriptor is not inherited).

A scheduled run also tells what its schedule missed: the times its crontab expression fell
due after the previous run started (after the schedule was made, for its first) and before
now, but for the newest, which is this run's own. Cron reads the expression in this
machine's local time, and so does the count, so a weekday schedule misses nothing over a
weekend. A schedule without an expression that can be stepped through (another scheduler's)
falls due every `every_seconds` instead; a run starts some seconds late, so there a due time
counts as missed once more than half an interval has passed it with no run.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from jupyter_mlops.automation.cadence import spoken
from jupyter_mlops.errors import StorageError

LOCKS = Path("jobs") / "locks"  # under the registry home


def lock_name(*, schedule: int | None, notebook: str, parameters: str) -> str:
    """The lock file of a run: its schedule's, else its notebook's with these parameters."""
    if schedule is not None:
        return f"schedule-{schedule}.lock"
    digest = hashlib.sha256(f"{notebook}\0{parameters}".encode()).hexdigest()
    return f"notebook-{digest[:32]}.lock"


@dataclass
class Hold:
    """A run's hold on its lock: `free` when this runner holds it, else who does, as the
    holder wrote in the lock file (its pid at once, its job id once its row exists)."""

    free: bool
    descriptor: int

    def claim(self, job_id: int) -> None:
        """Write the holder's job id beside its pid, for a run it skips to name."""
        _write(self.descriptor, f"{os.getpid()} {job_id}")

    def holder(self) -> tuple[int | None, int | None]:
        """(pid, job id) of the runner holding the lock, each None when not yet written."""
        try:
            words = os.pread(self.descriptor, 100, 0).decode("ascii", "replace").split()
        except OSError:
            return None, None
        numbers = [int(word) if word.isdigit() else None for word in words[:2]]
        pid, job = [*numbers, None, None][:2]
        return pid, job


@contextmanager
def held(home: Path, name: str, *, shared: bool = False) -> Iterator[Hold]:
    """Hold the lock `name` while the block runs (`Hold.free`), or tell at once who holds
    it (`Hold.holder`). In a `shared` registry's data path its file is made as the umask
    makes any file, so teammates under other Unix users open it too; a registry file's
    stays its owner's."""
    folder = home / LOCKS
    try:
        folder.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(folder / name, os.O_RDWR | os.O_CREAT, 0o666 if shared else 0o600)
    except OSError as exc:
        raise StorageError.of(
            exc, folder, doing="lock the job", outcome="nothing was run"
        ) from None
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield Hold(False, descriptor)
            return
        _write(descriptor, str(os.getpid()))
        yield Hold(True, descriptor)
    finally:
        os.close(descriptor)  # releases the lock


def _write(descriptor: int, text: str) -> None:
    """The lock file's content, replaced (a note for others: losing it loses no run)."""
    try:
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, text.encode("ascii"), 0)
    except OSError:
        pass


def skip_message(what: str, going: dict[str, Any] | None, pid: int | None) -> str:
    """Why a run was skipped: `what` still goes, and the job holding the lock (its row
    `going`), or the holder's pid when its row is not written yet."""
    if going is not None:
        return (
            f"skipped: {what} (job {going['id']}, started "
            f"{going['started_at']:%Y-%m-%d %H:%M:%S} UTC, pid {going['pid']} on "
            f"{going['host']})"
        )
    return f"skipped: {what}" + (f" (pid {pid}, its job not yet recorded)" if pid else "")


@dataclass(frozen=True)
class Missed:
    """Runs a schedule did not make: how many, since when the first was due."""

    count: int
    since: datetime
    every_seconds: int

    def message(self) -> str:
        runs = "run" if self.count == 1 else "runs"
        return (
            f"{self.count} {runs} due every {spoken(self.every_seconds)} did not happen since "
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
    it never ran); None when it missed nothing. Times are naive UTC, as the registry's."""
    every = int(schedule["every_seconds"])
    base = last if last is not None else schedule["created_at"]
    if every <= 0 or base is None or now <= base:
        return None
    due = due_times(schedule.get("cron"), after=base, until=now)
    if due is None:  # no expression to step through: every `every` seconds
        count = round((now - base).total_seconds() / every) - 1
        first = base + timedelta(seconds=every)
    else:
        count, first = len(due) - 1, (due[0] if due else now)
    return Missed(count, first, every) if count >= 1 else None


def due_times(cron: str | None, *, after: datetime, until: datetime) -> list[datetime] | None:
    """The times (naive UTC) `cron` fell due after `after` up to `until`, read in local
    time as cron reads it; None when it cannot be stepped through, or falls due too often
    to count one by one since then."""
    from croniter import croniter

    try:
        steps = croniter(cron or "", after.replace(tzinfo=UTC).astimezone())
        found: list[datetime] = []
        for _ in range(MOST_STEPS):
            moment = steps.get_next(datetime).astimezone(UTC).replace(tzinfo=None)
            if moment > until:
                return found
            found.append(moment)
    except (ValueError, KeyError, TypeError, StopIteration):
        return None
    return None


MOST_STEPS = 10_000  # due times counted one by one; past that, the interval counts them
