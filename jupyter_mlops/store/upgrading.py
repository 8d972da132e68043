"""Applying the migrations (`migrations.py`) a registry file or a shared catalog lacks, in
order, inside the caller's transaction, and refusing a database that is no registry or is a
newer version's.
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb

from jupyter_mlops.clock import utc_now
from jupyter_mlops.errors import ConflictError
from jupyter_mlops.store import schema
from jupyter_mlops.store.migrations import ALIASES_MOVE, LATEST, MIGRATIONS


def applied(conn: duckdb.DuckDBPyConnection) -> list[str]:
    """Names of the migrations this registry has had, oldest first (none: a new registry).

    The table is read, not looked up in information_schema or duckdb_tables(): those visit
    every database attached to the engine (a shared catalog's at the cost of PostgreSQL
    round trips), whatever the query filters on. A missing table fails to bind, which
    leaves the transaction it is in going."""
    try:
        rows = conn.execute("SELECT name FROM schema_migrations ORDER BY id").fetchall()
    except duckdb.CatalogException as exc:
        if "schema_migrations" not in str(exc):  # not its absence: a catalog it cannot read
            raise
        return []
    return [row[0] for row in rows]


def migrate(
    conn: duckdb.DuckDBPyConnection,
    *,
    upto: int = LATEST,
    shared: bool = False,
    aliases_moved: Callable[[duckdb.DuckDBPyConnection], None] | None = None,
) -> list[str]:
    """Apply, in order, the migrations this file lacks (up to number `upto`); return their names.

    Runs inside the caller's transaction, so a failure applies none of them. On a shared
    catalog (`shared`) each statement is translated as DuckLake takes it (`schema.py`), and
    its aliases are moved to PostgreSQL by `aliases_moved` (`lake_aliases.move_in`).
    """
    done = applied(conn)
    if not done:
        _refuse_foreign(conn)
    conn.execute(
        _fitted(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            "id INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)",
            shared=shared,
        )
        or ""
    )
    for index, name in enumerate(done):
        if index >= LATEST or MIGRATIONS[index][0] != name:
            raise ConflictError(
                f"registry was written by a newer jupyter-mlops (migration {name!r}); "
                "upgrade jupyter-mlops to open it."
            )
    now = utc_now()
    names = []
    for number, (name, statements) in enumerate(MIGRATIONS[len(done) : upto], len(done) + 1):
        for statement in statements:
            if statement == ALIASES_MOVE:
                if shared:
                    assert aliases_moved is not None, "a shared catalog's aliases need moving"
                    aliases_moved(conn)
                continue
            fitted = _fitted(statement, shared=shared)
            if fitted is not None:
                conn.execute(fitted)
        conn.execute("INSERT INTO schema_migrations VALUES (?, ?, ?)", [number, name, now])
        names.append(name)
    return names


def _fitted(statement: str, *, shared: bool) -> str | None:
    return schema.for_lake(statement) if shared else statement


def _refuse_foreign(conn: duckdb.DuckDBPyConnection) -> None:
    """A file with tables but no migrations is some other database: never write into it."""
    row = conn.execute(
        "SELECT count(*) FROM information_schema.tables "
        "WHERE table_catalog = current_database() AND table_name <> 'schema_migrations'"
    ).fetchone()
    if row and row[0]:
        raise ConflictError(
            f"the registry file holds {row[0]} table(s) but is not a jupyter-mlops registry; "
            "point MLOPS_HOME (or Registry(path)) at another directory."
        )
