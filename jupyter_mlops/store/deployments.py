"""SQL for the deployments table: which servers were started, where, and whether they stopped.

A row also holds what proves a pid is still its server (`process_start`, `nonce_sha256`)
and the key that stops it over HTTP (`stop_key`): read by undeploy, never displayed. A row
`migrate` copied from another registry is read with `copied_from`, that registry as shown
(`copied_deployments`); NULL for the registry's own.
"""

from __future__ import annotations

from datetime import datetime

import duckdb

from jupyter_mlops.store import actors
from jupyter_mlops.store.catalog import Row, insert_row, rows_of


def insert_deployment(conn: duckdb.DuckDBPyConnection, record: Row) -> int:
    return insert_row(conn, "deployments", record)


# each deployment with the registry it was copied from, if it was
_WITH_SOURCE = """SELECT d.*, c.source AS copied_from FROM deployments d
    LEFT JOIN (SELECT id, min(source) AS source FROM copied_deployments GROUP BY id) c
    ON c.id = d.id"""


def deployments_of(
    conn: duckdb.DuckDBPyConnection, *, model: str | None, running_only: bool
) -> list[Row]:
    return rows_of(
        conn.execute(
            f"""{_WITH_SOURCE}
               WHERE (? IS NULL OR d.model = ?) AND (NOT ? OR d.stopped_at IS NULL)
               ORDER BY d.id""",
            [model, model, running_only],
        )
    )


def deployment(conn: duckdb.DuckDBPyConnection, deployment_id: int) -> Row | None:
    found = rows_of(conn.execute(f"{_WITH_SOURCE} WHERE d.id = ?", [deployment_id]))
    return found[0] if found else None


def copied_sources(conn: duckdb.DuckDBPyConnection) -> dict[int, str]:
    """The deployments copied from another registry: id -> that registry, as shown."""
    rows = conn.execute("SELECT id, min(source) FROM copied_deployments GROUP BY id").fetchall()
    return {int(found): str(source) for found, source in rows}


def mark_copied(conn: duckdb.DuckDBPyConnection, sources: dict[int, str], *, at: datetime) -> int:
    """Record the deployments `sources` names as copied from those registries (those not
    recorded so already); how many were recorded."""
    new = {key: value for key, value in sources.items() if key not in copied_sources(conn)}
    for deployment_id, source in sorted(new.items()):
        conn.execute("INSERT INTO copied_deployments VALUES (?, ?, ?)", [deployment_id, source, at])
    return len(new)


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
