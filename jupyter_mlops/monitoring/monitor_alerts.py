"""The alerting job of a `Monitor`: alert rules, their event log, and checks.

A check measures one window's drift exactly as `Monitor.drift` does (`measure_drift`),
and its performance and estimates where labels or a held-out reference allow; every alert
rule of the model is then evaluated on it, the check recorded and its alerts delivered
(`checking.py`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from jupyter_mlops.monitoring import assessing, labelling, rulebook
from jupyter_mlops.monitoring.alerts import AlertEventList, AlertRule, AlertRuleList
from jupyter_mlops.monitoring.checking import CheckResult, record_check
from jupyter_mlops.monitoring.monitor_drift import drift_settings, measure_drift
from jupyter_mlops.monitoring.scope import named, resolve
from jupyter_mlops.monitoring.sources import LOG_WINDOW, Current, current_data
from jupyter_mlops.monitoring.versions import Versions
from jupyter_mlops.monitoring.windows import span_or_range
from jupyter_mlops.registry import Registry
from jupyter_mlops.registry.pairing import paired


class AlertMixin:
    """`Monitor.add_alert`, `alerts`, `remove_alert`, `alert_log` and `check`."""

    registry: Registry
    _versions: Versions

    def add_alert(self, ref: str, expression: str, *, notify: Sequence[str] = ()) -> AlertRule:
        """Store an alert rule for a model; `notify`: webhook:http://... targets."""
        return rulebook.add_rule(self.registry, ref, expression, notify=notify)

    def alerts(self, model: str | None = None) -> AlertRuleList:
        """The alert rules of a model (of every model when none is named)."""
        return rulebook.rules(self.registry, model)

    def remove_alert(self, rule_id: int) -> AlertRule:
        return rulebook.remove_rule(self.registry, rule_id)

    def alert_log(self, model: str | None = None, *, limit: int = 50) -> AlertEventList:
        """The newest alert events of a model (of every model when none is named): fired,
        recovered, delivered or not."""
        return rulebook.event_log(self.registry, model, limit=limit)

    def check(
        self,
        ref: str,
        current: Current = None,
        *,
        y: Any = None,
        window: str | int | None = None,
        time_column: str | None = None,
        multivariate: bool = True,
    ) -> CheckResult:
        """Drift (and performance, where labels exist) of one window, every alert rule
        evaluated, the check recorded and its alerts delivered."""
        started = datetime.now(UTC)
        version, scope = resolve(self.registry, ref)
        if y is not None:  # paired with the rows given, before they become a frame
            y = labelling.labels_of(paired(current, y), per="row")
        data = current_data(
            self.registry, version, current, window=window, time_column=time_column, scope=scope
        )
        drift = measure_drift(
            self._versions,
            version,
            data,
            title=named(scope.named, version),
            overrides=drift_settings(self.registry, version.model, None, None),
            exhaustive=False,
            multivariate=multivariate,
            predictions=True,
            save=False,
        )
        # labels line up with the rows given; performance cuts its own window of them, and
        # given rows without a window are judged whole, as their drift is
        whole = data.given is not None and window is None
        performance, notes = assessing.for_check(
            self._versions,
            version,
            data.given,
            y=y,
            time_column=None if whole else time_column,
            window=span_or_range(LOG_WINDOW if window is None else window),
            scope=scope,
        )
        return record_check(
            self.registry,
            version,
            drift,
            performance,
            started=started,
            notes=[*data.notes, *(note for note in notes if note not in data.notes)],
            ref=scope.named,
        )
