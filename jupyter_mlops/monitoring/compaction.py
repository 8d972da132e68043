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
"""

from __future__ import annotations

import fcntl
import functools
import json
import operator
import os
import stat
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from jupyter_mlops.config import resolve_home
from jupyter_mlops.errors import InvalidArgumentError, StorageError
from jupyter_mlops.monitoring import logs
from jupyter_mlops.registry.artifacts import write_file
from jupyter_mlops.registry.records import RecordTable
from jupyter_mlops.store.locks import fsync_path

SMALL_BYTES = 64 * 2**20
ROW_GROUP = 122_880  # rows a merged file's row groups hold (as DuckDB writes them)
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
        for kind in logs.KINDS
        for path in (home / "logs" / kind).glob("*")
        if path.is_dir()
    }
    return sorted(found)


def compact(home: Path, model: str | None = None) -> CompactionList:
    """Merge the small segments of each day of `model`'s logs (every model's when None)."""
    known = logged_models(home)
    if model is not None and model not in known:
        raise InvalidArgumentError(
            f"{model} has no prediction or label log to compact; check the name."
        )
    done = CompactionList()
    for name in [model] if model is not None else known:
        try:
            done += _compact_model(home, name)
        except OSError as exc:  # a full or read-only disk: what was not merged stays as it was
            raise StorageError.of(
                exc, home / "logs", doing=f"compact the logs of {name}", outcome="no row was lost"
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


@contextmanager
def reading(home: Path, model: str) -> Iterator[None]:
    """Hold `model`'s logs still for a query: no compaction moves files meanwhile, and
    none that crashed halfway through its move is left for the query to see. On a
    read-only file system no compaction can move a file: the query goes ahead unlocked."""
    if _read_only(home):
        yield
        return
    with _lock_file(home, model, "log") as log:
        fcntl.flock(log, fcntl.LOCK_SH)
        while _moved(home, model):
            fcntl.flock(log, fcntl.LOCK_EX)  # not atomic: look again once it is held
            for journal in _moved(home, model):
                _finish(journal)
            fcntl.flock(log, fcntl.LOCK_SH)
        yield


@dataclass(frozen=True)
class HeldLogs:
    """The globs that read every segment of one model's prediction and label logs."""

    predictions: str
    labels: str


@contextmanager
def holding(model: str, home: str | os.PathLike[str] | None = None) -> Iterator[HeldLogs]:
    """Hold `model`'s logs still while queries of your own read them, and give their globs:

        with holding("churn") as held:
            duckdb.execute("SELECT count(*) FROM read_parquet(?)", [held.predictions])

    Read outside it, a query can meet a file a compaction has just merged and deleted
    ("No such file or directory"); within it, every row once. A compaction waits for it
    to end, so hold it for a query's time, not longer. `home`: the registry directory
    (default $MLOPS_HOME, else ~/.jupyter-mlops)."""
    place = resolve_home(home)
    with reading(place, model):
        yield HeldLogs(
            logs.pattern(place, logs.PREDICTIONS, model), logs.pattern(place, logs.LABELS, model)
        )


def _compact_day(home: Path, model: str, kind: str, day: Path) -> Compaction | None:
    """Merge the day's small segments, each group of one schema into a file of its own."""
    small = sorted(path for path in day.glob("*.parquet") if path.stat().st_size < SMALL_BYTES)
    groups = [group for group in _by_schema(small) if len(group) > 1]
    if not groups:
        return None
    merged = [_merge(home, model, day, group) for group in groups]
    return Compaction(
        model,
        kind,
        day.name.removeprefix("date="),
        files_before=sum(len(group) for group in groups),
        files_after=len(groups),
        rows=sum(rows for rows, _, _ in merged),
        bytes_before=sum(before for _, before, _ in merged),
        bytes_after=sum(after for _, _, after in merged),
    )


def _by_schema(paths: list[Path]) -> list[list[Path]]:
    """`paths` grouped by their schema (names, order and types; not metadata), in order."""
    import pyarrow.parquet as pq

    groups: dict[Any, list[Path]] = {}
    for path in paths:
        groups.setdefault(pq.read_schema(path).remove_metadata(), []).append(path)
    return list(groups.values())


def _merge(home: Path, model: str, day: Path, sources: list[Path]) -> tuple[int, int, int]:
    """Merge `sources` (one schema) into one segment; its rows, and bytes before and after."""
    key = uuid.uuid4().hex[:12]
    temporary = day / TEMPORARY.format(key)
    first = sources[0].name.split("-")[0]  # segment names start with their time: keep the order
    target = day / f"{first}-compacted-{key}.parquet"
    try:
        rows, copied = _copy(sources, temporary)
        if copied != rows:
            raise InvalidArgumentError(
                f"merging {day} copied {copied} of {rows} rows; nothing was moved."
            )
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


def _copy(sources: list[Path], temporary: Path) -> tuple[int, int]:
    """Copy the rows of `sources` (one schema), in order, into a new file `temporary` with
    their schema and the permissions they share (0600 as the log writes them), fsynced;
    the rows the sources' footers count and those the copy's footer counts."""
    import pyarrow.parquet as pq

    schema = pq.read_schema(sources[0]).remove_metadata()  # pandas' notes describe one batch
    mode = functools.reduce(operator.and_, (_mode(path) for path in sources)) | 0o600
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    os.fchmod(descriptor, mode)  # whatever the umask, before the file takes its name
    with os.fdopen(descriptor, "wb") as stream:
        options = {"compression": "zstd", "use_dictionary": logs.dictionary_columns(schema)}
        with pq.ParquetWriter(stream, schema, **options) as writer:
            for table in _row_groups(sources, schema):
                writer.write_table(table)
        stream.flush()
        os.fsync(stream.fileno())
    rows = sum(pq.read_metadata(path).num_rows for path in sources)
    return rows, pq.read_metadata(temporary).num_rows


def _row_groups(sources: list[Path], schema: Any) -> Iterator[Any]:
    """The rows of `sources`, in order, as tables of about ROW_GROUP rows (segments hold
    a few rows each: a row group per segment would keep the day as slow to read)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    pending: list[Any] = []
    for source in sources:
        with pq.ParquetFile(source) as segment:
            for group in range(segment.num_row_groups):
                pending += segment.read_row_group(group).to_batches()
                if sum(batch.num_rows for batch in pending) >= ROW_GROUP:
                    yield pa.Table.from_batches(pending, schema)
                    pending = []
    if pending:
        yield pa.Table.from_batches(pending, schema)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


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
