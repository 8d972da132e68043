"""Merging a log's small segments, safely beside the readers and writers of that log.

A server writes a segment every few seconds, so a busy model's day is thousands of small
files, and reading many small files is what makes a log slow to query. `compact` merges
each day's small segments (under `SMALL_BYTES`) of a model's prediction, label and shadow
logs, those of one schema into one segment:

1. The sources are grouped by their schema (column names, order and types). A merge
   never changes a value's type: a day on which one version logged a column as booleans
   and the next as numbers keeps a file of each, where one file would turn the one kind
   into the other for good.
2. Each group of two or more is copied, in order, by the Arrow writer that wrote its
   segments and with their schema, into a temporary file in the day's directory (a name
   the readers' `*.parquet` glob does not match) that has its sources' permissions (0600
   as the log writes them) from the start, fsynced; its row count must equal theirs.
3. A journal naming the sources and the merged file is written whole.
4. Holding the model's log lock exclusively, the merged file is renamed into place and
   the sources deleted; then the journal.

Readers hold the same lock shared (`reading`, and `holding` for a user's own queries),
so a query sees the sources or the merged file, never both and never neither. The
invariant: files move only under the log lock held exclusively, and that includes
finishing or undoing what a crashed compaction's journal records, whoever does it. Under
the shared lock nothing moves, so a journal whose merged file is in place can only be a
crashed one's (a live compaction renames and deletes in one exclusive hold): a reader
finishes it, exclusively, before it reads. A journal whose merged file never took its
name leaves the sources whole and hides nothing from readers; only a compaction undoes
it, since it holds the compaction lock and so is the only compaction alive. Writers never
wait: they only add new files, and a compaction touches only the files it listed.

That is a registry file's logs. A shared registry's data path (marked by `logs/.shared`) is
mounted by many machines, whose file locks cannot be trusted, or is a bucket, which has
none: there no lock is taken, a compaction holds a lease in the catalog instead
(`shared_compaction.py`) and merged files stand beside their sources until readers can no
longer be reading them (`journals.py`).
`reading` gives each query the files to read, whichever way its logs are kept.
"""

from __future__ import annotations

import fcntl
import json
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from jupyter_mlops.config import resolve_home, resolve_location
from jupyter_mlops.errors import InvalidArgumentError, StorageError
from jupyter_mlops.monitoring import journals, log_times, logs, merging, shared_compaction
from jupyter_mlops.monitoring.merging import Compaction, CompactionList, logged_models
from jupyter_mlops.registry import Registry
from jupyter_mlops.store import analytics
from jupyter_mlops.store.backends import Store
from jupyter_mlops.store.locks import fsync_path
from jupyter_mlops.store.objects import Objects, at, write_file

__all__ = [
    "Compaction",
    "CompactionList",
    "HeldLogs",
    "LogFiles",
    "compact",
    "holding",
    "logged_models",
    "reading",
]

JOURNAL = ".compaction-{}.json"
TEMPORARY = ".compaction-{}.tmp"


def compact(
    home: Path | Objects,
    model: str | None = None,
    *,
    catalog: Store | None = None,
    grace: timedelta = journals.GRACE,
    lease_seconds: float = shared_compaction.LEASE_SECONDS,
) -> CompactionList:
    """Merge the small segments of each day of `model`'s logs (every model's when None)
    under `home` (a registry's folder, or the objects of its data path).

    On a shared registry's data path `catalog` is the registry's (where the compaction
    holds its lease for `lease_seconds` at a time), and what merges replaced is deleted
    `grace` after they took place."""
    data = at(home)
    known = logged_models(data)
    if model is not None and model not in known:
        raise InvalidArgumentError(
            f"{model} has no prediction or label log to compact; check the name."
        )
    shared = data.shared
    if shared and catalog is None:
        raise InvalidArgumentError(
            f"the logs under {data.url()} are a shared registry's; compact them through it "
            "(jupyter-mlops --home URL compact, or operations.compact(Registry(URL)))."
        )
    done = CompactionList()
    for name in [model] if model is not None else known:
        try:
            if shared:
                assert catalog is not None
                done += shared_compaction.compact_model(
                    data, name, catalog=catalog, grace=grace, lease_seconds=lease_seconds
                )
            else:
                assert data.folder is not None  # only a shared registry's files are in a bucket
                done += _compact_model(data.folder, name)
        except OSError as exc:  # a full or read-only disk: what was not merged stays as it was
            raise StorageError.of(
                exc,
                data.url("logs"),
                doing=f"compact the logs of {name}",
                outcome="no row was lost",
            ) from None
    return done


def _compact_model(home: Path, name: str) -> list[Compaction]:
    done = []
    with _lock_file(home, name, "compaction") as compaction:
        if not _try_lock(compaction):
            raise InvalidArgumentError(
                f"a compaction of {name}'s logs is running; wait for it to end."
            )
        _recover(home, name)
        for kind in logs.KINDS:
            for day in sorted(logs.model_directory(home, kind, name).glob("date=*")):
                merged = _compact_day(home, name, kind, day)
                if merged is not None:
                    done.append(merged)
    return done


class LogFiles:
    """What a query reads of one model's logs, every row once, while `reading` holds them."""

    def __init__(self, home: Path | Objects, model: str) -> None:
        self.data, self.model = at(home), model
        self.shared = self.data.shared
        self._listed: dict[str, list[str]] = {}

    def files(self, kind: str) -> list[str]:
        """What `read_parquet` reads of the `kind` log: its glob (a registry file's logs,
        which the lock holds still), or the files a shared data path's journals leave, as
        listed the first time they are asked for."""
        if not self.shared:
            return [logs.pattern(self.data, kind, self.model)]
        if kind not in self._listed:
            days = logs.days(self.data, kind, self.model)
            found = [key for day in days for key in logs.segments(self.data, day)]
            self._listed[kind] = [self.data.url(key) for key in found]
        return self._listed[kind]

    def has(self, kind: str) -> bool:
        """Whether the `kind` log holds a row."""
        if not self.shared:
            return logs.has_log(self.data, kind, self.model)
        return bool(self.files(kind))


@contextmanager
def reading(home: Path | Objects, model: str) -> Iterator[LogFiles]:
    """Hold `model`'s logs still for a query, and give the files it reads: no compaction
    moves files meanwhile, and none that crashed halfway through its move is left for the
    query to see. On a read-only file system no compaction can move a file: the query goes
    ahead unlocked. A shared registry's data path takes no lock (`journals.py`). A query
    that meets times the log cannot hold fails naming the day folders to move away."""
    with _held(home, model) as held:
        try:
            yield held
        except Exception as exc:
            days = [day for kind in logs.KINDS for day in logs.days(held.data, kind, model)]
            folders = [held.data.url(day) for day in log_times.outside(days)]
            if not analytics.unconverted_times(exc) or not folders:
                raise
            raise log_times.unreadable(model, folders) from None


@contextmanager
def _held(home: Path | Objects, model: str) -> Iterator[LogFiles]:
    data = at(home)
    folder = data.folder
    if data.shared or folder is None or _read_only(folder):
        yield LogFiles(data, model)
        return
    with _lock_file(folder, model, "log") as log:
        fcntl.flock(log, fcntl.LOCK_SH)
        while _moved(folder, model):
            fcntl.flock(log, fcntl.LOCK_EX)  # not atomic: look again once it is held
            for journal in _moved(folder, model):
                _finish(journal)
            fcntl.flock(log, fcntl.LOCK_SH)
        yield LogFiles(data, model)


@dataclass(frozen=True)
class HeldLogs:
    """What reads every row of one model's prediction and label logs once: a registry
    file's globs, or the lists of files of a shared registry's data path."""

    predictions: str | list[str]
    labels: str | list[str]


@contextmanager
def holding(model: str, home: str | os.PathLike[str] | None = None) -> Iterator[HeldLogs]:
    """Hold `model`'s logs still while queries of your own read them, and give their globs:

        with holding("churn") as held:
            duckdb.execute("SELECT count(*) FROM read_parquet(?)", [held.predictions])

    Read outside it, a query can meet a file a compaction has just merged and deleted
    ("No such file or directory"); within it, every row once. A compaction waits for it
    to end, so hold it for a query's time, not longer. `home`: the registry directory
    (default $MLOPS_HOME, else ~/.jupyter-mlops), or a shared registry's URL: its logs are
    read without a lock, from the files listed as the block starts, which stay for
    15 minutes whatever compactions do (in a bucket, `s3://` URLs: read them with a DuckDB
    that has its httpfs extension and an S3 secret)."""
    place = _logs_home(home)
    with reading(place, model) as held:
        if held.shared:
            yield HeldLogs(held.files(logs.PREDICTIONS), held.files(logs.LABELS))
        else:
            yield HeldLogs(
                logs.pattern(place, logs.PREDICTIONS, model),
                logs.pattern(place, logs.LABELS, model),
            )


def _logs_home(home: str | os.PathLike[str] | None) -> Path | Objects:
    """Where the logs of the registry `home` names are (a shared one's data path)."""
    location = resolve_location(home)
    if location.url is None:
        return resolve_home(home)  # refuses a file where a directory should be
    return Registry(location.url).data


def _compact_day(home: Path, model: str, kind: str, day: Path) -> Compaction | None:
    """Merge the day's small segments, each group of one schema into a file of its own."""
    groups = merging.mergeable(list(day.glob("*.parquet")))
    if not groups:
        return None
    merged = [_merge(home, model, day, group) for group in groups]
    return merging.summary(model, kind, day, groups, merged)


def _merge(home: Path, model: str, day: Path, sources: list[Path]) -> tuple[int, int, int]:
    """Merge `sources` (one schema) into one segment; its rows, and bytes before and after."""
    key = uuid.uuid4().hex[:12]
    temporary = day / TEMPORARY.format(key)
    first = sources[0].name.split("-")[0]  # segment names start with their time: keep the order
    target = day / f"{first}-compacted-{key}.parquet"
    try:
        rows = merging.copy_rows(sources, temporary)
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
    return rows, before, target.stat().st_size


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
        for kind in logs.KINDS:
            directory = logs.model_directory(home, kind, model)
            for temporary in directory.glob("date=*/.compaction-*.tmp"):
                temporary.unlink(missing_ok=True)


def _journals(home: Path, model: str) -> list[Path]:
    return [
        journal
        for kind in logs.KINDS
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


def _read_only(home: Path) -> bool:
    try:
        return bool(os.statvfs(home).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def _try_lock(descriptor: int) -> bool:
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True
