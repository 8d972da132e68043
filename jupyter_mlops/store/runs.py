"""The SQL of experiment tracking: runs, their step metrics and small artifacts."""

from __future__ import annotations

from typing import TYPE_CHECKING

import duckdb

from jupyter_mlops.store.catalog import Row, append_frame, insert_row, rows_of

# a point logged as NaN before NaN was kept is NULL in older registries: it reads as NaN
VALUE = "coalesce(value, 'NaN'::DOUBLE)"
# the order a metric's points were logged in: by step, then by when (a run logs each point
# a microsecond or more after the one before), the value only telling apart points an older
# version logged at the same instant. Not rowid: a shared catalog's is no insertion order.
LOGGED = "step, logged_at, value"

if TYPE_CHECKING:
    import pandas as pd


def insert_run(conn: duckdb.DuckDBPyConnection, run: Row) -> int:
    return insert_row(conn, "runs", run)


def finish_run(conn: duckdb.DuckDBPyConnection, run_id: int, changes: Row) -> None:
    assignments = ", ".join(f"{column} = ?" for column in changes)
    conn.execute(f"UPDATE runs SET {assignments} WHERE id = ?", [*changes.values(), run_id])


def append_metrics(conn: duckdb.DuckDBPyConnection, points: pd.DataFrame) -> None:
    """Append step points (run_id, key, step, value, logged_at) in one statement. A value
    that is NaN stays NaN: DuckDB reads NaN in a DataFrame as NULL, a point without a value,
    so the values go through Arrow, where NaN is a number."""
    import pyarrow as pa

    table = pa.Table.from_pandas(points, preserve_index=False)
    values = pa.array(points["value"].to_numpy(dtype="float64"), from_pandas=False)
    table = table.set_column(table.schema.get_field_index("value"), "value", values)
    append_frame(conn, "run_metrics", table)


def insert_artifact(
    conn: duckdb.DuckDBPyConnection, run_id: int, name: str, sha256: str, size: int, kind: str
) -> None:
    conn.execute(
        "INSERT INTO run_artifacts VALUES (?, ?, ?, ?, ?)", [run_id, name, sha256, size, kind]
    )


def get_run(conn: duckdb.DuckDBPyConnection, run_id: int) -> Row | None:
    rows = rows_of(conn.execute("SELECT * FROM runs WHERE id = ?", [run_id]))
    return rows[0] if rows else None


def run_ids(conn: duckdb.DuckDBPyConnection) -> list[int]:
    return [row[0] for row in conn.execute("SELECT id FROM runs ORDER BY id").fetchall()]


def experiments(conn: duckdb.DuckDBPyConnection) -> list[str]:
    rows = conn.execute("SELECT DISTINCT experiment FROM runs ORDER BY 1").fetchall()
    return [row[0] for row in rows]


def runs_of(
    conn: duckdb.DuckDBPyConnection, experiment: str | None, *, limit: int | None = None
) -> list[Row]:
    """Runs with the latest value of each metric (metric_keys, metric_values), in one query,
    newest first."""
    return rows_of(
        conn.execute(
            f"""
            WITH chosen AS (
                SELECT * FROM runs WHERE ?::VARCHAR IS NULL OR experiment = ?
            ), latest AS (
                SELECT m.run_id, m.key,
                       arg_max(coalesce(m.value, 'NaN'::DOUBLE), ({LOGGED})) AS value
                FROM run_metrics m JOIN chosen c ON c.id = m.run_id
                GROUP BY m.run_id, m.key
            ), per_run AS (
                SELECT run_id,
                       list(key ORDER BY key) AS metric_keys,
                       list(value ORDER BY key) AS metric_values
                FROM latest GROUP BY run_id
            )
            SELECT r.*, p.metric_keys, p.metric_values
            FROM chosen r LEFT JOIN per_run p ON p.run_id = r.id
            ORDER BY r.id DESC
            LIMIT ?
            """,
            [experiment, experiment, limit if limit is not None else 2**62],
        )
    )


def latest_metrics(
    conn: duckdb.DuckDBPyConnection, run_ids: list[int]
) -> dict[int, dict[str, float]]:
    """The value at the highest step of every metric of the given runs."""
    if not run_ids:
        return {}
    found: dict[int, dict[str, float]] = {}
    for run_id, key, value in conn.execute(
        f"SELECT run_id, key, arg_max({VALUE}, ({LOGGED})) FROM run_metrics "
        "WHERE list_contains(?, run_id) GROUP BY run_id, key ORDER BY run_id, key",
        [run_ids],
    ).fetchall():
        found.setdefault(run_id, {})[key] = value
    return found


def metric_history(conn: duckdb.DuckDBPyConnection, run_id: int) -> list[Row]:
    return rows_of(
        conn.execute(
            f"SELECT key, step, {VALUE} AS value, logged_at FROM run_metrics WHERE run_id = ? "
            f"ORDER BY key, {LOGGED}",
            [run_id],
        )
    )


def run_artifacts(conn: duckdb.DuckDBPyConnection, run_id: int) -> list[Row]:
    return rows_of(
        conn.execute(
            "SELECT name, sha256, bytes, kind FROM run_artifacts WHERE run_id = ? ORDER BY name",
            [run_id],
        )
    )


def versions_from_run(conn: duckdb.DuckDBPyConnection, run_id: int) -> list[tuple[str, int]]:
    rows = conn.execute(
        "SELECT model, version FROM versions WHERE run_id = ? ORDER BY model, version",
        [str(run_id)],
    ).fetchall()
    return [(model, version) for model, version in rows]
