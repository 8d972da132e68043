"""Copying every table of one registry's database into another's, in batches, ids kept, and
catching the copy up with the source later.

The source is read once, in one transaction (one snapshot of every table, a shared
catalog's too); what is copied and checked is that snapshot. Its tables are those its
schema lists, not a list kept here, so a table a later migration makes is copied too.
The target takes the rows it lacks (`copying.missing`), and, per key, what the source
changed or removed since the last copy from it (`catch_up`: the source's row replaces the
target's, deleted and added in the same write; a row the source removed is deleted), in
writes of at most `BATCH_ROWS` rows, each under the target's writer lock. Each write works
out again, under that lock, what is still missing and which keys changed on both sides: a
write never adds a row twice, and one that finds a conflict saves nothing. Each write
remembers the digests of the rows it wrote (a shared catalog's aliases: a write after
theirs). A copy killed between writes leaves whole batches, which the next copy counts as
present (and remembers).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import duckdb

from jupyter_mlops.store import catalog, catch_up, copying
from jupyter_mlops.store.backends import Store
from jupyter_mlops.store.catch_up import Steps
from jupyter_mlops.store.copying import DIGEST, TABLE, Shape, Tally

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

    origin: str  # the source, as the target remembers what copies from it left
    lacking: dict[str, int]  # table -> rows the target takes (lacking it, or the source's change)
    removing: dict[str, int]  # table -> rows the target deletes (the source no longer has them)
    steps: Steps | None  # what each key takes (`catch_up.steps`)
    unmatched: list[str]  # the source's tables or columns the target lacks
    held: pa.Table | None  # the table, key and digest of the target's rows
    unremembered: frozenset[str] = frozenset()  # tables whose remembered digests change alone
    generation: object = None  # the target's (`Store.generation`) before they were read

    @property
    def clashes(self) -> Clashes:
        return {} if self.steps is None else self.steps.clashes


@dataclass
class Counts:
    """What a copy did to one table's rows, and the keys its last write wrote."""

    added: int = 0
    updated: int = 0
    removed: int = 0
    written: pa.Table | None = None  # the table, key and digest (none: removed) of each

    @property
    def any(self) -> bool:
        return bool(self.added or self.updated or self.removed)


def plan(source: Snapshot, db: Store, *, origin: str) -> Plan:
    """What copying `source` (known to the target as `origin`) into `db` would do, read
    without a lock: the rows each table takes and deletes, the keys both sides changed, and
    the source's tables or columns it lacks (a registry of another jupyter-mlops version)."""
    generation = db.generation()
    with db.read() as conn:
        unmatched = _unmatched(copying.shapes(conn), source)
        if unmatched:
            return Plan(origin, {}, {}, None, unmatched, None)
        held = copying.digests(conn, [table.shape for table in source.tables])
        remembered = catch_up.marks(conn, origin)
    index = source.index
    found = catch_up.steps(index, held, remembered)
    tallies = copying.tallies(index, held)
    lacking = {
        table.name: copying.tally_of(tallies, table.name).lacking
        - found.count(catch_up.KEPT, table.name)
        for table in source.tables
    }
    removing = {table.name: found.count(catch_up.REMOVED, table.name) for table in source.tables}
    unremembered = frozenset(catch_up.unremembered(index, held, remembered)[TABLE].to_pylist())
    return Plan(origin, lacking, removing, found, [], held, unremembered, generation)


def copy(
    source: Snapshot, db: Store, planned: Plan, *, refuse: Callable[[Clashes], Exception]
) -> dict[str, Counts]:
    """Bring `db` to `source` (in the tables `planned` found needing it): delete the rows
    the source removed, and add each row it lacks (the one it holds under that key deleted
    in the same write), in writes of at most BATCH_ROWS rows, each remembering what it
    wrote (`catch_up`: a write of a shared catalog's aliases, kept apart, is remembered by a
    write after it). A key found changed on both sides raises `refuse(clashes)`, and that
    write saves nothing."""
    import pyarrow as pa

    done = {table.name: Counts() for table in source.tables}
    pending = [
        t for t in source.tables if planned.lacking.get(t.name) or planned.removing.get(t.name)
    ]
    while pending:
        with db.write() as conn:
            # no write since the plan read the target: what it read holds under the lock too
            unchanged = planned.generation is not None and db.generation() == planned.generation
            read = (
                (planned.held, planned.steps) if unchanged else _now(conn, pending, planned, refuse)
            )
            planned = dataclasses.replace(planned, generation=None)  # it changes with this write
            room, written = BATCH_ROWS, []
            kind = _kind(db, pending[0])
            while pending and room > 0 and _kind(db, pending[0]) == kind:
                table = pending[0]
                room -= _write(conn, db, table, read, room=room, counts=done[table.name])
                if table.shape.key and not kind:  # the remembered digests are in this database
                    written.append(done[table.name].written)
                if room >= 0:
                    pending.pop(0)
            if written:
                catch_up.remember(conn, planned.origin, pa.concat_tables(written))
    apart = {table.name for table in source.tables if _kind(db, table)}
    later = {name for name, counts in done.items() if counts.any} & apart
    if later | planned.unremembered:
        _remember(source, db, planned.origin, tables=later | planned.unremembered)
    return done


def _write(
    conn: duckdb.DuckDBPyConnection,
    db: Store,
    table: SourceTable,
    read: tuple[pa.Table | None, Steps | None],
    *,
    room: int,
    counts: Counts,
) -> int:
    """Write what `table` still needs, at most `room` rows of it; how many rows it had left
    (more than `room`: some are left for the next write)."""
    import pyarrow.compute as pc

    held, found = read
    assert held is not None and found is not None
    stored, key = db.stored_as(table.name), copying.key_of(table.shape)
    removed = found.of(catch_up.REMOVED, table.name)
    catch_up.delete(conn, table.name, stored=stored, key=key, keys=removed)
    counts.removed += len(removed)
    counts.written = catch_up.written(table.name, removed=removed)
    lacking = copying.missing(table.rows, copying.held(held, table.name))
    kept = pc.is_in(lacking[copying.KEY], found.of(catch_up.KEPT, table.name))
    lacking = lacking.filter(pc.invert(kept))  # the target's own change to it stays
    part = lacking.slice(0, room)
    if part.num_rows:
        replaced = part.filter(pc.is_in(part[copying.KEY], found.of(catch_up.REPLACED, table.name)))
        catch_up.delete(conn, table.name, stored=stored, key=key, keys=replaced[copying.KEY])
        copying.append(conn, stored, part)
        counts.updated += replaced.num_rows
        counts.added += part.num_rows - replaced.num_rows
        counts.written = catch_up.written(table.name, removed=removed, added=part)
    return lacking.num_rows


def _kind(db: Store, table: SourceTable) -> bool:
    """Whether `db` keeps `table` outside DuckLake (a shared catalog's aliases: `lake_aliases`),
    which one write never writes together with DuckLake's tables."""
    return db.stored_as(table.name) != table.name


def _now(
    conn: duckdb.DuckDBPyConnection,
    tables: list[SourceTable],
    planned: Plan,
    refuse: Callable[[Clashes], Exception],
) -> tuple[pa.Table, Steps]:
    """The digests of the target's rows of `tables` and what each key takes, read under its
    writer lock; a key changed on both sides raises `refuse(clashes)`."""
    held = copying.digests(conn, [table.shape for table in tables])
    remembered = catch_up.marks(conn, planned.origin, tables=[table.name for table in tables])
    found = catch_up.steps(Snapshot(tables, []).index, held, remembered)
    if found.clashes:
        raise refuse(found.clashes)
    return held, found


def _remember(source: Snapshot, db: Store, origin: str, *, tables: set[str]) -> None:
    """Remember, in a write after those of the rows, the digest of each row of `tables` the
    target now holds as the source does, and forget the keys neither holds (`catch_up`)."""
    chosen = [table for table in source.tables if table.shape.key and table.name in tables]
    with db.write() as conn:
        held = copying.digests(conn, [table.shape for table in chosen])
        remembered = catch_up.marks(conn, origin, tables=[table.name for table in chosen])
        changes = catch_up.unremembered(Snapshot(chosen, []).index, held, remembered)
        if changes.num_rows:
            catch_up.remember(conn, origin, changes)


@dataclass(frozen=True)
class Checked:
    """How the target holds each table of the source, read back: the tally of the source's
    rows (but those the target changed on its own, kept), and the keys it still holds
    otherwise than the source (changed or removed there), and those it changed on its own."""

    tallies: dict[str, Tally]
    stale: dict[str, int]
    kept: dict[str, int]


def check(source: Snapshot, db: Store, planned: Plan, copied: dict[str, Counts]) -> Checked:
    """How `db` holds each table of `source`: the tables the copy changed read back in one
    transaction (with what it remembers), the others as `planned` read them in this run."""
    import pyarrow as pa
    import pyarrow.compute as pc

    assert planned.held is not None
    changed = [table.name for table in source.tables if copied[table.name].any]
    with db.read() as conn:
        read_back = copying.digests(conn, [t.shape for t in source.tables if t.name in changed])
        remembered = catch_up.marks(conn, planned.origin)
    unread = planned.held.filter(
        pc.invert(pc.is_in(planned.held[copying.TABLE], pa.array(changed, pa.string())))
    )
    held = pa.concat_tables([unread, read_back])
    index = source.index
    found = catch_up.steps(index, held, remembered)
    tallies = copying.tallies(catch_up.without(index, found, catch_up.KEPT), held)
    stale = {
        table.name: sum(
            found.count(step, table.name)
            for step in (catch_up.REPLACED, catch_up.REMOVED, catch_up.CLASH)
        )
        for table in source.tables
    }
    return Checked(
        {table.name: copying.tally_of(tallies, table.name) for table in source.tables},
        stale,
        {table.name: found.count(catch_up.KEPT, table.name) for table in source.tables},
    )


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
