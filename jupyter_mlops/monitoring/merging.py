"""Merging a day's small log segments of one schema into one file, whichever scheme then
puts it in their place (`compaction.py` under file locks, `journals.py` on a shared data
path), and what a compaction reports it did.

A merge never changes a value's type: segments are grouped by their schema (column names,
order and types) and each group is copied, in order, by the Arrow writer that wrote them
and with their schema, into a new file that has its sources' permissions (0600 as the log
writes them) from the start, fsynced; its row count must equal theirs.
"""

from __future__ import annotations

import functools
import operator
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from jupyter_mlops.errors import InvalidArgumentError
from jupyter_mlops.monitoring import logs
from jupyter_mlops.registry.records import RecordTable
from jupyter_mlops.store.objects import Objects, at

SMALL_BYTES = 64 * 2**20
ROW_GROUP = 122_880  # rows a merged file's row groups hold (as DuckDB writes them)


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
    columns: ClassVar[list[str]] = ["model", "log", "day", "files", "rows", "size"]
    empty = "nothing to compact: no day has two small segments"

    def _rows(self) -> list[list[Any]]:
        return [
            [
                c.model,
                c.kind,
                c.day,
                f"{c.files_before} -> {c.files_after}",
                c.rows,
                f"{_size(c.bytes_before)} -> {_size(c.bytes_after)}",
            ]
            for c in self
        ]


def _size(found: int) -> str:
    """A size as people read one: `840 B`, `12.4 KB`, `3.1 MB`."""
    if found < 1024:
        return f"{found} B"
    return f"{found / 1024:.1f} KB" if found < 2**20 else f"{found / 2**20:.1f} MB"


def logged_models(home: Path | Objects) -> list[str]:
    """Every model with a prediction or label log."""
    data = at(home)
    return sorted({name for kind in logs.KINDS for name in data.folders(f"logs/{kind}")})


def mergeable(paths: list[Path]) -> list[list[Path]]:
    """The groups of two or more of `paths`' small files that share a schema, in order."""
    small = sorted(path for path in paths if path.stat().st_size < SMALL_BYTES)
    return [group for group in by_schema(small) if len(group) > 1]


def summary(
    model: str,
    kind: str,
    day: Path | str,
    groups: list[list[Path]],
    merged: list[tuple[int, int, int]],
) -> Compaction:
    """What merging `groups` of `day` (its folder, or that folder's key) did, from each
    merge's rows, bytes before and after."""
    return Compaction(
        model,
        kind,
        str(day).rsplit("/", 1)[-1].removeprefix("date="),
        files_before=sum(len(group) for group in groups),
        files_after=len(groups),
        rows=sum(rows for rows, _, _ in merged),
        bytes_before=sum(before for _, before, _ in merged),
        bytes_after=sum(after for _, _, after in merged),
    )


def by_schema(paths: list[Path]) -> list[list[Path]]:
    """`paths` grouped by their schema (names, order and types; not metadata), in order."""
    import pyarrow.parquet as pq

    groups: dict[Any, list[Path]] = {}
    for path in paths:
        groups.setdefault(pq.read_schema(path).remove_metadata(), []).append(path)
    return list(groups.values())


def copy_rows(sources: list[Path], temporary: Path) -> int:
    """Copy the rows of `sources` (one schema), in order, into a new file `temporary` with
    their schema and the permissions they share (0600 as the log writes them), fsynced;
    the rows copied. Refused, with nothing but `temporary` written, when the copy's footer
    does not count the rows the sources' footers count."""
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
    copied = pq.read_metadata(temporary).num_rows
    if copied != rows:
        raise InvalidArgumentError(
            f"merging {temporary.parent} copied {copied} of {rows} rows; nothing was moved."
        )
    return rows


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
