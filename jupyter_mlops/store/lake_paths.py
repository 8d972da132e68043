"""A shared catalog's data path: the one DuckLake recorded when the catalog was made, and the
refusal of a new catalog opened without one; and the catalog's id, which its data path is
marked with (`registry/team.py`)."""

from __future__ import annotations

from typing import Any

import duckdb

from jupyter_mlops.config import DATA_PATH_VARIABLE
from jupyter_mlops.errors import InvalidArgumentError


def stored(conn: duckdb.DuckDBPyConnection, name: str, schema: str) -> str | None:
    """The data path of catalog `name` (attached to `conn`'s engine, its metadata in
    PostgreSQL schema `schema`), as DuckLake recorded it: a folder, or a bucket's URL."""
    quoted = '"' + schema.replace('"', '""') + '"'
    metadata = f"__ducklake_metadata_{name}.{quoted}.ducklake_metadata"
    row = conn.execute(f"SELECT value FROM {metadata} WHERE key = 'data_path'").fetchone()
    return None if row is None else str(row[0])


def catalog_id(conn: duckdb.DuckDBPyConnection, name: str, schema: str) -> str | None:
    """What tells catalog `name` from every other, whatever URL reaches it: the UUID DuckLake
    gave its main schema as it made the catalog (None: not made yet)."""
    quoted = '"' + schema.replace('"', '""') + '"'
    schemas = f"__ducklake_metadata_{name}.{quoted}.ducklake_schema"
    row = conn.execute(f"SELECT schema_uuid FROM {schemas} WHERE schema_id = 0").fetchone()
    return None if row is None else str(row[0])


# the PostgreSQL server (its system identifier, kept by a standby promoted in its place), and
# the database's and schema's numbers there: what a copy of a catalog does not keep
_PLACE = (
    "SELECT (SELECT system_identifier FROM pg_control_system()), "
    "(SELECT oid FROM pg_database WHERE datname = current_database()), "
    "(SELECT oid FROM pg_namespace WHERE nspname = %s)"
)


def place(session: Any, *, schema: str) -> str:
    """Where the catalog in PostgreSQL schema `schema` is, asked on `session` (a psycopg
    connection to its database): the same whatever URL reaches it, and another for a copy
    of it (a database made from it as a template, a dump restored elsewhere), which keeps
    the catalog's id."""
    server, database, namespace = session.execute(_PLACE, [schema]).fetchone()
    return f"{server}.{database}.{namespace}"


def needed(shown: str) -> InvalidArgumentError:
    """The refusal of a new catalog (`shown`) opened without the folder its files go in."""
    return InvalidArgumentError(
        f"the {shown} is new, so it needs the folder its files go in; set "
        f"{DATA_PATH_VARIABLE} (or --data-path) to a folder every machine of the team mounts, "
        "or to a bucket (s3://BUCKET/FOLDER/)."
    )
