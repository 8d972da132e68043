"""SQL for what monitoring records: checks, their results, settings, alert rules and events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import duckdb
import pandas as pd

from jupyter_mlops.store import actors
from jupyter_mlops.store.catalog import Row, append_frame, insert_row, rows_of

# checks and their results


def insert_check(conn: duckdb.DuckDBPyConnection, record: dict[str, Any]) -> int:
    return insert_row(conn, "checks", record)


def append_results(conn: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    """Append rows to `check_results` or `metric_results`."""
    assert table in ("check_results", "metric_results")
    if len(frame):
        append_frame(conn, table, frame)


def checks_of(conn: duckdb.DuckDBPyConnection, model: str, *, limit: int) -> list[Row]:
    return rows_of(
        conn.execute(
            "SELECT * FROM checks WHERE model = ? ORDER BY id DESC LIMIT ?", [model, limit]
        )
    )


def drift_history(conn: duckdb.DuckDBPyConnection, model: str) -> pd.DataFrame:
    """Every recorded drift verdict of a model (the deciding test per feature), oldest first."""
    return conn.execute(
        """SELECT c.id AS check_id, c.version, c.started_at, c.source, c.window_start,
                  c.window_end, c.rows AS window_rows, r.feature, r.kind, r.test, r.statistic,
                  r.p_value, r.threshold, r.drifted
           FROM checks c JOIN check_results r ON r.check_id = c.id
           WHERE c.model = ? AND r.chosen
           ORDER BY c.id, r.feature""",
        [model],
    ).df()


def latest_verdicts(
    conn: duckdb.DuckDBPyConnection, model: str, version: int, feature: str
) -> list[Row]:
    """The verdicts (deciding test, missing, unseen) of `feature` in the newest drift check of
    a version that measured it; none when no check did."""
    return rows_of(
        conn.execute(
            """WITH newest AS (
                   SELECT max(c.id) AS id FROM checks c
                   JOIN check_results r ON r.check_id = c.id
                   WHERE c.model = ? AND c.version = ? AND r.feature = ? AND r.chosen)
               SELECT c.id AS check_id, c.started_at, c.source, c.window_start, c.window_end,
                      r.test, r.statistic, r.p_value, r.threshold, r.drifted, r.rows
               FROM newest JOIN checks c ON c.id = newest.id
               JOIN check_results r ON r.check_id = c.id
               WHERE r.feature = ? AND r.chosen
               ORDER BY r.test""",
            [model, version, feature, feature],
        )
    )


def metric_history(conn: duckdb.DuckDBPyConnection, model: str) -> pd.DataFrame:
    return conn.execute(
        """SELECT c.id AS check_id, coalesce(m.version, c.version) AS version, c.kind,
                  m.window_start, m.window_end, coalesce(m.block, 0) AS block, m.metric,
                  m.estimated, m.value, m.ci_low, m.ci_high, m.rows
           FROM checks c JOIN metric_results m ON m.check_id = c.id
           WHERE c.model = ? ORDER BY c.id, m.window_start, block, m.metric""",
        [model],
    ).df()


# drift settings


def drift_settings(conn: duckdb.DuckDBPyConnection, model: str) -> dict[str, dict[str, Any]]:
    rows = conn.execute(
        "SELECT feature, test, threshold FROM drift_settings WHERE model = ?", [model]
    ).fetchall()
    return {feature: {"test": test, "threshold": threshold} for feature, test, threshold in rows}


def set_drift_setting(
    conn: duckdb.DuckDBPyConnection,
    model: str,
    feature: str,
    *,
    test: str | None,
    threshold: float | None,
    at: datetime,
    by: str,
) -> None:
    conn.execute("DELETE FROM drift_settings WHERE model = ? AND feature = ?", [model, feature])
    if test is not None or threshold is not None:
        conn.execute(
            "INSERT INTO drift_settings VALUES (?, ?, ?, ?, ?, ?)",
            [model, feature, test, threshold, at, actors.user(conn, by)],
        )


# alert rules and events


def insert_rule(conn: duckdb.DuckDBPyConnection, record: dict[str, Any]) -> int:
    return insert_row(conn, "alert_rules", record)


def rules_of(conn: duckdb.DuckDBPyConnection, model: str | None) -> list[Row]:
    return rows_of(
        conn.execute(
            """SELECT * FROM alert_rules
               WHERE removed_at IS NULL AND (? IS NULL OR model = ?) ORDER BY id""",
            [model, model],
        )
    )


def rule(conn: duckdb.DuckDBPyConnection, rule_id: int) -> Row | None:
    rows = rows_of(
        conn.execute("SELECT * FROM alert_rules WHERE id = ? AND removed_at IS NULL", [rule_id])
    )
    return rows[0] if rows else None


def remove_rule(conn: duckdb.DuckDBPyConnection, rule_id: int, *, at: datetime) -> None:
    conn.execute("UPDATE alert_rules SET removed_at = ? WHERE id = ?", [at, rule_id])


def set_rule_state(
    conn: duckdb.DuckDBPyConnection, rule_id: int, state: str, *, since: datetime
) -> None:
    conn.execute(
        "UPDATE alert_rules SET state = ?, state_since = ? WHERE id = ?", [state, since, rule_id]
    )


def last_events(conn: duckdb.DuckDBPyConnection, rule_ids: list[int]) -> dict[int, str]:
    """The kind of each rule's newest alert event (`fired` or `recovered`); a rule that
    never fired has none."""
    if not rule_ids:
        return {}
    rows = conn.execute(
        """SELECT rule_id, arg_max(kind, id) FROM alert_events
           WHERE list_contains(?, rule_id) GROUP BY rule_id""",
        [rule_ids],
    ).fetchall()
    return {int(rule_id): str(kind) for rule_id, kind in rows}


def insert_event(conn: duckdb.DuckDBPyConnection, record: dict[str, Any]) -> int:
    return insert_row(conn, "alert_events", record)


def set_event_delivery(
    conn: duckdb.DuckDBPyConnection,
    event_id: int,
    *,
    delivered: bool,
    attempts: int,
    error: str | None,
    note: str | None = None,
) -> None:
    conn.execute(
        "UPDATE alert_events SET delivered = ?, attempts = ?, error = ?, note = ? WHERE id = ?",
        [delivered, attempts, error, note, event_id],
    )


def events_of(conn: duckdb.DuckDBPyConnection, model: str | None, *, limit: int) -> list[Row]:
    """The newest `limit` alert events of `model` (of every model: None), newest first."""
    return rows_of(
        conn.execute(
            """SELECT e.id, r.model, e.rule_id, r.expression, r.notify, e.check_id, e.kind,
                      e.occurred_at, e.delivered, e.attempts, e.error, e.details,
                      e.note
               FROM alert_events e JOIN alert_rules r ON r.id = e.rule_id
               WHERE ? IS NULL OR r.model = ? ORDER BY e.id DESC LIMIT ?""",
            [model, model, limit],
        )
    )
