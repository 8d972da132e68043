"""Merging a log's small segments, safely beside the readers and writers of that log.

A server writes a segment every few seconds, so a busy model's day is thousands of small
files, and reading many small files is what makes a log slow to query. `compact` merges
each day's small segments (under `SMALL_BYTES`) of a model's prediction and label logs
into one segment:

1. DuckDB copies the sources, in order, into a temporary file in the day's directory
   (a name the readers' `*.parquet` glob does not match), fsynced; its row count must
   equal the sources'.
2. A journal naming the sources and the merged file is written whole.
3. Holding the model's log lock exclusively, the merged file is renamed into place and
   the sources deleted; then the journal.

Readers hold the same lock shared (`reading`), so a query sees the sources or the
merged file, never both and never neither. The invariant: files move only under the
log lock held exclusively, and that includes finishing or undoing what a crashed
compaction's journal records, whoever does it. Under the shared lock nothing moves, so a
journal whose merged file is in place can only be a crashed one's (a live compaction
renames and deletes in one exclusive hold): a reader finishes it, exclusively, before it
reads. A journal whose merged file never took its name leaves the sources whole and
hides nothing from readers; only a compaction undoes it, since it holds the compaction
lock and so is the only compaction alive. Writers never wait: they only add new files,
and a compaction touches only the files it listed.
"""

from __future__ import annotations

import fcntl
import json
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from jupyter_mlops.errors import UsageError
from jupyter_mlops.monitoring import logs
from jupyter_mlops.registry.artifacts import fsync_path, write_file
from jupyter_mlops.registry.records import RecordTable
from jupyter_mlops.store import analytics

SMALL_BYTES = 64 * 2**20
JOURNAL = ".compaction-{}.json"
TEMPORARY = ".compaction-{}.tmp"


@dataclass(frozen=True)
class Compaction:
    """What one day of one log became."""

    model: str
    kind: str
    day: str
    files_before: int
    files_after: int
    rows: int
    bytes_before: int
    bytes_after: int


class CompactionList(RecordTable[Compaction]):
    columns: ClassVar[list[str]] = ["model", "log", "day", "files", "rows", "MB"]
    empty = "nothing to compact: no day has two small segments"

    def _rows(self) -> list[list[Any]]:
        return [
            [
                c.model,
                c.kind,
                c.day,
                f"{c.files_before} -> {c.files_after}",
                c.rows,
                f"{c.bytes_before / 2**20:.1f} -> {c.bytes_after / 2**20:.1f}",
            ]
            for c in self
        ]


def logged_models(home: Path) -> list[str]:
    """Every model with a prediction or label log."""
    found = {
        path.name
        for kind in (logs.PREDICTIONS, logs.LABELS)
        for path in (home / "logs" / kind).glob("*")
        if path.is_dir()
    }
    return sorted(found)


def compact(home: Path, model: str | None = None) -> CompactionList:
    """Merge the small segments of each day of `model`'s logs (every model's when None)."""
    known = logged_models(home)
    if model is not None and model not in known:
        raise UsageError(f"{model} has no prediction or label log to compact; check the name.")
    done = CompactionList()
    for name in [model] if model is not None else known:
        with _lock_file(home, name, "compaction") as compaction:
            if not _try_lock(compaction):
                raise UsageError(f"a compaction of {name}'s logs is running; wait for it to end.")
            _recover(home, name)
            for kind in (logs.PREDICTIONS, logs.LABELS):
                for day in sorted(logs.model_directory(home, kind, name).glob("date=*")):
                    merged = _compact_day(home, name, kind, day)
                    if merged is not None:
                        done.append(merged)
    return done


@contextmanager
def reading(home: Path, model: str) -> Iterator[None]:
    """Hold `model`'s logs still for a query: no compaction moves files meanwhile, and
    none that crashed halfway through its move is left for the query to see."""
    with _lock_file(home, model, "log") as log:
        fcntl.flock(log, fcntl.LOCK_SH)
        while _moved(home, model):
            fcntl.flock(log, fcntl.LOCK_EX)  # not atomic: look again once it is held
            for journal in _moved(home, model):
                _finish(journal)
            fcntl.flock(log, fcntl.LOCK_SH)
        yield


def _compact_day(home: Path, model: str, kind: str, day: Path) -> Compaction | None:
    sources = sorted(path for path in day.glob("*.parquet") if path.stat().st_size < SMALL_BYTES)
    if len(sources) < 2:
        return None
    key = uuid.uuid4().hex[:12]
    temporary = day / TEMPORARY.format(key)
    first = sources[0].name.split("-")[0]  # segment names start with their time: keep the order
    target = day / f"{first}-compacted-{key}.parquet"
    names = [str(path) for path in sources]
    try:
        with analytics.cursor() as conn:
            rows = analytics.parquet_rows(conn, names)
            analytics.copy_parquet(conn, names, str(temporary))
            copied = analytics.parquet_rows(conn, [str(temporary)])
        if copied != rows:
            raise UsageError(f"merging {day} copied {copied} of {rows} rows; nothing was moved.")
        fsync_path(temporary)
        record = {"sources": [path.name for path in sources], "target": target.name}
        write_file(day / JOURNAL.format(key), json.dumps(record).encode())
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    before = sum(path.stat().st_size for path in sources)
    with _lock_file(home, model, "log") as log:
        fcntl.flock(log, fcntl.LOCK_EX)
        os.replace(temporary, target)
        _finish(day / JOURNAL.format(key))
    after = target.stat().st_size
    return Compaction(
        model, kind, day.name.removeprefix("date="), len(sources), 1, rows, before, after
    )


def _finish(journal: Path) -> None:
    """Complete (merged file in place) or undo (not in place) the move a journal records.

    The caller holds the log lock exclusively."""
    day = journal.parent
    entry = json.loads(journal.read_text())
    if (day / entry["target"]).exists():
        for name in entry["sources"]:
            (day / name).unlink(missing_ok=True)
    else:
        (day / TEMPORARY.format(_key(journal))).unlink(missing_ok=True)
    fsync_path(day)
    journal.unlink()
    fsync_path(day)


def _recover(home: Path, model: str) -> None:
    """Finish or undo every journal a crashed compaction left, and drop the temporary files
    of those that crashed before writing one. Only a compaction may: it holds the lock no
    other compaction can, so every journal and temporary file is a dead one's."""
    with _lock_file(home, model, "log") as log:
        fcntl.flock(log, fcntl.LOCK_EX)
        for journal in _journals(home, model):
            _finish(journal)
        for kind in (logs.PREDICTIONS, logs.LABELS):
            directory = logs.model_directory(home, kind, model)
            for temporary in directory.glob("date=*/.compaction-*.tmp"):
                temporary.unlink(missing_ok=True)


def _journals(home: Path, model: str) -> list[Path]:
    return [
        journal
        for kind in (logs.PREDICTIONS, logs.LABELS)
        for journal in logs.model_directory(home, kind, model).glob("date=*/.compaction-*.json")
    ]


def _moved(home: Path, model: str) -> list[Path]:
    """The journals whose merged file took its name: readers would see it and its sources."""
    return [journal for journal in _journals(home, model) if _in_place(journal)]


def _in_place(journal: Path) -> bool:
    return (journal.parent / json.loads(journal.read_text())["target"]).exists()


def _key(journal: Path) -> str:
    return journal.name.removeprefix(".compaction-").removesuffix(".json")


@contextmanager
def _lock_file(home: Path, model: str, purpose: str) -> Iterator[int]:
    """An open lock file of `model`'s logs; closing it releases any lock held on it."""
    path = home / "logs" / "locks" / f"{model}.{purpose}.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        yield descriptor
    finally:
        os.close(descriptor)


def _try_lock(descriptor: int) -> bool:
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True
