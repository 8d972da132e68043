"""SQL for the deployments table: which servers were started, where, and whether they stopped.

A row also holds what proves a pid is still its server (`process_start`, `nonce_sha256`)
and the key that stops it over HTTP (`stop_key`): read by undeploy, never displayed.
"""

from __future__ import annotations

from datetime import datetime

import duckdb

from jupyter_mlops.store import actors
from jupyter_mlops.store.catalog import Row, insert_row, rows_of


def insert_deployment(conn: duckdb.DuckDBPyConnection, record: Row) -> int:
    return insert_row(conn, "deployments", record)


def deployments_of(
    conn: duckdb.DuckDBPyConnection, *, model: str | None, running_only: bool
) -> list[Row]:
    return rows_of(
        conn.execute(
            """SELECT * FROM deployments
               WHERE (? IS NULL OR model = ?) AND (NOT ? OR stopped_at IS NULL)
               ORDER BY id""",
            [model, model, running_only],
        )
    )


def deployment(conn: duckdb.DuckDBPyConnection, deployment_id: int) -> Row | None:
    found = rows_of(conn.execute("SELECT * FROM deployments WHERE id = ?", [deployment_id]))
    return found[0] if found else None


def mark_stopped(
    conn: duckdb.DuckDBPyConnection,
    deployment_id: int,
    *,
    at: datetime,
    final: dict[str, int] | None = None,
    by: str | None = None,
) -> None:
    """Record a stop (the first one counts), who stopped it (the first who says: None says
    nothing) and, from the server itself, what it served."""
    final = final or {}
    stopper = actors.user(conn, by) if by is not None else None
    conn.execute(
        "UPDATE deployments SET stopped_at = coalesce(stopped_at, ?), "
        "stopped_by = coalesce(stopped_by, ?), "
        "final_version = coalesce(?, final_version), "
        "final_requests = coalesce(?, final_requests), final_errors = coalesce(?, final_errors) "
        "WHERE id = ?",
        [
            at,
            stopper,
            final.get("version"),
            final.get("requests"),
            final.get("errors"),
            deployment_id,
        ],
    )
