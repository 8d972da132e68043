"""SQL for the fleet overview: what every model's health and row need, for all models at once.

Each function is one query over every model (never one per model), so the fleet of a
hundred models reads in a handful of queries whatever its history; each reads stored
check results and rule states only, never a prediction log.
"""

from __future__ import annotations

import duckdb

from jupyter_mlops.store.catalog import Row, rows_of


def models(conn: duckdb.DuckDBPyConnection) -> list[Row]:
    """Every model: name, description, how many versions, the newest one not archived."""
    return rows_of(
        conn.execute(
            """SELECT m.name, m.description, count(v.version) AS versions,
                      coalesce(max(v.version) FILTER (WHERE v.status <> 'archived'),
                               max(v.version)) AS latest
               FROM models m LEFT JOIN versions v ON v.model = m.name
               GROUP BY ALL ORDER BY m.name"""
        )
    )


def aliases(conn: duckdb.DuckDBPyConnection) -> list[Row]:
    return rows_of(conn.execute("SELECT model, alias, version FROM aliases ORDER BY model, alias"))


def last_checks(conn: duckdb.DuckDBPyConnection) -> list[Row]:
    """Each model's newest check of any kind: id, version, kind, when, its summary."""
    return rows_of(
        conn.execute(
            """SELECT model, id, version, kind, started_at, summary FROM checks
               QUALIFY row_number() OVER (PARTITION BY model ORDER BY id DESC) = 1"""
        )
    )


def last_drift(conn: duckdb.DuckDBPyConnection) -> list[Row]:
    """Each model's newest drift verdict: its check, the columns judged, those drifted (the
    deciding test's verdict), whether the model's output (`__prediction__`) was one of them,
    and the check's summary (its multivariate AUC)."""
    return rows_of(
        conn.execute(
            """WITH newest AS (
                   SELECT model, max(id) AS check_id FROM checks
                   WHERE id IN (SELECT check_id FROM check_results) GROUP BY model)
               SELECT n.model, n.check_id, c.summary,
                      count(*) AS features,
                      coalesce(list(r.feature ORDER BY r.feature) FILTER (WHERE r.drifted),
                               []) AS drifted,
                      bool_or(r.feature = '__prediction__') AS output_judged
               FROM newest n JOIN checks c ON c.id = n.check_id
                    JOIN check_results r ON r.check_id = n.check_id AND r.chosen
               GROUP BY ALL"""
        )
    )


def last_metrics(conn: duckdb.DuckDBPyConnection) -> list[Row]:
    """The metrics of the newest window (per version whose rows it scored, realised and
    estimated apart) of each model's newest check that measured any, beside the metrics
    registered with that version (JSON)."""
    return rows_of(
        conn.execute(
            """WITH newest AS (
                   SELECT model, max(id) AS check_id FROM checks
                   WHERE id IN (SELECT check_id FROM metric_results) GROUP BY model),
               measured AS (
                   SELECT n.model, n.check_id, coalesce(m.version, c.version) AS version,
                          m.metric, m.estimated, m.value, m.ci_low, m.ci_high, m.window_start,
                          coalesce(m.block, 0) AS block
                   FROM newest n JOIN checks c ON c.id = n.check_id
                        JOIN metric_results m ON m.check_id = n.check_id)
               SELECT d.model, d.check_id, d.version, d.metric, d.estimated, d.value,
                      d.ci_low, d.ci_high, v.metrics AS registered
               FROM measured d LEFT JOIN versions v
                    ON v.model = d.model AND v.version = d.version
               QUALIFY rank() OVER (PARTITION BY d.model, d.version, d.estimated
                                    ORDER BY d.window_start DESC NULLS LAST, d.block DESC) = 1
               ORDER BY d.model, d.version, d.estimated, d.metric"""
        )
    )


def firing_rules(conn: duckdb.DuckDBPyConnection) -> list[Row]:
    """Every alert rule not removed whose stored state is firing, oldest first."""
    return rows_of(
        conn.execute(
            """SELECT model, id, expression, state_since FROM alert_rules
               WHERE removed_at IS NULL AND state = 'firing'
               ORDER BY model, state_since, id"""
        )
    )


def schedule_counts(conn: duckdb.DuckDBPyConnection) -> list[Row]:
    """How many schedules not removed each model has."""
    return rows_of(
        conn.execute(
            """SELECT model, count(*) AS schedules FROM schedules
               WHERE removed_at IS NULL AND model IS NOT NULL GROUP BY model"""
        )
    )


def last_jobs(conn: duckdb.DuckDBPyConnection) -> list[Row]:
    """Each model's newest job (by when it started, as `jobs` lists them), its whole row."""
    return rows_of(
        conn.execute(
            """SELECT * FROM jobs WHERE model IS NOT NULL
               QUALIFY row_number() OVER (
                   PARTITION BY model ORDER BY started_at DESC, id DESC) = 1"""
        )
    )
