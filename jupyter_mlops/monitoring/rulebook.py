"""Alert rules as stored per model: adding (names and targets checked), listing, removing,
and the log of what they fired."""

from __future__ import annotations

from collections.abc import Sequence

from jupyter_mlops.clock import utc_now
from jupyter_mlops.errors import Command, InvalidArgumentError, NotFoundError, Option
from jupyter_mlops.monitoring import actions
from jupyter_mlops.monitoring.alerts import (
    OK,
    AlertEvent,
    AlertEventList,
    AlertRule,
    AlertRuleList,
    stored_targets,
    targets_of,
)
from jupyter_mlops.monitoring.delivery import check_target
from jupyter_mlops.monitoring.rules import Rule, check_names, check_numbers
from jupyter_mlops.registry import Registry
from jupyter_mlops.registry.capture import current_user
from jupyter_mlops.registry.refs import parse_ref
from jupyter_mlops.store import monitoring as sql


def add_rule(
    registry: Registry, ref: str, expression: str, *, notify: Sequence[str] = ()
) -> AlertRule:
    """Store an alert rule on what `ref` names (a bare name: the champion), its names and
    targets checked first; checks of that ref evaluate it, checks of other versions not. A
    rule the same as one in force (the ref, the expression and the targets, in any order: a
    notebook's cell run again) is that rule, not a second one firing beside it."""
    ref = registry.watched(ref)
    version = registry.get(ref)
    rule = Rule(expression)
    check_numbers(rule)
    check_names(
        rule,
        registry.profile(version.ref),
        task=version.task,
        binary=version.positive_label is not None,
    )
    targets = [actions.checked(t) if actions.is_action(t) else check_target(t) for t in notify]
    now = utc_now()
    record = {
        "model": version.model,
        "alias": parse_ref(ref).alias,
        "ref": ref,
        "expression": rule.text,
        "notify": stored_targets(targets),
        "created_at": now,
        "created_by": current_user(),
        "state": OK,
        "state_since": now,
    }
    with registry.db.write() as conn:
        for row in sql.rules_of(conn, version.model):
            same = row["ref"] == ref and set(targets_of(row["notify"])) == set(targets)
            if same and _parsed(row["expression"]) == rule.tree:  # written alike or not
                return AlertRule.from_row(row)
        rule_id = sql.insert_rule(conn, record)
        return AlertRule.from_row(sql.rule(conn, rule_id) or {})


def _parsed(expression: str) -> object:
    """A stored rule's expression parsed (None: one this release does not read)."""
    try:
        return Rule(expression).tree
    except InvalidArgumentError:
        return None


def rules(registry: Registry, model: str | None = None) -> AlertRuleList:
    """The alert rules of a model (of every model when none is named)."""
    name = parse_ref(model).model if model else None
    if name:
        registry.get(name)
    with registry.db.read() as conn:
        return AlertRuleList(AlertRule.from_row(row) for row in sql.rules_of(conn, name))


def remove_rule(registry: Registry, rule_id: int) -> AlertRule:
    if isinstance(rule_id, bool) or not isinstance(rule_id, int) or not 0 < rule_id < 2**63:
        raise InvalidArgumentError(
            f"{rule_id!r} is not the id of an alert rule (a whole number, as ",
            Command("alert list", python="Monitor().alerts()"),
            " lists them); give that number.",
        )
    with registry.db.write() as conn:
        row = sql.rule(conn, rule_id)
        if row is None:
            raise NotFoundError(
                f"no alert rule {rule_id}; list them with ",
                Command("alert list", python="Monitor().alerts()"),
                ".",
            )
        sql.remove_rule(conn, int(rule_id), at=utc_now())
    return AlertRule.from_row(row)


def event_log(registry: Registry, model: str | None, *, limit: int = 50) -> AlertEventList:
    """The newest alert events of a model (of every model: None): fired, recovered,
    delivered or not."""
    name = None if model is None else parse_ref(model).model
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 2**62:
        raise InvalidArgumentError(
            "",
            Option("limit", python=repr(limit), typed=str(limit)),
            " is not a number of alert events; give 1 or more, e.g. ",
            Option("limit", python="50", typed="50"),
            ".",
        )
    if name is not None:
        registry.get(name)
    with registry.db.read() as conn:
        return AlertEventList(
            AlertEvent.from_row(row) for row in sql.events_of(conn, name, limit=limit)
        )
