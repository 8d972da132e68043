"""Storing what checks found: one `checks` row per window, its results as table rows; a
check a job's notebook records carries the job's id ($MLOPS_JOB_ID)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from jupyter_mlops.config import job_id
from jupyter_mlops.monitoring.metrics import PerformanceReport
from jupyter_mlops.monitoring.report import DriftReport
from jupyter_mlops.registry import Registry
from jupyter_mlops.registry.capture import current_user
from jupyter_mlops.registry.records import Version
from jupyter_mlops.store import monitoring as sql


def _naive(moment: datetime | None) -> datetime | None:
    if moment is None or moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def check_record(
    version: Version,
    *,
    kind: str,
    source: str,
    rows: int,
    started: datetime,
    seconds: float,
    summary: dict[str, Any],
    window: tuple[datetime | None, datetime | None] = (None, None),
) -> dict[str, Any]:
    return {
        "model": version.model,
        "version": version.version,
        "kind": kind,
        "source": source,
        "window_start": _naive(window[0]),
        "window_end": _naive(window[1]),
        "rows": rows,
        "started_at": _naive(started),
        "seconds": seconds,
        "created_by": current_user(),
        "summary": json.dumps(summary, default=str),
        "job_id": job_id(),  # recorded by a job's notebook: which job
    }


def drift_rows(check_id: int, report: DriftReport) -> pd.DataFrame:
    """Every statistic computed, one row per feature and test; `chosen` marks the verdict's."""
    rows = []
    for f in report.features:
        for test, (statistic, p_value) in f.statistics.items():
            chosen = test == f.test
            rows.append(
                {
                    "check_id": check_id,
                    "feature": f.feature,
                    "kind": f.kind,
                    "test": test,
                    "statistic": statistic,
                    "p_value": f.p_value if chosen else p_value,
                    "threshold": f.threshold if chosen else None,
                    "drifted": f.drifted if chosen else None,
                    "chosen": chosen,
                    "rows": f.rows,
                }
            )
        if f.test not in f.statistics:  # no statistic could be computed (no values)
            rows.append(
                {
                    "check_id": check_id,
                    "feature": f.feature,
                    "kind": f.kind,
                    "test": f.test,
                    "statistic": None,
                    "p_value": None,
                    "threshold": f.threshold,
                    "drifted": f.drifted,
                    "chosen": True,
                    "rows": f.rows,
                }
            )
    return pd.DataFrame(rows)


def metric_rows(check_id: int, report: PerformanceReport) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "check_id": check_id,
                "window_start": _naive(m.window_start),
                "window_end": _naive(m.window_end),
                "metric": m.metric,
                "estimated": m.estimated,
                "value": m.value,
                "ci_low": m.ci_low,
                "ci_high": m.ci_high,
                "rows": m.rows,
                "version": m.version,
                "block": m.block,
            }
            for m in report.metrics
        ]
    )


def drift_summary(report: DriftReport) -> dict[str, Any]:
    summary: dict[str, Any] = {"share": report.share, "drifted": report.drifted}
    if report.multivariate is not None:
        summary["multivariate_auc"] = report.multivariate.auc
    if report.extra_columns:
        summary["extra_columns"] = report.extra_columns
    return summary


def save_drift(registry: Registry, version: Version, report: DriftReport, started: datetime) -> int:
    record = check_record(
        version,
        kind="drift",
        source=report.source,
        rows=report.rows,
        started=started,
        seconds=report.seconds,
        summary=drift_summary(report),
        window=(report.window_start, report.window_end),
    )
    with registry.db.write() as conn:
        check_id = sql.insert_check(conn, record)
        sql.append_results(conn, "check_results", drift_rows(check_id, report))
    return check_id


def save_metrics(registry: Registry, version: Version, report: PerformanceReport, kind: str) -> int:
    starts = [m.window_start for m in report.metrics if m.window_start]
    ends = [m.window_end for m in report.metrics if m.window_end]
    record = check_record(
        version,
        kind=kind,
        source="the prediction and label logs",
        rows=sum(
            m.rows for m in report.metrics if m.metric in ("accuracy", "mae") and not m.estimated
        )
        or sum(m.rows for m in report.metrics if m.metric == "accuracy"),
        started=datetime.now(UTC),
        seconds=report.seconds,
        summary=report.values(),
        window=(min(starts, default=None), max(ends, default=None)),
    )
    with registry.db.write() as conn:
        check_id = sql.insert_check(conn, record)
        sql.append_results(conn, "metric_results", metric_rows(check_id, report))
    return check_id
