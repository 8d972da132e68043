"""Copying every table of one registry's database into another's, in batches, ids kept.

The source is read once, in one transaction (one snapshot of every table, a shared
catalog's too); what is copied and checked is that snapshot. Its tables are those its
schema lists, not a list kept here, so a table a later migration makes is copied too.
The target takes the rows it lacks (`copying.missing`) in writes of at most `BATCH_ROWS`
rows, each under the target's writer lock, and each write works out again, under that lock,
which rows are still missing and whether a key now holds other values: a write never adds
a row twice, and one that finds a conflict saves nothing. A copy killed between writes
leaves whole batches, which the next copy counts as present.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import duckdb

from jupyter_mlops.store import catalog, copying
from jupyter_mlops.store.backends import Store
from jupyter_mlops.store.copying import DIGEST, Shape, Tally

if TYPE_CHECKING:
    import pyarrow as pa

BATCH_ROWS = 50_000
Clashes = dict[str, list[str]]  # table -> keys (as JSON) the target holds with other values


@dataclass(frozen=True)
class SourceTable:
    """One table of the source as it was read: its shape, and its rows with their keys and
    digests."""

    shape: Shape
    rows: pa.Table

    @property
    def name(self) -> str:
        return self.shape.name

    @property
    def ids(self) -> list[int]:
        """Its rows' ids (none, for a table without them)."""
        if "id" not in self.shape.columns:
            return []
        return [int(found) for found in self.rows["id"].to_pylist() if found is not None]


@dataclass(frozen=True)
class Snapshot:
    """Every table of a registry's database, and every stored file its rows refer to."""

    tables: list[SourceTable]
    references: list[dict[str, Any]]  # owner, kind, sha256 (`catalog.artifact_references`)

    @property
    def index(self) -> pa.Table:
        """The table, key and digest of every row."""
        import pyarrow as pa

        return pa.concat_tables(
            table.rows.select([copying.KEY, DIGEST]).add_column(
                0, copying.TABLE, pa.array([table.name] * table.rows.num_rows, pa.string())
            )
            for table in self.tables
        )


def snapshot(db: Store) -> Snapshot:
    """Read every table of `db` (and the files its rows refer to) in one transaction."""
    with db.read() as conn:  # one snapshot: a shared catalog's read is one transaction
        found = [SourceTable(shape, copying.rows(conn, shape)) for shape in copying.shapes(conn)]
        return Snapshot(found, catalog.artifact_references(conn))


@dataclass(frozen=True)
class Plan:
    """What copying a snapshot into a target would do, as the target was read."""

    lacking: dict[str, int]  # table -> rows the target lacks
    clashes: Clashes
    unmatched: list[str]  # the source's tables or columns the target lacks
    held: pa.Table | None  # the table, key and digest of the target's rows
    generation: object = None  # the target's (`Store.generation`) before they were read


def plan(source: Snapshot, db: Store) -> Plan:
    """What copying `source` into `db` would add, read without a lock: the rows each table
    lacks, the keys it holds with other values, and the source's tables or columns it lacks
    (a registry of another jupyter-mlops version)."""
    generation = db.generation()
    with db.read() as conn:
        unmatched = _unmatched(copying.shapes(conn), source)
        if unmatched:
            return Plan({}, {}, unmatched, None)
        held = copying.digests(conn, [table.shape for table in source.tables])
    index = source.index
    tallies = copying.tallies(index, held)
    lacking = {table.name: copying.tally_of(tallies, table.name).lacking for table in source.tables}
    return Plan(lacking, copying.clashes(index, held), [], held, generation)


def copy(
    source: Snapshot, db: Store, planned: Plan, *, refuse: Callable[[Clashes], Exception]
) -> dict[str, int]:
    """Add to `db` every row of `source` it lacks (in the tables `planned` found lacking
    some), in writes of at most BATCH_ROWS rows; the rows each table took. A key found
    holding other values raises `refuse(clashes)`, and that write saves nothing."""
    copied = {table.name: 0 for table in source.tables}
    pending = [table for table in source.tables if planned.lacking.get(table.name)]
    while pending:
        with db.write() as conn:
            # no write since the plan read the target: what it read holds under the lock too
            unchanged = planned.generation is not None and db.generation() == planned.generation
            held = planned.held if unchanged else None
            held = _held_now(conn, pending, refuse=refuse) if held is None else held
            planned = dataclasses.replace(planned, generation=None)  # it changes with this write
            room = BATCH_ROWS
            kind = _kind(db, pending[0])
            while pending and room > 0 and _kind(db, pending[0]) == kind:
                table = pending[0]
                lacking = copying.missing(table.rows, copying.held(held, table.name))
                part = lacking.slice(0, room)
                if part.num_rows:
                    copying.append(conn, db.stored_as(table.name), part)
                copied[table.name] += part.num_rows
                room -= part.num_rows
                if part.num_rows == lacking.num_rows:
                    pending.pop(0)
    return copied


def _kind(db: Store, table: SourceTable) -> bool:
    """Whether `db` keeps `table` outside DuckLake (a shared catalog's aliases: `lake_aliases`),
    which one write never writes together with DuckLake's tables."""
    return db.stored_as(table.name) != table.name


def _held_now(
    conn: duckdb.DuckDBPyConnection,
    tables: list[SourceTable],
    *,
    refuse: Callable[[Clashes], Exception],
) -> pa.Table:
    """The digests of the target's rows of `tables`, read under its writer lock; a key
    holding other values than the source's raises `refuse(clashes)`."""
    held = copying.digests(conn, [table.shape for table in tables])
    clashes = copying.clashes(Snapshot(tables, []).index, held)
    if clashes:
        raise refuse(clashes)
    return held


def check(source: Snapshot, db: Store, planned: Plan, copied: dict[str, int]) -> dict[str, Tally]:
    """How `db` holds each table of `source`: the tables rows were copied into read back in
    one transaction, the others as `planned` read them in this run."""
    import pyarrow as pa
    import pyarrow.compute as pc

    assert planned.held is not None
    changed = [table.name for table in source.tables if copied.get(table.name)]
    with db.read() as conn:
        read_back = copying.digests(conn, [t.shape for t in source.tables if t.name in changed])
    kept = planned.held.filter(
        pc.invert(pc.is_in(planned.held[copying.TABLE], pa.array(changed, pa.string())))
    )
    tallies = copying.tallies(source.index, pa.concat_tables([kept, read_back]))
    return {table.name: copying.tally_of(tallies, table.name) for table in source.tables}


def _unmatched(shapes: list[Shape], source: Snapshot) -> list[str]:
    """The source's tables (or their columns) the target lacks."""
    present = {shape.name: shape.columns for shape in shapes}
    unmatched = []
    for table in source.tables:
        if table.name not in present:
            unmatched.append(f"table {table.name}")
            continue
        lacking = sorted(set(table.shape.columns) - set(present[table.name]))
        unmatched += [f"column {table.name}.{name}" for name in lacking]
    return unmatched
