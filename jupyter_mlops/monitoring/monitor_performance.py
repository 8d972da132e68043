"""The performance job of a `Monitor`: realised metrics where labels exist, estimates
where they do not, and the history of both.

Rows come from the prediction and label logs, or from given data the model scores here;
`assessing.py` gathers and windows them, with the version's model, reference sample and
scoring from the monitor's `Versions`.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from jupyter_mlops.errors import ForbiddenError
from jupyter_mlops.monitoring import assessing, recording
from jupyter_mlops.monitoring.metrics import PerformanceReport
from jupyter_mlops.monitoring.scope import named, resolve
from jupyter_mlops.monitoring.sources import Current
from jupyter_mlops.monitoring.versions import Versions
from jupyter_mlops.monitoring.windows import check_last, span_or_range
from jupyter_mlops.registry import Registry
from jupyter_mlops.registry.records import Version
from jupyter_mlops.registry.refs import parse_ref
from jupyter_mlops.store import monitoring as sql


class PerformanceMixin:
    """`Monitor.performance`, `estimate` and `metric_history`."""

    registry: Registry
    _versions: Versions

    def performance(
        self,
        ref: str,
        current: Current = None,
        *,
        y: Any = None,
        window: str | int = "1d",
        time_column: str | None = None,
        last: int | None = None,
        save: bool = True,
    ) -> PerformanceReport:
        """Realised metrics per window: from the prediction and label logs, or from `current`
        with its true values `y` (the model predicts them here)."""
        last = check_last(last)
        version, scope = resolve(self.registry, ref)
        labelled = assessing.labelled(
            self._versions, version, current, y=y, time_column=time_column, scope=scope
        )
        span = span_or_range(window)
        report = assessing.realised(self._versions, version, labelled, span, last=last, scope=scope)
        report.named = named(scope.named, version)
        if save:
            _saved(self.registry, version, report, "performance")
        return report

    def estimate(
        self,
        ref: str,
        current: Current = None,
        *,
        window: str | int = "1d",
        time_column: str | None = None,
        last: int | None = None,
        save: bool = True,
    ) -> PerformanceReport:
        """Estimated accuracy, F1 and AUC per window without labels (binary classifiers),
        beside the realised values where labels have arrived."""
        last = check_last(last)
        version, scope = resolve(self.registry, ref)
        report = assessing.estimated(
            self._versions,
            version,
            current,
            window=span_or_range(window),
            time_column=time_column,
            last=last,
            scope=scope,
        )
        report.named = named(scope.named, version)
        if save:
            _saved(self.registry, version, report, "estimate")
        return report

    def metric_history(self, model: str) -> pd.DataFrame:
        """Every stored realised or estimated metric of a model, per window."""
        with self.registry.db.read() as conn:
            return sql.metric_history(conn, parse_ref(model).model)


def _saved(registry: Registry, version: Version, report: PerformanceReport, kind: str) -> None:
    """Record the report as a check; a role that may only read measures and records
    nothing, which the report's note says."""
    try:
        report.check_id = recording.save_metrics(registry, version, report, kind)
    except ForbiddenError as refused:
        unsaved = f"this report was not recorded: {refused}"
        report.note = f"{report.note}; {unsaved}" if report.note else unsaved
