"""SQL of the jobs a notebook runs as: their rows, what their notebooks recorded (checks, the
alerts those fired), the rules firing at their end, and when a schedule's last run started
(its row is read by `store.schedules.find_schedule`).

Every function takes an open connection (inside the caller's transaction) and plain values;
rows come back as dicts keyed by column name.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import duckdb

from jupyter_mlops.store.catalog import Row, insert_row, rows_of

# the columns a finished job sets, named by this package only
FINISHED = frozenset(
    {
        "status",
        "finished_at",
        "seconds",
        "exit_code",
        "message",
        "output_sha256",
        "output_bytes",
        "failed_cell",
        "detail",
    }
)


def insert_job(conn: duckdb.DuckDBPyConnection, record: dict[str, Any]) -> int:
    """A new `jobs` row; its id."""
    return insert_row(conn, "jobs", record)


def update_job(conn: duckdb.DuckDBPyConnection, job_id: int, changes: dict[str, Any]) -> None:
    """Set some of a job's columns (those of `FINISHED`) in place."""
    assert changes and set(changes) <= FINISHED, sorted(changes)
    columns = ", ".join(f"{name} = ?" for name in changes)
    conn.execute(f"UPDATE jobs SET {columns} WHERE id = ?", [*changes.values(), job_id])


def job_row(conn: duckdb.DuckDBPyConnection, job_id: int) -> Row | None:
    rows = rows_of(conn.execute("SELECT * FROM jobs WHERE id = ?", [job_id]))
    return rows[0] if rows else None


def job_rows(conn: duckdb.DuckDBPyConnection, model: str | None, *, limit: int) -> list[Row]:
    """The newest `limit` jobs (of `model`; of every model: None), newest first: by when
    each started (a 'missed' row by when its first run was due), then by id."""
    return rows_of(
        conn.execute(
            """SELECT * FROM jobs WHERE ? IS NULL OR model = ?
               ORDER BY started_at DESC, id DESC LIMIT ?""",
            [model, model, limit],
        )
    )


def models_with_jobs(conn: duckdb.DuckDBPyConnection) -> list[str]:
    """The models some job ran for, by name."""
    rows = conn.execute("SELECT DISTINCT model FROM jobs WHERE model IS NOT NULL ORDER BY model")
    return [str(row[0]) for row in rows.fetchall()]


def running_job(
    conn: duckdb.DuckDBPyConnection,
    *,
    schedule_id: int | None,
    notebook: str,
    parameters: str,
) -> Row | None:
    """The newest job still 'running' of a schedule (unscheduled: of the same notebook and
    parameters): the run a new one overlaps."""
    rows = rows_of(
        conn.execute(
            """SELECT * FROM jobs WHERE status = 'running' AND (
                   (? IS NOT NULL AND schedule_id = ?)
                   OR (? IS NULL AND schedule_id IS NULL AND notebook = ? AND parameters = ?))
               ORDER BY id DESC LIMIT 1""",
            [schedule_id, schedule_id, schedule_id, notebook, parameters],
        )
    )
    return rows[0] if rows else None


def running_job_of(conn: duckdb.DuckDBPyConnection, *, pid: int, host: str) -> Row | None:
    """The job still 'running' that the runner `pid` on `host` recorded, if any."""
    rows = rows_of(
        conn.execute(
            """SELECT * FROM jobs WHERE status = 'running' AND pid = ? AND host = ?
               ORDER BY id DESC LIMIT 1""",
            [pid, host],
        )
    )
    return rows[0] if rows else None


def last_run_started(conn: duckdb.DuckDBPyConnection, schedule_id: int) -> datetime | None:
    """When the newest run of a schedule started (a 'missed' row is no run); None: never."""
    row = conn.execute(
        "SELECT max(started_at) FROM jobs WHERE schedule_id = ? AND status <> 'missed'",
        [schedule_id],
    ).fetchone()
    return None if row is None else row[0]


# what a job's notebook recorded, and what fires


def job_checks(conn: duckdb.DuckDBPyConnection, job_id: int) -> list[int]:
    """The ids of the checks a job's notebook recorded, oldest first."""
    rows = conn.execute("SELECT id FROM checks WHERE job_id = ? ORDER BY id", [job_id])
    return [int(row[0]) for row in rows.fetchall()]


def fired_in(conn: duckdb.DuckDBPyConnection, check_ids: list[int]) -> list[Row]:
    """The alerts those checks fired: rule, its expression, the check."""
    if not check_ids:
        return []
    return rows_of(
        conn.execute(
            """SELECT e.rule_id AS rule, r.ref, r.expression, e.check_id AS "check"
               FROM alert_events e JOIN alert_rules r ON r.id = e.rule_id
               WHERE e.kind = 'fired' AND list_contains(?, e.check_id) ORDER BY e.id""",
            [check_ids],
        )
    )


def firing_rules(conn: duckdb.DuckDBPyConnection, model: str) -> list[Row]:
    """The rules of `model` (not removed) whose condition held at their last check."""
    return rows_of(
        conn.execute(
            """SELECT id AS rule, ref, expression, state_since AS since FROM alert_rules
               WHERE model = ? AND removed_at IS NULL AND state = 'firing' ORDER BY id""",
            [model],
        )
    )
