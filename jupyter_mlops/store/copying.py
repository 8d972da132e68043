"""The SQL of copying one registry's rows into another: every table, with every id kept.

A row is known by its digest: the md5 of its values as JSON, its columns named and in the
source's order, so the same row has the same digest in a registry file and in a shared
catalog. A copy adds to the target only the rows it lacks, counted as a multiset (a row the
source holds twice is copied until the target holds it twice), so a copy run again, or
after one that was killed, adds what is missing and nothing twice. A table's key (its
primary key in a registry file, else the one `ROW_KEYS` names, else its `id`) tells a row
the target lacks from one the target holds otherwise: a key the target holds with other
values is one the source or the target changed since the last copy (`catch_up.py` tells
which).

A shared catalog reads each table in tens of milliseconds whatever its size, so every
table's digests are read in one query.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import duckdb

from jupyter_mlops.store import catalog, upgrading
from jupyter_mlops.store.connection import analytics_cursor

if TYPE_CHECKING:
    import pyarrow as pa

TABLE = "__mlops_table__"
KEY = "__mlops_key__"
DIGEST = "__mlops_digest__"
_RANK = "__mlops_rank__"
_PROBE = "mlops_schema_probe"
# what a registry keeps of its own, never copied: its migrations, the leases its processes
# hold on its files, which of its deployments a copy brought from another registry, and
# which rows a copy left (`catch_up.py`)
OWN_TABLES = frozenset({"schema_migrations", "leases", "copied_deployments", "copied_rows"})
# what tells apart the rows of a table without a primary key that a write replaces: a
# version's profile, replaced whole with its reference (`references.replace_reference`),
# one row per feature's position; the other tables without a key only ever take rows
ROW_KEYS = {"profiles": ("model", "version", "position")}


@dataclass(frozen=True)
class Shape:
    """A table as a copy reads it: its name, its columns in order, and what tells its rows
    apart (its key's columns; none: a row is only its values)."""

    name: str
    columns: tuple[str, ...]
    key: tuple[str, ...]


def shapes(conn: duckdb.DuckDBPyConnection) -> list[Shape]:
    """Every table of the registry `conn` uses but those of its own (`OWN_TABLES`), by
    name: read from its schema, so a table a later migration makes is one of them. A shared
    catalog's aliases are views of PostgreSQL tables (`lake_aliases`), theirs counted too."""
    found: dict[str, list[str]] = {}
    for table, column in conn.execute(
        """SELECT c.table_name, c.column_name
           FROM information_schema.columns c JOIN information_schema.tables t
             ON t.table_catalog = c.table_catalog AND t.table_schema = c.table_schema
            AND t.table_name = c.table_name
           WHERE (c.table_catalog = current_database() AND c.table_schema = current_schema()
                  AND t.table_type = 'BASE TABLE')
              OR (c.table_catalog = 'temp' AND t.table_type = 'VIEW'
                  AND c.table_name IN ('aliases', 'alias_events'))
           ORDER BY c.table_name, c.ordinal_position"""
    ).fetchall():
        if table in OWN_TABLES:
            continue
        found.setdefault(str(table), []).append(str(column))
    return [Shape(name, tuple(names), _key(name, names)) for name, names in found.items()]


def _key(table: str, names: list[str]) -> tuple[str, ...]:
    """Its primary key in a registry file (a shared catalog keeps none), else the key a copy
    knows its rows by (`ROW_KEYS`), else its `id`."""
    return _primary_keys().get(table) or ROW_KEYS.get(table) or (("id",) if "id" in names else ())


@functools.cache
def _primary_keys() -> dict[str, tuple[str, ...]]:
    """Each table's primary key as the migrations declare it, read from an empty registry
    made in memory."""
    with analytics_cursor() as conn:
        conn.execute(f"ATTACH ':memory:' AS {_PROBE}")
        try:
            conn.execute(f"USE {_PROBE}")
            upgrading.migrate(conn)
            rows = conn.execute(
                """SELECT table_name, constraint_column_names FROM duckdb_constraints()
                   WHERE database_name = ? AND constraint_type = 'PRIMARY KEY'""",
                [_PROBE],
            ).fetchall()
        finally:
            conn.execute("USE memory")
            conn.execute(f"DETACH {_PROBE}")
    return {str(table): tuple(names) for table, names in rows}


def rows(conn: duckdb.DuckDBPyConnection, shape: Shape) -> pa.Table:
    """Every row of a table, its columns in the shape's order, with its key and digest."""
    listed = ", ".join(_ident(name) for name in shape.columns)
    return conn.execute(
        f"SELECT {listed}, {_marks(shape)} FROM {_ident(shape.name)}"
    ).to_arrow_table()


def digests(conn: duckdb.DuckDBPyConnection, shapes: Sequence[Shape]) -> pa.Table:
    """The table, key and digest of every row of the tables `shapes` name (their columns in
    the source's order, so equal rows have equal digests on both sides), in one query."""
    import pyarrow as pa

    if not shapes:
        empty = pa.array([], pa.string())
        return pa.table({TABLE: empty, KEY: empty, DIGEST: empty})
    query = " UNION ALL ".join(
        f"SELECT {_literal(shape.name)} AS {TABLE}, {_marks(shape)} FROM {_ident(shape.name)}"
        for shape in shapes
    )
    return conn.execute(query).to_arrow_table()


def clashes(source: pa.Table, target: pa.Table) -> dict[str, list[str]]:
    """The keys (as JSON) `target` holds with other values than `source`, by table (at
    most 3 of each); both give each row's table, key and digest."""
    found: dict[str, list[str]] = {}
    with analytics_cursor() as conn:
        conn.register("source_rows", source.select([TABLE, KEY, DIGEST]))
        conn.register("target_rows", target)
        for table, keys in conn.execute(
            f"""SELECT {TABLE}, list(DISTINCT {KEY} ORDER BY {KEY})[:3]
                FROM source_rows s JOIN target_rows t USING ({TABLE}, {KEY})
                WHERE s.{DIGEST} <> t.{DIGEST} GROUP BY {TABLE} ORDER BY {TABLE}"""
        ).fetchall():
            found[str(table)] = [str(key) for key in keys]
    return found


def held(target: pa.Table, table: str) -> pa.ChunkedArray:
    """The digests of `table`'s rows among those `digests` gave."""
    import pyarrow.compute as pc

    return target.filter(pc.equal(target[TABLE], table))[DIGEST]


def row_digests(found: pa.Table) -> pa.ChunkedArray:
    """The digest of each row of an Arrow table (a log's rows), in order."""
    with analytics_cursor() as conn:
        conn.register("found_rows", found)
        try:
            return conn.execute(
                f"SELECT md5(to_json(p)) AS {DIGEST} FROM found_rows p"
            ).to_arrow_table()[DIGEST]
        finally:
            conn.unregister("found_rows")


def missing(source: pa.Table, target: pa.Array | pa.ChunkedArray) -> pa.Table:
    """The rows of `source` (with a digest column) the `target` digests lack, as a multiset:
    a digest `source` holds n times and `target` m times gives n - m of its rows."""
    import pyarrow as pa

    with analytics_cursor() as conn:
        conn.register("source_rows", source)
        conn.register("held", pa.table({DIGEST: target}))
        return conn.execute(
            f"""WITH counted AS (SELECT {DIGEST}, count(*) AS n FROM held GROUP BY {DIGEST})
                SELECT s.* EXCLUDE ({_RANK}) FROM (
                    SELECT *, row_number() OVER (PARTITION BY {DIGEST}) AS {_RANK}
                    FROM source_rows) s
                LEFT JOIN counted c USING ({DIGEST})
                WHERE s.{_RANK} > coalesce(c.n, 0)"""
        ).to_arrow_table()


@dataclass(frozen=True)
class Tally:
    """How the target holds the source's rows of one table (or one day of a log)."""

    rows: int  # the source's rows
    digest: str  # their order-independent hash
    held: int  # the target's rows that are among the source's
    held_digest: str  # their order-independent hash
    lacking: int  # source rows the target lacks
    extra: int  # source rows the target holds more often than the source

    @property
    def equal(self) -> bool:
        """Whether the target holds each of the source's rows exactly as often."""
        same = (self.rows, self.digest) == (self.held, self.held_digest)
        return same and not (self.lacking or self.extra)


def tallies(source: pa.Table, target: pa.Table) -> dict[str, Tally]:
    """How `target` holds the rows of `source`, by table (both give each row's table and
    digest): the count and order-independent hash (the sums of each row digest's md5
    halves) of the source's rows and of the target's rows among them, and how many of the
    source's rows the target lacks, or holds more often than the source."""
    with analytics_cursor() as conn:
        conn.register("source_rows", source.select([TABLE, DIGEST]))
        conn.register("target_rows", target.select([TABLE, DIGEST]))
        found = conn.execute(
            f"""WITH s AS (SELECT {TABLE}, {DIGEST}, count(*) AS n FROM source_rows GROUP BY ALL),
                     t AS (SELECT {TABLE}, {DIGEST}, count(*) AS n FROM target_rows GROUP BY ALL),
                     both_sides AS (
                         SELECT {TABLE}, s.n, coalesce(t.n, 0) AS m,
                                md5_number_lower({DIGEST})::HUGEINT AS low,
                                md5_number_upper({DIGEST})::HUGEINT AS high
                         FROM s LEFT JOIN t USING ({TABLE}, {DIGEST}))
                SELECT {TABLE}, sum(n), sum(n * low), sum(n * high), sum(m), sum(m * low),
                       sum(m * high), sum(greatest(n - m, 0)), sum(greatest(m - n, 0))
                FROM both_sides GROUP BY {TABLE}"""
        ).fetchall()
    return {
        str(table): Tally(
            int(rows),
            _hex(low, high),
            int(held),
            _hex(held_low, held_high),
            int(lacking),
            int(extra),
        )
        for table, rows, low, high, held, held_low, held_high, lacking, extra in found
    }


def tally_of(tallies: dict[str, Tally], table: str) -> Tally:
    """The tally of `table` (a table with no row has none in `tallies`)."""
    return tallies.get(table) or Tally(0, _hex(0, 0), 0, _hex(0, 0), 0, 0)


def append(conn: duckdb.DuckDBPyConnection, table: str, found: pa.Table) -> None:
    """Append rows (as `rows` gave them, key, digest and all) to `table` in one statement,
    as they are: no user column is stamped with the writer's role (only `insert_row` and
    `insert_version` stamp), since a copy records history, it does not make it."""
    catalog.append_frame(conn, table, found.drop_columns([KEY, DIGEST]))


def key_of(shape: Shape) -> str:
    """The SQL giving a row's key as JSON (NULL for a table without one)."""
    return _json(shape.key) if shape.key else "NULL::VARCHAR"


def _marks(shape: Shape) -> str:
    """The key (as JSON, NULL without one) and digest columns of a table's rows."""
    key = key_of(shape)
    return f"{key} AS {KEY}, md5({_json(shape.columns)}) AS {DIGEST}"


def _json(names: Sequence[str]) -> str:
    fields = ", ".join(f"{_literal(name)}: {_ident(name)}" for name in names)
    return f"to_json({{{fields}}})::VARCHAR"


def _hex(low: int, high: int) -> str:
    return f"{int(high) % 2**64:016x}{int(low) % 2**64:016x}"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
