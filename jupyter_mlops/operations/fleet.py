"""The fleet overview: every model with its aliases, deployments, newest check and health.

Everything is read in one transaction, a handful of queries for all models at once
(`store/fleet.py`), from stored check results and rule states, never a prediction log; the
health is `monitoring.health`'s rule. Running servers are asked for their numbers all at
once, each within a short timeout (`deploying.with_health`).
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from jupyter_mlops.automation.records import Job
from jupyter_mlops.deploying.control import with_health
from jupyter_mlops.deploying.records import Deployment
from jupyter_mlops.errors import InvalidArgumentError, did_you_mean
from jupyter_mlops.monitoring.health import (
    HEALTHS,
    DriftReading,
    FiringRule,
    MetricReading,
    judge,
    registered_value,
)
from jupyter_mlops.monitoring.multivariate import THRESHOLD
from jupyter_mlops.operations.fleet_records import (
    Fleet,
    LastCheck,
    LastJob,
    ModelHealth,
    Served,
)
from jupyter_mlops.registry import Registry
from jupyter_mlops.registry.display import counted
from jupyter_mlops.registry.outputs import PREDICTION
from jupyter_mlops.store import deployments as deployments_sql
from jupyter_mlops.store import fleet as sql
from jupyter_mlops.store.catalog import Row

SHOWN_METRICS = 3  # of the newest check's metrics, how many its verdict names


def fleet(registry: Registry, *, name: str | None = None, health: str | None = None) -> Fleet:
    """Every model (whose name contains `name`; whose health is `health`): its aliases,
    latest version, deployments, newest check, and health with the evidence, worst first."""
    wanted = _health(health)
    with registry.db.read() as conn:
        gathered = _Gathered(
            models=sql.models(conn),
            aliases=sql.aliases(conn),
            checks=sql.last_checks(conn),
            drift=sql.last_drift(conn),
            metrics=sql.last_metrics(conn),
            firing=sql.firing_rules(conn),
            deployments=deployments_sql.deployments_of(conn, model=None, running_only=False),
            schedules=sql.schedule_counts(conn),
            jobs=sql.last_jobs(conn),
        )
    kept = [m for m in gathered.models if not name or name.lower() in m["name"].lower()]
    served = _served(gathered.deployments, {m["name"] for m in kept})
    rows = [gathered.row(m, served.get(m["name"], [])) for m in kept]
    rows = [row for row in rows if wanted is None or row.health == wanted]
    rows.sort(key=lambda row: (HEALTHS.index(row.health), row.name))
    return Fleet(rows, name=name, health=wanted, total=len(gathered.models))


def _health(health: str | None) -> str | None:
    if health is None:
        return None
    spelled = health.strip().lower().replace("-", " ").replace("_", " ")
    if spelled not in HEALTHS:
        raise InvalidArgumentError(
            f"health {health!r} is not one of {', '.join(HEALTHS)}"
            f"{did_you_mean(spelled, HEALTHS)}; give one of them."
        )
    return spelled


class _Gathered:
    """What the queries returned, keyed by model, and each model's row built from it."""

    def __init__(self, **found: list[Row]) -> None:
        self.models = found["models"]
        self.deployments = found["deployments"]
        self.aliases: dict[str, dict[str, int]] = defaultdict(dict)
        for row in found["aliases"]:
            self.aliases[row["model"]][row["alias"]] = int(row["version"])
        self.checks = {row["model"]: row for row in found["checks"]}
        self.drift = {row["model"]: _drift(row) for row in found["drift"]}
        self.metrics: dict[str, list[MetricReading]] = defaultdict(list)
        for row in found["metrics"]:
            self.metrics[row["model"]].append(_metric(row))
        self.firing: dict[str, list[FiringRule]] = defaultdict(list)
        for row in found["firing"]:
            rule = FiringRule(int(row["id"]), row["expression"], row["state_since"])
            self.firing[row["model"]].append(rule)
        self.schedules = {row["model"]: int(row["schedules"]) for row in found["schedules"]}
        self.jobs = {row["model"]: _job(row) for row in found["jobs"]}

    def row(self, model: Row, deployments: list[Served]) -> ModelHealth:
        name = model["name"]
        check, drift = self.checks.get(name), self.drift.get(name)
        metrics, firing = self.metrics.get(name, []), self.firing.get(name, [])
        judged = judge(checked=check is not None, firing=firing, metrics=metrics, drift=drift)
        return ModelHealth(
            name=name,
            description=model["description"] or "",
            versions=int(model["versions"]),
            latest=model["latest"],
            aliases=dict(self.aliases.get(name, {})),
            deployments=deployments,
            last_check=None if check is None else _last(check, drift, metrics, firing),
            health=judged.state,
            why=judged.why,
            schedules=self.schedules.get(name, 0),
            last_job=self.jobs.get(name),
        )


def _job(row: Row) -> LastJob:
    """The newest job as its record reads it (a runner gone mid-run: 'crashed')."""
    job = Job.from_row(row)
    return LastJob(job.id, job.status, job.started_at, job.took, job.schedule_id, job.message)


def _drift(row: Row) -> DriftReading:
    summary = _summary(row["summary"])
    auc = summary.get("multivariate_auc")
    drifted = list(row["drifted"] or [])
    return DriftReading(  # the model's output is judged as a column, but is no feature
        check_id=int(row["check_id"]),
        features=int(row["features"]) - bool(row["output_judged"]),
        drifted=[name for name in drifted if name != PREDICTION],
        output_drifted=PREDICTION in drifted,
        multivariate_auc=float(auc) if isinstance(auc, int | float) else None,
        multivariate_threshold=THRESHOLD,
    )


def _metric(row: Row) -> MetricReading:
    registered = _summary(row["registered"])
    return MetricReading(
        check_id=int(row["check_id"]),
        metric=row["metric"],
        version=int(row["version"]),
        value=row["value"],
        ci_low=row["ci_low"],
        ci_high=row["ci_high"],
        estimated=bool(row["estimated"]),
        registered=registered_value(registered, row["metric"]),
    )


def _summary(text: str | None) -> dict[str, Any]:
    try:
        found = json.loads(text or "{}")
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def _last(
    check: Row,
    drift: DriftReading | None,
    metrics: list[MetricReading],
    firing: list[FiringRule],
) -> LastCheck:
    """The newest check with its verdict in words: `2 of 9 features drifted; auc 0.81;
    1 rule firing`."""
    check_id = int(check["id"])
    said = []
    if drift is not None and drift.check_id == check_id:
        said.append(drift.described())
    measured = [m for m in metrics if m.check_id == check_id and m.value is not None]
    measured.sort(key=lambda m: m.estimated)
    if measured:
        said.append(", ".join(_measured(m) for m in measured[:SHOWN_METRICS]))
    if firing or check["kind"] == "check":
        said.append(f"{counted(len(firing), 'rule')} firing" if firing else "no rule firing")
    return LastCheck(
        id=check_id,
        kind=check["kind"],
        version=int(check["version"]),
        at=check["started_at"],
        verdict="; ".join(said) or "nothing measured",
    )


def _measured(metric: MetricReading) -> str:
    kind = "estimated " if metric.estimated else ""
    return f"{kind}{metric.metric} {metric.value:.3g}"


def _served(rows: list[Row], models: set[str]) -> dict[str, list[Served]]:
    """Each model's deployments not stopped, or when it has none the one stopped last,
    with what its running servers say of themselves, asked all at once."""
    kept: dict[str, list[Deployment]] = defaultdict(list)
    last_stopped: dict[str, Deployment] = {}
    for row in rows:
        if row["model"] not in models:
            continue
        found = Deployment.from_row(row)
        if found.stopped_at is None:
            kept[found.model].append(found)
        else:
            last_stopped[found.model] = found  # rows come oldest first
    for model, found in last_stopped.items():
        kept.setdefault(model, [found])
    asked = with_health([d for found in kept.values() for d in found])
    served: dict[str, list[Served]] = defaultdict(list)
    for d in asked:
        served[d.model].append(
            Served(d.id, d.ref, d.status, d.url, d.version, d.requests, d.errors)
        )
    return served
