"""A shared registry's aliases and their audit trail: two plain PostgreSQL tables in the
catalog's schema (`mlops_aliases`, `mlops_alias_events`), beside DuckLake's own.

Everything else of the registry is DuckLake's, whose write costs a snapshot: the first read
of each table in a transaction, and the commit, each take PostgreSQL round trips. An alias
move reads where the alias points and its trail, and writes one row of each; kept here, it
is one PostgreSQL transaction of a few statements on the writer-lock session, committed
with the lock's release, so a move is as atomic as any write and costs milliseconds.

Reads see them through the DuckDB engine as the tables they were (`aliases`,
`alias_events`): each transaction on the catalog makes temporary views of those names over
the PostgreSQL tables, read through the PostgreSQL attachment DuckLake reads its own
metadata through, in the same PostgreSQL transaction, so one snapshot. A catalog made by
an older version has them in DuckLake; its upgrade moves them here (`move_in`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import duckdb

from jupyter_mlops.store import lake_reads
from jupyter_mlops.store.alias_books import Row

# the registry's table -> its PostgreSQL table in the catalog's schema
TABLES = {"aliases": "mlops_aliases", "alias_events": "mlops_alias_events"}
COLUMNS = {
    "aliases": ("model", "alias", "version", "updated_at"),
    "alias_events": (
        "id", "model", "alias", "from_version", "to_version", "action", "reason",
        "moved_at", "moved_by", "evidence",
    ),
}  # fmt: skip
MADE = (
    """CREATE TABLE IF NOT EXISTS {schema}.mlops_aliases (
        model TEXT NOT NULL, alias TEXT NOT NULL, version INTEGER NOT NULL,
        updated_at TIMESTAMP NOT NULL, PRIMARY KEY (model, alias))""",
    """CREATE TABLE IF NOT EXISTS {schema}.mlops_alias_events (
        id BIGINT PRIMARY KEY, model TEXT NOT NULL, alias TEXT NOT NULL,
        from_version INTEGER, to_version INTEGER, action TEXT NOT NULL, reason TEXT NOT NULL,
        moved_at TIMESTAMP NOT NULL, moved_by TEXT NOT NULL, evidence TEXT)""",
    """CREATE INDEX IF NOT EXISTS mlops_alias_events_by_alias
        ON {schema}.mlops_alias_events (model, alias, id)""",
)


def present(name: str, conninfo: str, schema: str) -> bool:
    """Whether the catalog `name` in `schema` keeps its aliases here (it was made or upgraded
    so); False where PostgreSQL cannot be asked."""
    query, table = "SELECT to_regclass(%s) IS NOT NULL", f"{_ident(schema)}.mlops_alias_events"
    row = lake_reads.Remembered.asked(name, conninfo, query, (table,))
    return bool(row and row[0])


def newest(schema: str) -> str:
    """The query of what changes whenever a write is saved: DuckLake's newest snapshot, and
    the newest alias move (every move appends an event, under the writer lock)."""
    return (
        f"SELECT s.snapshot_id, s.snapshot_time, "
        f"(SELECT max(id) FROM {_ident(schema)}.mlops_alias_events) "
        f"FROM {_ident(schema)}.ducklake_snapshot s ORDER BY s.snapshot_id DESC LIMIT 1"
    )


def view(conn: duckdb.DuckDBPyConnection, name: str, schema: str) -> None:
    """Make `conn`'s temporary views `aliases` and `alias_events` over the tables here."""
    for table, stored in TABLES.items():
        conn.execute(
            f"CREATE OR REPLACE TEMP VIEW {table} AS SELECT * FROM "
            f"{in_duckdb(name, schema, stored)}"
        )


def in_duckdb(name: str, schema: str, stored: str) -> str:
    """The PostgreSQL table `stored` as DuckDB names it through DuckLake's attachment."""
    return f"{_ident('__ducklake_metadata_' + name)}.{_ident(schema)}.{stored}"


def move_in(db: lake_reads.Catalog, conn: duckdb.DuckDBPyConnection) -> None:
    """Upgrade a catalog that keeps its aliases in DuckLake (in `conn`'s transaction, which
    holds the writer lock): copy their rows here in one PostgreSQL transaction of the reading
    session, replacing any an upgrade that died left, then drop DuckLake's tables in `conn`'s
    transaction. Killed before that commits, the next upgrade copies them again."""
    kept = {table: f"{_ident(db.name)}.main.{table}" for table in TABLES}  # not the views
    found = {
        table: conn.execute(f"SELECT {', '.join(COLUMNS[table])} FROM {kept[table]}").fetchall()
        for table in TABLES
    }

    def copy(session: Any) -> None:
        with session.transaction():
            for statement in MADE:
                session.execute(statement.format(schema=_ident(db.schema)))
            for table, stored in TABLES.items():
                target = f"{_ident(db.schema)}.{stored}"
                session.execute(f"DELETE FROM {target}")
                marks = ", ".join(["%s"] * len(COLUMNS[table]))
                with session.cursor() as cursor:
                    cursor.executemany(
                        f"INSERT INTO {target} ({', '.join(COLUMNS[table])}) VALUES ({marks})",
                        found[table],
                    )

    lake_reads.asking(db, copy)
    for table in TABLES:
        conn.execute(f"DROP TABLE {kept[table]}")


class LakeBook:
    """Aliases moved in the transaction of the writer-lock `session`; the status of versions
    read through `status` (kept between moves, read again after a DuckLake write), and the
    rest of the catalog through the connection `reading` opens (its caller ends it), when a
    lookup first needs it."""

    def __init__(
        self,
        session: Any,
        schema: str,
        *,
        role: str,
        status: Callable[[str, int], str | None],
        reading: Callable[[], Any],
    ) -> None:
        self.session = session
        self.role = role
        self._status = status
        self._reading = reading
        self._conn: duckdb.DuckDBPyConnection | None = None
        self._aliases = f"{_ident(schema)}.mlops_aliases"
        self._events = f"{_ident(schema)}.mlops_alias_events"

    @property
    def conn(self) -> duckdb.DuckDBPyConnection:
        if self._conn is None:
            self._conn = self._reading()
        return self._conn

    def target_state(self, model: str, version: int, alias: str) -> tuple[str | None, int | None]:
        return self._status(model, version), self.aliases(model).get(alias)

    def aliases(self, model: str) -> dict[str, int]:
        rows = self.session.execute(
            f"SELECT alias, version FROM {self._aliases} WHERE model = %s "
            'ORDER BY alias COLLATE "C"',
            [model],
        ).fetchall()
        return {alias: version for alias, version in rows}

    def events(
        self, model: str, alias: str | None = None, *, limit: int | None = None
    ) -> list[Row]:
        from psycopg.rows import dict_row

        with self.session.cursor(row_factory=dict_row) as cursor:
            cursor.execute(
                f"""SELECT * FROM (
                       SELECT * FROM {self._events}
                       WHERE model = %s AND (%s::text IS NULL OR alias = %s)
                       ORDER BY id DESC LIMIT %s) found ORDER BY id""",
                [model, alias, alias, limit],
            )
            return list(cursor.fetchall())

    def version_row(self, model: str, version: int) -> Row | None:
        from jupyter_mlops.store import catalog

        return catalog.get_version(self.conn, model, version)

    def user(self, given: str) -> str:
        return self.role

    def point(
        self, model: str, alias: str, *, before: int | None, after: int | None, at: datetime
    ) -> None:
        if after is None:
            self.session.execute(
                f"DELETE FROM {self._aliases} WHERE model = %s AND alias = %s", [model, alias]
            )
        elif before is None:
            self.session.execute(
                f"INSERT INTO {self._aliases} (model, alias, version, updated_at) "
                "VALUES (%s, %s, %s, %s)",
                [model, alias, after, at],
            )
        else:
            self.session.execute(
                f"UPDATE {self._aliases} SET version = %s, updated_at = %s "
                "WHERE model = %s AND alias = %s",
                [after, at, model, alias],
            )

    def add_event(self, event: Row) -> int:
        """Its id is one past the highest: moves take turns under the writer lock."""
        columns = [name for name in COLUMNS["alias_events"] if name != "id"]
        row = self.session.execute(
            f"INSERT INTO {self._events} (id, {', '.join(columns)}) "
            f"SELECT coalesce(max(id), 0) + 1, {', '.join(['%s'] * len(columns))} "
            f"FROM {self._events} RETURNING id",
            [event[name] for name in columns],
        ).fetchone()
        assert row is not None
        return int(row[0])


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
