"""Copying a registry's prediction, label and shadow logs into another's, row by row.

A log is its rows, not its files: compaction merges a day's segments at its own time in
each registry, so the same rows lie in other files on each side. Each day of each log is
compared as a multiset of row digests (`store/copying.py`), and the rows the target lacks
are written to that day as new segments, one per schema of the source's segments, with that
schema (a copy, like a merge, never changes a value's type). A copy run again writes
nothing; one killed halfway leaves whole segments (each is written whole or not at all),
whose rows the next run counts as present. Each side is read holding its model's logs
still (`compaction.reading`), so no merge shows a row twice or hides one meanwhile.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from jupyter_mlops.monitoring import compaction, logs
from jupyter_mlops.monitoring.merging import by_schema
from jupyter_mlops.store import copying
from jupyter_mlops.store.copying import DIGEST, Tally
from jupyter_mlops.store.objects import Objects, at

if TYPE_CHECKING:
    import pyarrow as pa

_GROUP = "__mlops_group__"
_POSITION = "__mlops_position__"


@dataclass(frozen=True)
class LogDay:
    """One day of one model's log, as copied: the source's rows and how many were added."""

    kind: str
    model: str
    day: str  # the `date=` directory's name
    copied: int
    digests: pa.ChunkedArray = field(compare=False, repr=False)  # the source's rows', to check

    @property
    def rows(self) -> int:
        return len(self.digests)

    @property
    def title(self) -> str:
        return f"the {self.kind} log of {self.model}, {self.day.removeprefix('date=')}"


def copy_logs(source: Path | Objects, target: Path | Objects) -> list[LogDay]:
    """Copy into the registry under `target` every logged row under `source` it lacks."""
    origin, into = at(source), at(target)
    return [
        _copy_day(origin, into, kind, model, day)
        for model in compaction.logged_models(origin)
        for kind in logs.KINDS
        for day in logs.days(origin, kind, model)
    ]


def check_logs(target: Path | Objects, copied: list[LogDay]) -> list[tuple[LogDay, Tally]]:
    """How the logs under `target` hold each copied day's rows, read back."""
    import pyarrow as pa

    def index(day: LogDay, digests: pa.ChunkedArray) -> pa.Table:
        names = pa.array([day.title] * len(digests), pa.string())
        return pa.table({copying.TABLE: names, DIGEST: digests})

    if not copied:
        return []
    into = at(target)
    source = pa.concat_tables(index(day, day.digests) for day in copied)
    held = pa.concat_tables(index(day, _held(into, day.kind, day.model, day.day)) for day in copied)
    tallies = copying.tallies(source, held)
    return [(day, copying.tally_of(tallies, day.title)) for day in copied]


def _copy_day(source: Objects, target: Objects, kind: str, model: str, day: str) -> LogDay:
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    name = day.rsplit("/", 1)[-1]
    groups = _groups(source, model, day)
    digests = [copying.row_digests(group) for group in groups]
    sizes = [len(found) for found in digests]
    index = pa.table(
        {
            _GROUP: np.repeat(np.arange(len(sizes)), sizes),
            _POSITION: np.concatenate([np.arange(size) for size in sizes] or [np.arange(0)]),
            DIGEST: pa.chunked_array([c for found in digests for c in found.chunks], pa.string()),
        }
    )
    lacking = copying.missing(index, _held(target, kind, model, name))
    into = f"{logs.model_key(kind, model)}/{name}"
    for number, group in enumerate(groups):
        positions = lacking.filter(pc.equal(lacking[_GROUP], number))[_POSITION]
        if len(positions):
            logs.write_segment(target, into, group.take(positions))
    return LogDay(kind, model, name, lacking.num_rows, index[DIGEST])


def _held(target: Objects, kind: str, model: str, day: str) -> pa.ChunkedArray:
    """The digests of the rows the target's log of `model` holds on `day`."""
    import pyarrow as pa

    groups = _groups(target, model, f"{logs.model_key(kind, model)}/{day}")
    chunks = [c for group in groups for c in copying.row_digests(group).chunks]
    return pa.chunked_array(chunks, pa.string())


def _groups(data: Objects, model: str, day: str) -> list[pa.Table]:
    """The rows of the day's segments (the key of its `date=` folder), a table per schema,
    read holding the model's logs still."""
    with compaction.reading(data, model), data.local(logs.segments(data, day)) as files:
        return [_read(group) for group in by_schema(files)]


def _read(paths: list[Path]) -> pa.Table:
    """The rows of segments of one schema, in order, with that schema (no pandas notes)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    tables = []
    for path in paths:
        with pq.ParquetFile(path) as segment:
            tables.append(segment.read().replace_schema_metadata(None))
    return pa.concat_tables(tables)
