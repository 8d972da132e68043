"""SQL for the schedules table, and the newest run of each schedule in the jobs table.

A schedule's row is written in the same transaction that installs its crontab entry, so
a failed install records nothing; a removed schedule keeps its row, with `removed_at`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import duckdb

from jupyter_mlops.store.catalog import Row, insert_row, rows_of


def insert_schedule(conn: duckdb.DuckDBPyConnection, record: Row) -> int:
    return insert_row(conn, "schedules", record)


def set_installed(
    conn: duckdb.DuckDBPyConnection, schedule_id: int, *, command: str, backend_id: str
) -> None:
    """What was installed for the schedule: the command its entry runs and the entry's tag."""
    conn.execute(
        "UPDATE schedules SET command = ?, backend_id = ? WHERE id = ?",
        [command, backend_id, schedule_id],
    )


def find_schedule(conn: duckdb.DuckDBPyConnection, schedule_id: int) -> Row | None:
    found = rows_of(conn.execute("SELECT * FROM schedules WHERE id = ?", [schedule_id]))
    return found[0] if found else None


def schedules_of(
    conn: duckdb.DuckDBPyConnection, *, model: str | None, removed: bool = False
) -> list[Row]:
    """The schedules (of `model`), oldest first; removed ones only when asked for."""
    return rows_of(
        conn.execute(
            """SELECT * FROM schedules
               WHERE (? IS NULL OR model = ?) AND (? OR removed_at IS NULL)
               ORDER BY id""",
            [model, model, removed],
        )
    )


def mark_removed(conn: duckdb.DuckDBPyConnection, schedule_id: int, *, at: datetime) -> None:
    conn.execute(
        "UPDATE schedules SET removed_at = coalesce(removed_at, ?) WHERE id = ?",
        [at, schedule_id],
    )


def last_jobs(conn: duckdb.DuckDBPyConnection, schedule_ids: Iterable[int]) -> dict[int, Row]:
    """The newest job of each of these schedules (a schedule that never ran has none)."""
    ids = list(schedule_ids)
    if not ids:
        return {}
    rows = rows_of(
        conn.execute(
            """SELECT schedule_id, id, status, started_at, finished_at, exit_code
               FROM jobs WHERE list_contains(?, schedule_id)
               QUALIFY row_number() OVER (
                   PARTITION BY schedule_id ORDER BY started_at DESC, id DESC) = 1""",
            [ids],
        )
    )
    return {int(row["schedule_id"]): row for row in rows}
