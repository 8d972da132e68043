"""A check: drift, performance and estimate of one window, every alert rule evaluated on
them, the outcome recorded, the alerts delivered.

The check and the rules' new states are written in one transaction (so two checks
at once cannot both fire the same alert); delivery happens after it, outside the
registry's lock, every target at once and each within its deadline (see `delivery`), and
its outcome is written back. An alert whose delivery failed stays in the alert log with
the error, its targets shown with their passwords masked.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from jupyter_mlops.clock import utc_now
from jupyter_mlops.errors import Command, Face, MlopsError, Note
from jupyter_mlops.jsonable import fields_of, jsonable
from jupyter_mlops.monitoring import actions, recording, unknowns
from jupyter_mlops.monitoring.actions import is_action
from jupyter_mlops.monitoring.alerts import (
    FIRED,
    FIRING,
    OK,
    UNKNOWN,
    Alert,
    AlertList,
    AlertRule,
    Evaluation,
    evaluate,
)
from jupyter_mlops.monitoring.delivery import deliver_all, shown
from jupyter_mlops.monitoring.metrics import PerformanceReport
from jupyter_mlops.monitoring.report import DriftReport
from jupyter_mlops.monitoring.rules import Rule, producible
from jupyter_mlops.registry.display import counted, html_table, text_table
from jupyter_mlops.registry.records import Version
from jupyter_mlops.shown import spelled
from jupyter_mlops.store import monitoring as sql

if TYPE_CHECKING:
    import duckdb

    from jupyter_mlops.registry import Registry


_STILL = {FIRING: "still firing", UNKNOWN: "unknown: see the note"}
RULE = "drift.share > 0.3"  # the rule the note offers as an example
NO_RULES = Note(
    "no alert rules (add one with `",
    Command("alert add", f"REF {RULE!r}", python=f"monitor.add_alert(REF, {RULE!r})"),
    "`)",
)


@dataclass
class CheckResult:
    """What one check found and what it set off."""

    model: str
    version: int
    check_id: int
    drift: DriftReport
    performance: PerformanceReport | None
    values: dict[str, float]
    evaluations: list[Evaluation] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # where it is shown, which spells the fixes its notes name; no part of its data
    face: Face = field(default=Face.PYTHON, repr=False, compare=False, metadata={"json": False})

    @property
    def alerts(self) -> AlertList:
        """Rules that started firing in this check."""
        return AlertList(
            e.alert for e in self.evaluations if e.alert is not None and e.alert.kind == "fired"
        )

    @property
    def recoveries(self) -> AlertList:
        return AlertList(
            e.alert for e in self.evaluations if e.alert is not None and e.alert.kind == "recovered"
        )

    @property
    def firing(self) -> list[str]:
        """Every rule whose condition holds now (newly or still)."""
        return [e.rule.expression for e in self.evaluations if e.state == FIRING]

    def fails(self, *, strict: bool = False) -> bool:
        """Whether a job should fail on this check: a rule started firing (or, `strict`,
        any rule fires, newly or still)."""
        return bool(self.alerts or (strict and self.firing))

    @property
    def failed_deliveries(self) -> list[Alert]:
        return [e.alert for e in self.evaluations if e.alert is not None and not e.alert.delivered]

    def to_dict(self) -> dict[str, Any]:
        """Its fields (the drift and performance found, the `values` the rules read, each
        rule's evaluation), the `alerts` fired, the `recoveries`, the rules `firing` and the
        alerts whose delivery failed; alert targets with their passwords masked."""
        return fields_of(self) | {
            "alerts": jsonable(list(self.alerts)),
            "recoveries": jsonable(list(self.recoveries)),
            "firing": self.firing,
            "failed_deliveries": jsonable(self.failed_deliveries),
            "notes": spelled(self.notes, self.face),
        }

    def _rows(self) -> list[list[Any]]:
        rows = []
        for e in self.evaluations:
            outcome = "unknown" if e.outcome is None else ("true" if e.outcome else "false")
            event = e.alert.kind.upper() if e.alert else _STILL.get(e.state, "")
            rows.append([e.rule.id, e.rule.expression, e.values, outcome, event])
        return rows

    def _headline(self) -> str:
        return (
            f"check {self.check_id} of {self.drift.named or f'{self.model}:{self.version}'}: "
            f"{counted(len(self.alerts), 'alert')} fired, {len(self.recoveries)} recovered, "
            f"{counted(len(self.firing), 'rule')} firing; drift share {self.drift.share:.0%} "
            f"on {self.drift.rows:,} rows"
        )

    def _notes(self) -> list[str]:
        """Its notes, and when no rule was evaluated how to add one, as its face spells them."""
        told = [*self.notes] if self.evaluations else [*self.notes, NO_RULES]
        return spelled(told, self.face)

    def __repr__(self) -> str:
        lines = [self._headline(), *self._notes()]
        if self.evaluations:
            lines.append(
                text_table(["rule", "expression", "values", "holds", "event"], self._rows())
            )
        failed = self.failed_deliveries
        lines += [f"delivery failed: {a.expression}: {a.error}" for a in failed]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        told = [self._headline(), *self._notes()]
        headline = "<p>" + "<br>".join(html.escape(t) for t in told) + "</p>"
        if not self.evaluations:
            return headline
        marked = [e.alert is not None for e in self.evaluations]
        table = html_table(
            ["rule", "expression", "values", "holds", "event"], self._rows(), marked=marked
        )
        return headline + table + self.drift._repr_html_()


def record_check(
    registry: Registry,
    version: Version,
    drift: DriftReport,
    performance: PerformanceReport | None,
    *,
    started: datetime,
    notes: list[str],
    ref: str,
) -> CheckResult:
    """Store the check, move the rules' states, log their events; then deliver the alerts."""
    values = drift.values() | (performance.values() if performance else {})
    summary = recording.drift_summary(drift) | {"values": values}
    record = recording.check_record(
        version,
        kind="check",
        source=drift.source,
        rows=drift.rows,
        started=started,
        seconds=drift.seconds,
        summary=summary,
        window=(drift.window_start, drift.window_end),
    )
    profile = registry.profile(version.ref)
    now = utc_now()
    with registry.db.write() as conn:
        check_id = sql.insert_check(conn, record)
        sql.append_results(conn, "check_results", recording.drift_rows(check_id, drift))
        if performance is not None:
            sql.append_results(conn, "metric_results", recording.metric_rows(check_id, performance))
        evaluations = _evaluate_rules(
            conn, version, ref=ref, values=values, profile=profile, reports=(drift, performance)
        )
        for e in evaluations:
            if e.state != e.rule.state:
                sql.set_rule_state(conn, e.rule.id, e.state, since=now)
            if e.alert is not None:
                e.alert.event_id = sql.insert_event(conn, _event(e.alert, check_id, now))
    notes = [*notes, *(e.note for e in evaluations if e.note)]
    result = CheckResult(
        version.model, version.version, check_id, drift, performance, values, evaluations, notes
    )
    _deliver(registry, result)
    return result


def _evaluate_rules(
    conn: duckdb.DuckDBPyConnection,
    version: Version,
    *,
    ref: str,
    values: dict[str, float],
    profile: list[dict[str, Any]],
    reports: tuple[DriftReport, PerformanceReport | None],
) -> list[Evaluation]:
    """Every rule on `ref` (what was checked) read against the check's values; a rule that
    is unknown is compared, once known again, with what the alert log last said of it."""
    produced = producible(profile, task=version.task, binary=version.positive_label is not None)
    rules = [AlertRule.from_row(row) for row in sql.rules_of(conn, version.model)]
    rules = [rule for rule in rules if rule.ref == ref]
    told = sql.last_events(conn, [rule.id for rule in rules if rule.state == UNKNOWN])
    names = {name for rule in rules for name in Rule(rule.expression).names}
    why = unknowns.reasons(
        sorted(names - set(values)),
        version=version,
        profile=profile,
        produced=produced,
        drift=reports[0],
        performance=reports[1],
    )
    return [
        evaluate(
            rule,
            values,
            last_known=FIRING if told.get(rule.id) == FIRED else OK,
            reasons=why,
            lacking=names - produced,
        )
        for rule in rules
    ]


def _event(alert: Alert, check_id: int, now: datetime) -> dict[str, Any]:
    import json

    return {
        "rule_id": alert.rule_id,
        "check_id": check_id,
        "kind": alert.kind,
        "occurred_at": now,
        "details": json.dumps(alert.values, default=str),
        "delivered": not alert.notify,
        "attempts": 0,
        "error": "not yet delivered" if alert.notify else None,
    }


def _deliver(registry: Registry, result: CheckResult) -> None:
    """Deliver every alert of the check to each of its targets at once, then record how
    each went. One target's failure (a receiver down, a bad address stored long ago) is
    that alert's error, never another's; a bug in a delivery is raised once all are in."""
    alerts = [e.alert for e in result.evaluations if e.alert is not None and e.alert.notify]
    if not alerts:
        return
    jobs: list[tuple[str, dict[str, Any]]] = []
    for alert in alerts:
        payload = alert.payload(
            model=result.model, version=result.version, check_id=result.check_id
        )
        jobs += [(target, payload) for target in alert.notify if not is_action(target)]
    outcomes = iter(deliver_all(jobs))
    faults = []
    for alert in alerts:
        hooks = [target for target in alert.notify if not is_action(target)]
        deliveries = [next(outcomes) for _ in hooks]
        errors = [
            f"{shown(target)}: {d.error}"
            for target, d in zip(hooks, deliveries, strict=True)
            if not d.delivered
        ] + _act(registry, result, alert)
        alert.delivered, alert.error = not errors, "; ".join(errors) or None
        alert.attempts = sum(d.attempts for d in deliveries)
        faults += [d.fault for d in deliveries if d.fault is not None]
    _record_deliveries(registry, result, alerts)
    if faults:
        raise faults[0]


def _act(registry: Registry, result: CheckResult, alert: Alert) -> list[str]:
    """Start what a fired alert's actions (`retrain:`) start, noted on the alert; why each
    that could not start did not."""
    errors, started = [], []
    values = ", ".join(
        f"{name} {value:.3g}" for name, value in alert.values.items() if value is not None
    )
    reason = f"rule {alert.rule_id} ({alert.expression}) fired in check {result.check_id}" + (
        f" with {values}" if values else ""
    )
    for target in alert.notify if alert.kind == FIRED else []:
        if is_action(target):
            try:
                started.append(
                    actions.start(target, registry=registry, model=result.model, reason=reason)
                )
            except MlopsError as exc:
                errors.append(f"{target}: {exc}")
    alert.note = "; ".join(started) or None
    return errors


def _record_deliveries(registry: Registry, result: CheckResult, alerts: list[Alert]) -> None:
    try:
        with registry.db.write() as conn:
            for alert in alerts:
                assert alert.event_id is not None
                sql.set_event_delivery(
                    conn,
                    alert.event_id,
                    delivered=alert.delivered,
                    attempts=alert.attempts,
                    error=alert.error,
                    note=alert.note,
                )
    except MlopsError as exc:  # the alerts went out; the log keeps "not yet delivered"
        result.notes.append(f"could not record the delivery outcome: {exc}")
