"""Alert rules and checks: the rules a model's monitoring is judged by, and one check that
evaluates them all now, records it and delivers what fired."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from jupyter_mlops.monitoring import Monitor
from jupyter_mlops.monitoring.alerts import AlertEventList, AlertRule, AlertRuleList
from jupyter_mlops.monitoring.checking import CheckResult
from jupyter_mlops.operations.inputs import as_span, labelled
from jupyter_mlops.registry import Registry


def add_alert(
    registry: Registry, *, ref: str, expression: str, notify: Sequence[str] = ()
) -> AlertRule:
    """A rule such as `drift.share > 0.3 or auc < 0.85`, notified to `webhook:URL`s."""
    return Monitor(registry).add_alert(ref, expression, notify=notify)


def alerts(registry: Registry, *, model: str | None = None) -> AlertRuleList:
    """The alert rules of a model, or of every model."""
    return Monitor(registry).alerts(model)


def remove_alert(registry: Registry, *, rule: int) -> AlertRule:
    """Remove an alert rule by its id; the rule removed."""
    return Monitor(registry).remove_alert(rule)


def alert_log(registry: Registry, *, model: str | None = None, limit: int = 50) -> AlertEventList:
    """The newest alert events of a model (of every model when none is named): fired,
    recovered, delivered or not."""
    return Monitor(registry).alert_log(model, limit=limit)


def check(
    registry: Registry,
    *,
    ref: str,
    current: Any = None,
    y: Any = None,
    label_column: str | None = None,
    window: str | int | None = None,
    time_column: str | None = None,
    multivariate: bool = True,
) -> CheckResult:
    """Every alert rule of the version evaluated now on its drift (and performance, where
    true values exist), the check recorded and its alerts delivered."""
    current, y = labelled(current, y=y, label_column=label_column, time_column=time_column)
    return Monitor(registry).check(
        ref,
        current,
        y=y,
        window=as_span(window),
        time_column=time_column,
        multivariate=multivariate,
    )
