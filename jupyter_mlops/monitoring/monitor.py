"""`Monitor`: drift, performance and estimated performance of registered versions.

    monitor = Monitor(registry)
    report = monitor.drift("churn@champion", current=df_last_week)
    monitor.performance("churn@champion", window="1d")     # from the prediction and label logs
    monitor.check("churn@champion")                          # every alert rule, recorded, delivered

Current data is a DataFrame, Parquet files (paths or globs), or, when none is given,
the model's prediction log. Every drift report and metric is stored in the registry
(`checks`, `check_results`, `metric_results`), so its history is a SQL query away.

`Monitor` is one entry object made of its jobs, each in its own module: drift
(`monitor_drift.py`), performance and estimates (`monitor_performance.py`), batch
predictions and the logs (`monitor_logs.py`), alert rules and checks
(`monitor_alerts.py`). The jobs share one `Versions`, which reads each version's model
and reference sample once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from jupyter_mlops.monitoring.distributions import Distributions, distributions_of
from jupyter_mlops.monitoring.monitor_alerts import AlertMixin
from jupyter_mlops.monitoring.monitor_drift import DriftMixin
from jupyter_mlops.monitoring.monitor_logs import LoggingMixin
from jupyter_mlops.monitoring.monitor_performance import PerformanceMixin
from jupyter_mlops.monitoring.versions import Versions
from jupyter_mlops.registry import Registry

if TYPE_CHECKING:
    import pandas as pd

    from jupyter_mlops.monitoring.sources import Current
    from jupyter_mlops.registry.records import Version


class Monitor(DriftMixin, PerformanceMixin, LoggingMixin, AlertMixin):
    """Monitoring of the versions in one registry."""

    def __init__(self, registry: Registry | None = None) -> None:
        self.registry = registry if registry is not None else Registry()
        # versions never change: each one's model and reference sample is read once
        self._versions = Versions(self.registry)

    def __repr__(self) -> str:
        return f"Monitor({self.registry!r})"

    def reference_sample(self, version: Version) -> pd.DataFrame | None:
        """The reference rows stored with a version (with `__target__`, `__prediction__`)."""
        return self._versions.reference_sample(version)

    def distributions(
        self,
        ref: str,
        feature: str,
        current: Current = None,
        *,
        window: str | int | None = None,
        time_column: str | None = None,
    ) -> Distributions:
        """`feature`'s shares per bin or category in `ref`'s reference and in `current` (or
        the last `window` of the prediction log), with its stored drift verdict."""
        return distributions_of(
            self._versions, ref, feature, current, window=window, time_column=time_column
        )

    def model(self, version: Version) -> Any:
        """A version's model object, loaded (and verified) once per monitor."""
        return self._versions.model(version)
