"""The SQL of the model catalog: models, versions, aliases, alias events, tags, profiles.

Every function takes an open connection (inside the caller's transaction) and
plain values; rows come back as dicts keyed by column name.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import duckdb

from jupyter_mlops.store import actors

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

Row = dict[str, Any]


def rows_of(cursor: duckdb.DuckDBPyConnection) -> list[Row]:
    names = [column[0] for column in cursor.description or []]
    return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]


def _first(cursor: duckdb.DuckDBPyConnection) -> Row | None:
    rows = rows_of(cursor)
    return rows[0] if rows else None


def holds_nothing(conn: duckdb.DuckDBPyConnection) -> bool:
    """Whether no table but the migrations' own holds a row: nothing was stored yet."""
    tables = conn.execute(
        """SELECT table_name FROM information_schema.tables
           WHERE table_catalog = current_database() AND table_schema = current_schema()
             AND table_type = 'BASE TABLE' AND table_name <> 'schema_migrations'"""
    ).fetchall()
    for (table,) in tables:  # names from the catalog itself, quoted as identifiers
        quoted = '"' + str(table).replace('"', '""') + '"'
        if conn.execute(f"SELECT EXISTS (SELECT 1 FROM {quoted})").fetchone() != (False,):
            return False
    return True


# models


def model_names(conn: duckdb.DuckDBPyConnection) -> list[str]:
    return [row[0] for row in conn.execute("SELECT name FROM models ORDER BY name").fetchall()]


def get_model(conn: duckdb.DuckDBPyConnection, name: str) -> Row | None:
    return _first(conn.execute("SELECT * FROM models WHERE name = ?", [name]))


def case_twin(conn: duckdb.DuckDBPyConnection, name: str) -> str | None:
    """The model whose name is `name` in other case or with trailing dots (`Churn` or
    `churn.` beside `churn`), if any: a name a folder of either would also have."""
    row = conn.execute(
        "SELECT min(name) FROM models WHERE lower(rtrim(name, '.')) = lower(rtrim(?, '.')) "
        "AND name <> ?",
        [name, name],
    ).fetchone()
    return None if row is None else row[0]


def insert_model(
    conn: duckdb.DuckDBPyConnection, name: str, *, at: datetime, by: str, description: str
) -> None:
    conn.execute(
        "INSERT INTO models (name, created_at, created_by, description) VALUES (?, ?, ?, ?)",
        [name, at, actors.user(conn, by), description],
    )


def set_model_description(conn: duckdb.DuckDBPyConnection, name: str, description: str) -> None:
    conn.execute("UPDATE models SET description = ? WHERE name = ?", [description, name])


def list_models(conn: duckdb.DuckDBPyConnection) -> list[Row]:
    return rows_of(
        conn.execute(
            """
            SELECT m.name, m.description, m.created_at, m.created_by,
                   count(v.version) AS versions,
                   max(v.version) AS latest,
                   max(v.created_at) AS updated_at,
                   (SELECT string_agg(a.alias || '=' || a.version, ', ' ORDER BY a.alias)
                      FROM aliases a WHERE a.model = m.name) AS aliases
            FROM models m LEFT JOIN versions v ON v.model = m.name
            GROUP BY ALL ORDER BY m.name
            """
        )
    )


# versions


def next_version(conn: duckdb.DuckDBPyConnection, model: str) -> int:
    row = conn.execute(
        "SELECT coalesce(max(version), 0) + 1 FROM versions WHERE model = ?", [model]
    ).fetchone()
    assert row is not None
    return int(row[0])


def insert_version(conn: duckdb.DuckDBPyConnection, record: Row) -> None:
    record = actors.stamped(conn, record)
    columns = ", ".join(record)
    marks = ", ".join("?" for _ in record)
    conn.execute(f"INSERT INTO versions ({columns}) VALUES ({marks})", list(record.values()))


def get_version(conn: duckdb.DuckDBPyConnection, model: str, version: int) -> Row | None:
    return _first(
        conn.execute("SELECT * FROM versions WHERE model = ? AND version = ?", [model, version])
    )


def latest_version(conn: duckdb.DuckDBPyConnection, model: str) -> int | None:
    row = conn.execute(
        "SELECT max(version) FROM versions WHERE model = ? AND status <> 'archived'", [model]
    ).fetchone()
    return None if row is None or row[0] is None else int(row[0])


def job_versions(conn: duckdb.DuckDBPyConnection, model: str, job_id: int) -> list[int]:
    """The versions of `model` job `job_id`'s notebook registered, oldest first."""
    rows = conn.execute(
        "SELECT version FROM versions WHERE model = ? AND job_id = ? ORDER BY version",
        [model, job_id],
    ).fetchall()
    return [int(row[0]) for row in rows]


def list_versions(conn: duckdb.DuckDBPyConnection, model: str) -> list[Row]:
    return rows_of(conn.execute("SELECT * FROM versions WHERE model = ? ORDER BY version", [model]))


def version_numbers(conn: duckdb.DuckDBPyConnection, model: str) -> list[int]:
    rows = conn.execute(
        "SELECT version FROM versions WHERE model = ? ORDER BY version", [model]
    ).fetchall()
    return [row[0] for row in rows]


def alias_target_state(
    conn: duckdb.DuckDBPyConnection, model: str, version: int, alias: str
) -> tuple[str | None, int | None]:
    """(status of the version or None, where the alias points now or None), in one query."""
    row = conn.execute(
        "SELECT (SELECT status FROM versions WHERE model = ? AND version = ?), "
        "(SELECT version FROM aliases WHERE model = ? AND alias = ?)",
        [model, version, model, alias],
    ).fetchone()
    assert row is not None
    return row[0], row[1]


def set_version_status(
    conn: duckdb.DuckDBPyConnection, model: str, version: int, status: str
) -> None:
    conn.execute(
        "UPDATE versions SET status = ? WHERE model = ? AND version = ?", [status, model, version]
    )


def artifact_references(conn: duckdb.DuckDBPyConnection) -> list[Row]:
    """Every stored file something refers to: (owner, kind, sha256), for an integrity check."""
    return rows_of(
        conn.execute(
            """
            SELECT model || ' version ' || version AS owner, 'version' AS kind,
                   artifact_sha256 AS sha256
            FROM versions
            UNION ALL
            SELECT model || ' version ' || version, 'reference', reference_sha256
            FROM versions WHERE reference_sha256 IS NOT NULL
            UNION ALL
            SELECT 'run ' || run_id || ' artifact ' || name, 'run', sha256 FROM run_artifacts
            UNION ALL
            SELECT 'job ' || id || ' notebook', 'job', output_sha256
            FROM jobs WHERE output_sha256 IS NOT NULL
            ORDER BY 1, 2
            """
        )
    )


# aliases and their audit trail


def model_aliases(conn: duckdb.DuckDBPyConnection, model: str) -> dict[str, int]:
    rows = conn.execute(
        "SELECT alias, version FROM aliases WHERE model = ? ORDER BY alias", [model]
    ).fetchall()
    return {alias: version for alias, version in rows}


def all_aliases(conn: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    return [
        (model, alias)
        for model, alias in conn.execute(
            "SELECT model, alias FROM aliases ORDER BY model, alias"
        ).fetchall()
    ]


def insert_alias(
    conn: duckdb.DuckDBPyConnection, model: str, alias: str, version: int, *, at: datetime
) -> None:
    conn.execute(
        "INSERT INTO aliases (model, alias, version, updated_at) VALUES (?, ?, ?, ?)",
        [model, alias, version, at],
    )


def update_alias(
    conn: duckdb.DuckDBPyConnection, model: str, alias: str, version: int, *, at: datetime
) -> None:
    # a plain UPDATE costs a third of an INSERT ... ON CONFLICT in DuckDB
    conn.execute(
        "UPDATE aliases SET version = ?, updated_at = ? WHERE model = ? AND alias = ?",
        [version, at, model, alias],
    )


def delete_alias(conn: duckdb.DuckDBPyConnection, model: str, alias: str) -> None:
    conn.execute("DELETE FROM aliases WHERE model = ? AND alias = ?", [model, alias])


def insert_alias_event(conn: duckdb.DuckDBPyConnection, event: Row) -> int:
    return insert_row(conn, "alias_events", event)


def alias_events(
    conn: duckdb.DuckDBPyConnection,
    model: str,
    alias: str | None = None,
    *,
    limit: int | None = None,
) -> list[Row]:
    """The alias moves of `model` (of one `alias`), oldest first; the last `limit` of them."""
    return rows_of(
        conn.execute(
            """SELECT * FROM (
                   SELECT * FROM alias_events WHERE model = ? AND (? IS NULL OR alias = ?)
                   ORDER BY id DESC LIMIT ?
               ) ORDER BY id""",
            [model, alias, alias, limit],
        )
    )


# tags


def set_tag(
    conn: duckdb.DuckDBPyConnection, model: str, version: int, key: str, value: str
) -> None:
    # a delete and an insert, not ON CONFLICT: a shared catalog has no key to conflict on
    conn.execute(
        "DELETE FROM tags WHERE model = ? AND version = ? AND key = ?", [model, version, key]
    )
    conn.execute("INSERT INTO tags VALUES (?, ?, ?, ?)", [model, version, key, value])


def version_tags(conn: duckdb.DuckDBPyConnection, model: str, version: int) -> dict[str, str]:
    rows = conn.execute(
        "SELECT key, value FROM tags WHERE model = ? AND version = ? ORDER BY key",
        [model, version],
    ).fetchall()
    return {key: value for key, value in rows}


def model_tags(conn: duckdb.DuckDBPyConnection, model: str) -> dict[int, dict[str, str]]:
    tags: dict[int, dict[str, str]] = {}
    for version, key, value in conn.execute(
        "SELECT version, key, value FROM tags WHERE model = ? ORDER BY version, key", [model]
    ).fetchall():
        tags.setdefault(version, {})[key] = value
    return tags


# reference profiles


def insert_profiles(conn: duckdb.DuckDBPyConnection, profiles: pd.DataFrame) -> None:
    """Append profile rows (model, version, position, feature, kind, stats) in one statement."""
    append_frame(conn, "profiles", profiles)


def insert_row(conn: duckdb.DuckDBPyConnection, table: str, record: Row) -> int:
    """Insert one row into a table with an `id` column and return its id.

    `table` and the keys of `record` come from this package, never from users.
    """
    new_id = next_id(conn, table)
    record = {"id": new_id} | actors.stamped(conn, record)
    columns = ", ".join(record)
    marks = ", ".join("?" for _ in record)
    conn.execute(f"INSERT INTO {table} ({columns}) VALUES ({marks})", list(record.values()))
    return new_id


def next_id(conn: duckdb.DuckDBPyConnection, table: str) -> int:
    """The id a new row of `table` takes: one past the highest. Writers take turns (the
    file's writer lock, a shared catalog's) and no row with an id is ever deleted, so ids
    are never given twice nor reused."""
    row = conn.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {table}").fetchone()
    assert row is not None
    return int(row[0])


def append_frame(
    conn: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame | pa.Table
) -> None:
    """Append a DataFrame (or an Arrow table) whose columns are named as `table`'s, in one
    statement.

    `table` and the column names come from this package, never from users.
    """
    names = getattr(frame, "column_names", None) or list(frame.columns)  # Arrow's, pandas'

    columns = ", ".join(names)
    conn.register("incoming_frame", frame)
    try:
        conn.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM incoming_frame")
    finally:
        conn.unregister("incoming_frame")


def version_profiles(conn: duckdb.DuckDBPyConnection, model: str, version: int) -> list[Row]:
    return rows_of(
        conn.execute(
            "SELECT feature, kind, stats FROM profiles WHERE model = ? AND version = ? "
            "ORDER BY position",
            [model, version],
        )
    )
