"""Attaching a shared registry's catalog to a DuckDB engine of this process: its
PostgreSQL catalog, its schema there, and its data path (a folder, or a bucket reached
through httpfs), made where missing, or attached as another process made it meanwhile."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import duckdb

from jupyter_mlops.store import extensions, lake_paths, s3


class Attached(Protocol):
    """What attaching asks of a shared catalog (`lake.LakeDatabase`)."""

    name: str  # what the engine names it
    schema: str  # the PostgreSQL schema it is kept in
    data_path: Path | str | None

    def connecting(self) -> str: ...

    def needs_data_path(self) -> Exception: ...

    def unreachable(self, exc: BaseException) -> Exception: ...


def attached(db: Attached, conn: duckdb.DuckDBPyConnection) -> bool:
    """Whether `db`'s catalog is attached to the engine of `conn`."""
    query = "SELECT count(*) FROM duckdb_databases() WHERE database_name = ?"
    found = conn.execute(query, [db.name]).fetchone()
    return bool(found and found[0])


def attach(db: Attached, conn: duckdb.DuckDBPyConnection) -> None:
    """Attach `db`'s catalog to the engine of `conn`, where it is not yet (made where
    missing, with the data path it was given)."""
    if attached(db, conn):
        return
    extensions.load(conn, "postgres_scanner", "ducklake")
    options = [f"METADATA_SCHEMA '{_literal(db.schema)}'"]
    if db.data_path is not None:
        options += [f"DATA_PATH '{_literal(str(db.data_path))}'", "OVERRIDE_DATA_PATH true"]
    s3.reach(conn, db.data_path, attaching=True)
    statement = (
        f"ATTACH '{_literal('ducklake:postgres:' + db.connecting())}' AS {db.name} "
        f"({', '.join(options)})"
    )
    try:
        conn.execute(statement)
    except duckdb.Error as exc:
        if "already exists" in str(exc):  # attached by another thread, or the catalog
            return _attach_made(db, conn, statement)  # made by another process
        if db.data_path is None and "data_path is not set" in str(exc):
            raise db.needs_data_path() from None  # no catalog there yet
        raise db.unreachable(exc) from None
    if db.data_path is None:  # the one it was made with, which may be a bucket
        try:
            s3.reach(conn, lake_paths.stored(conn, db.name, db.schema), attaching=False)
        except duckdb.Error as exc:
            raise db.unreachable(exc) from None


def _attach_made(db: Attached, conn: duckdb.DuckDBPyConnection, statement: str) -> None:
    """Attach the catalog once more where another process's attachment made it first
    (its tables were made meanwhile): attached by another thread of this one, nothing."""
    if not attached(db, conn):
        try:
            conn.execute(statement)
        except duckdb.Error as exc:
            raise db.unreachable(exc) from None


def _literal(text: str) -> str:
    """`text` as the inside of a SQL string literal."""
    return text.replace("'", "''")
