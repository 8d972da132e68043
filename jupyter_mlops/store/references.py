"""The SQL of what changes about a stored version: its monitoring reference, and the
append-only `version_events` audit trail of such changes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import duckdb

from jupyter_mlops.store.catalog import Row, append_frame, insert_row, rows_of

if TYPE_CHECKING:
    import pandas as pd


def replace_reference(
    conn: duckdb.DuckDBPyConnection,
    model: str,
    version: int,
    *,
    sha256: str,
    source: str,
    rows: int,
    profile: pd.DataFrame,
) -> None:
    """Point a version at a new reference sample and replace its profile (one transaction)."""
    conn.execute(
        "UPDATE versions SET reference_sha256 = ?, reference_source = ?, reference_rows = ? "
        "WHERE model = ? AND version = ?",
        [sha256, source, rows, model, version],
    )
    conn.execute("DELETE FROM profiles WHERE model = ? AND version = ?", [model, version])
    append_frame(conn, "profiles", profile)


def insert_version_event(conn: duckdb.DuckDBPyConnection, event: dict[str, Any]) -> int:
    return insert_row(conn, "version_events", event)


def version_events(
    conn: duckdb.DuckDBPyConnection,
    model: str,
    version: int | None = None,
    *,
    limit: int | None = None,
) -> list[Row]:
    """The changes to `model`'s versions (to one `version`), oldest first; the last
    `limit` of them."""
    return rows_of(
        conn.execute(
            """SELECT * FROM (
                   SELECT * FROM version_events WHERE model = ? AND (version = ? OR ? IS NULL)
                   ORDER BY id DESC LIMIT ?
               ) ORDER BY id""",
            [model, version, version, limit],
        )
    )
