"""Alert rules' state: a rule fires once when its condition starts to hold, and reports a
recovery once when it stops; while the condition persists nothing new is sent. A check
that cannot tell (a name without a value) puts the rule in `unknown`, which claims nothing
and sends nothing; the next known outcome is compared with the last known state.

A rule's and an alert's `notify` hold the real targets, for delivery; every display of
them (repr, tables, HTML) writes them as `delivery.shown` does, passwords masked."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from jupyter_mlops.jsonable import fields_of, jsonable
from jupyter_mlops.monitoring.delivery import shown
from jupyter_mlops.monitoring.rules import Rule, Value
from jupyter_mlops.registry.records import RAW, RecordTable

OK, FIRING, UNKNOWN = "ok", "firing", "unknown"
FIRED, RECOVERED = "fired", "recovered"
# a target as stored, password and all: JSON writes it as every display does (`masked`)
TARGETS = {"json": False}


@dataclass(frozen=True, repr=False)
class AlertRule:
    id: int
    model: str
    expression: str
    notify: list[str] = field(metadata=TARGETS)
    state: str
    state_since: datetime | None
    created_at: datetime
    created_by: str
    ref: str = ""  # what it watches: `churn@champion`, `churn:3`

    def to_dict(self) -> dict[str, Any]:
        return fields_of(self) | {"notify": masked(self.notify)}

    def __repr__(self) -> str:
        return (
            f"alert rule {self.id} on {self.ref or self.model}: {self.expression} "
            f"(state {self.state}; notifies {_targets(self.notify, 'the alert log only')})"
        )

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> AlertRule:
        targets = targets_of(row["notify"])
        return cls(
            row["id"],
            row["model"],
            row["expression"],
            targets,
            row["state"],
            row["state_since"],
            row["created_at"],
            row["created_by"],
            row.get("ref") or f"{row['model']}@champion",
        )


class AlertRuleList(RecordTable[AlertRule]):
    columns: ClassVar[list[str]] = ["id", "watches", "rule", "notify", "state", "since"]
    empty = "no alert rules"

    def _rows(self) -> list[list[Any]]:
        return [
            [r.id, r.ref, r.expression, _targets(r.notify, "log"), r.state, r.state_since]
            for r in self
        ]


@dataclass(repr=False)
class Alert:
    """A rule that fired or recovered in a check, and whether it reached its targets."""

    rule_id: int
    expression: str
    kind: str
    values: dict[str, float | None]
    notify: list[str] = field(metadata=TARGETS)
    delivered: bool = True
    attempts: int = 0
    error: str | None = None
    event_id: int | None = None
    note: str | None = None  # what an action (retrain:) started

    def to_dict(self) -> dict[str, Any]:
        return fields_of(self) | {"notify": masked(self.notify)}

    def __repr__(self) -> str:
        outcome = "delivered" if self.delivered else f"NOT delivered ({self.error})"
        return (
            f"alert: rule {self.rule_id} ({self.expression}) {self.kind} with {self.values}; "
            + (f"{outcome} to {_targets(self.notify, '')}" if self.notify else "logged only")
        )

    def payload(self, *, model: str, version: int, check_id: int) -> dict[str, Any]:
        return {
            "model": model,
            "version": version,
            "check_id": check_id,
            "rule_id": self.rule_id,
            "rule": self.expression,
            "event": self.kind,
            "values": self.values,
        }


@dataclass
class Evaluation:
    rule: AlertRule
    outcome: Value
    state: str
    alert: Alert | None = None
    values: dict[str, float | None] = field(default_factory=dict)
    note: str = ""


def evaluate(
    rule: AlertRule,
    values: dict[str, float],
    *,
    last_known: str = OK,
    reasons: Mapping[str, str] | None = None,
    lacking: Collection[str] = (),
) -> Evaluation:
    """The rule's outcome on a check's values and what it means for the rule's state.

    A rule that comes out unknown (a name without a value) is `UNKNOWN`: it claims nothing
    and alerts no one. A known outcome is compared with the rule's last known state (its
    own, or `last_known` while it is unknown): it fires when it starts to hold after `OK`,
    recovers when it stops after `FIRING`, and is still firing when it holds after
    `FIRING`. `reasons` says, per name without a value, why (for the note of an unknown
    rule); `lacking` are the names no check of the checked version can produce."""
    parsed = Rule(rule.expression)
    outcome = parsed.evaluate(values)
    used = {name: values.get(name) for name in parsed.names}
    if outcome is None:
        note = _unknown_note(rule, used, reasons or {}, lacking)
        return Evaluation(rule, outcome, UNKNOWN, None, used, note)
    state = FIRING if outcome else OK
    before = last_known if rule.state == UNKNOWN else rule.state
    alert = None
    if state != before:
        alert = Alert(rule.id, rule.expression, FIRED if outcome else RECOVERED, used, rule.notify)
    return Evaluation(rule, outcome, state, alert, used)


def _unknown_note(
    rule: AlertRule,
    used: dict[str, float | None],
    reasons: Mapping[str, str],
    lacking: Collection[str],
) -> str:
    """Why a rule is unknown, name by name, and (for names its version lacks) the fix."""
    missing = [name for name, value in used.items() if value is None]
    why = "; ".join(f"{name}: {reasons.get(name, 'not produced')}" for name in missing)
    head = f"rule {rule.id} ({rule.expression}) is unknown, so it neither fires nor recovers"
    if not any(name in lacking for name in missing):
        return f"{head} ({why})."
    return (
        f"{head} ({why}); remove it (alert remove {rule.id}) and add one on this version's names."
    )


class AlertList(RecordTable[Alert]):
    columns: ClassVar[list[str]] = ["rule", "event", "values", "delivered", "error"]
    empty = "no alerts"

    def _rows(self) -> list[list[Any]]:
        return [
            [
                a.expression,
                a.kind,
                a.values,
                ("yes" if a.delivered else "NO") if a.notify else "no target",
                a.error,
            ]
            for a in self
        ]


@dataclass(frozen=True)
class AlertEvent:
    """One entry of the alert log; `targets` are its rule's, passwords masked (none when the
    rule only logs, so nothing was delivered or attempted)."""

    id: int
    model: str
    rule_id: int
    expression: str
    check_id: int
    kind: str
    occurred_at: datetime
    delivered: bool
    attempts: int
    error: str | None
    details: str = field(metadata=RAW)  # the values the rule read, as JSON text
    note: str | None = None  # what an action (retrain:) started
    targets: tuple[str, ...] = ()

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> AlertEvent:
        values = dict(row)
        notify = targets_of(values.pop("notify"))
        return cls(**values, targets=tuple(shown(t) for t in notify))

    def to_dict(self) -> dict[str, Any]:
        """Its fields, the `values` the rule read decoded."""
        return fields_of(self) | {"values": jsonable(json.loads(self.details))}


class AlertEventList(RecordTable[AlertEvent]):
    """A model's (or every model's) alert log, newest first."""

    columns: ClassVar[list[str]] = [
        "at (UTC)",
        "rule",
        "event",
        "check",
        "values",
        "delivered",
        "attempts",
        "error",
        "note",
    ]
    empty = "no alerts yet"

    def _rows(self) -> list[list[Any]]:
        return [
            [
                e.occurred_at,
                e.expression,
                e.kind,
                e.check_id,
                e.details,
                ("yes" if e.delivered else "NO") if e.targets else "no target",
                e.attempts if e.targets else "-",
                e.error,
                e.note,
            ]
            for e in self
        ]


def stored_targets(targets: list[str]) -> str:
    """A rule's targets as its `notify` column holds them: separated by spaces, or, when one
    holds a space (a `retrain:` notebook's path may), a JSON list."""
    if any(part.isspace() for target in targets for part in target):
        return json.dumps(targets)
    return " ".join(targets)


def targets_of(stored: object) -> list[str]:
    """The targets a `notify` column holds (`stored_targets`)."""
    text = str(stored or "")
    if text.startswith("["):  # no target starts so (each starts with its kind: `webhook:`)
        return [str(target) for target in json.loads(text)]
    return [target for target in text.split(" ") if target]


def masked(notify: list[str]) -> list[str]:
    """Targets as shown: passwords masked."""
    return [shown(target) for target in notify]


def _targets(notify: list[str], none: str) -> str:
    return " ".join(masked(notify)) or none
