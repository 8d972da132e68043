"""`Monitor`: drift, performance and estimated performance of registered versions.

    monitor = Monitor(registry)
    report = monitor.drift("churn@champion", current=df_last_week)
    monitor.performance("churn@champion", window="1d")     # from the prediction and label logs
    monitor.check("churn@champion")                          # every alert rule, recorded, delivered

Current data is a DataFrame, Parquet files (paths or globs), or, when none is given,
the model's prediction log. Every drift report and metric is stored in the registry
(`checks`, `check_results`, `metric_results`), so its history is a SQL query away.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from jupyter_mlops.clock import utc_now
from jupyter_mlops.errors import AliasNotFoundError, UsageError
from jupyter_mlops.monitoring import drift as drifting
from jupyter_mlops.monitoring import labelling, logs, recording, rulebook
from jupyter_mlops.monitoring.alerts import AlertEventList, AlertRule, AlertRuleList
from jupyter_mlops.monitoring.checking import CheckResult
from jupyter_mlops.monitoring.choice import (
    ALL_FEATURES,
    check_setting,
    check_test,
    check_threshold,
)
from jupyter_mlops.monitoring.columns import Columns
from jupyter_mlops.monitoring.conform import conform
from jupyter_mlops.monitoring.history import DriftHistory
from jupyter_mlops.monitoring.metrics import PerformanceReport
from jupyter_mlops.monitoring.multivariate import joint_shift
from jupyter_mlops.monitoring.outputs import own_rows, with_output
from jupyter_mlops.monitoring.report import DriftReport, DriftTimeline
from jupyter_mlops.monitoring.scope import named, resolve
from jupyter_mlops.monitoring.scoring import scoring_of
from jupyter_mlops.monitoring.sources import LOG_WINDOW, Current, Data, current_data, windows_of
from jupyter_mlops.monitoring.windows import parse_window, untimed_notes
from jupyter_mlops.registry import Registry
from jupyter_mlops.registry.dtypes import as_trained
from jupyter_mlops.registry.outputs import (
    PREDICTION,
    TARGET,
    predictions_and_scores,
)
from jupyter_mlops.registry.records import Version
from jupyter_mlops.registry.refs import parse_ref
from jupyter_mlops.store import monitoring as sql


class Monitor:
    """Monitoring of the versions in one registry."""

    def __init__(self, registry: Registry | None = None) -> None:
        self.registry = registry if registry is not None else Registry()
        # versions never change: each one's model and reference sample is read once
        self._models: dict[str, Any] = {}
        self._samples: dict[str, pd.DataFrame] = {}

    def __repr__(self) -> str:
        return f"Monitor({self.registry!r})"

    # drift

    def drift(
        self,
        ref: str,
        current: Current = None,
        *,
        window: str | int | None = None,
        time_column: str | None = None,
        tests: str | Mapping[str, str] | None = None,
        thresholds: float | Mapping[str, float] | None = None,
        exhaustive: bool = False,
        multivariate: bool = True,
        predictions: bool = True,
        save: bool = True,
    ) -> DriftReport:
        """Drift of `current` (or the last `window` of the prediction log) against `ref`."""
        version, scope = resolve(self.registry, ref)
        data = current_data(
            self.registry, version, current, window=window, time_column=time_column, scope=scope
        )
        return self._drift(
            version,
            data,
            title=named(scope.named, version),
            overrides=self._overrides(version.model, tests, thresholds),
            exhaustive=exhaustive,
            multivariate=multivariate,
            predictions=predictions,
            save=save,
        )

    def drift_windows(
        self,
        ref: str,
        current: Current = None,
        *,
        every: str | int = "1d",
        time_column: str | None = None,
        last: int | None = None,
        tests: str | Mapping[str, str] | None = None,
        thresholds: float | Mapping[str, float] | None = None,
        save: bool = True,
    ) -> DriftTimeline:
        """One drift report per window (`every`: 1h, 1d, 1w or a row count), oldest first."""
        version, scope = resolve(self.registry, ref)
        data = current_data(
            self.registry,
            version,
            current,
            window=None,
            time_column=time_column,
            scope=scope,
            whole_log=True,
        )
        span = parse_window(every)
        frame = data.columns.frame
        time_name = data.time_column
        if span.every is not None and time_name is None:
            raise UsageError(
                f"windows of {span.text} need a time column; pass time_column= "
                "(or windows of rows: every=10000)."
            )
        overrides = self._overrides(version.model, tests, thresholds)
        parts, untimed = windows_of(frame, span, time_name)
        reports = []
        for start, end, rows in parts[-last:] if last else parts:
            label = f"the window from {start} to {end}" if start else "a window of rows"
            part = Data(Columns(rows, label=label), data.source, start, end, time_name)
            reports.append(
                self._drift(
                    version,
                    part,
                    title=named(scope.named, version),
                    overrides=overrides,
                    exhaustive=False,
                    multivariate=False,
                    predictions=True,
                    save=save,
                )
            )
        return DriftTimeline(
            version.model,
            version.version,
            span.text,
            reports,
            named(scope.named, version),
            notes=untimed_notes(untimed),
        )

    def _drift(
        self,
        version: Version,
        data: Data,
        *,
        title: str,
        overrides: dict[str, dict[str, Any]],
        exhaustive: bool,
        multivariate: bool,
        predictions: bool,
        save: bool,
    ) -> DriftReport:
        started, clock = datetime.now(UTC), time.perf_counter()
        entries = [e for e in self.registry.profile(version.ref) if e["feature"] != TARGET]
        inputs = [e for e in entries if e["feature"] != PREDICTION]
        if not inputs:
            raise UsageError(
                f"{version.model} version {version.version} was registered without training "
                "data, so there is nothing to compare with; register a version with X."
            )
        what = f"{version.model} version {version.version}"
        columns, changed = conform(inputs, data.columns, version.schema)
        extra = drifting.check_columns(inputs, columns, what=what)
        extra = [name for name in extra if name not in logs.RESERVED and name != data.time_column]
        notes = list(data.notes)
        reference = self.reference_sample(version)
        features = drifting.measure(
            inputs,
            columns,
            reference_sample=reference,
            overrides=overrides,
            exhaustive=exhaustive,
        )
        if predictions:
            features += self._output_drift(
                version, data, entries, overrides, exhaustive=exhaustive, notes=notes
            )
        report = DriftReport(
            version.model,
            version.version,
            data.columns.rows,
            data.source,
            drifting.worst_first(features),
            notes=notes,
            window_start=data.start,
            window_end=data.end,
            extra_columns=extra,
            named=title,
            reference=version.reference_text,
            schema=changed,
        )
        if multivariate and reference is not None:
            names = [e["feature"] for e in inputs]
            report.multivariate = joint_shift(reference, columns, names, notes=notes)
        report.seconds = time.perf_counter() - clock
        if save:
            report.check_id = recording.save_drift(self.registry, version, report, started)
        return report

    def _output_drift(
        self,
        version: Version,
        data: Data,
        entries: list[dict[str, Any]],
        overrides: dict[str, dict[str, Any]],
        *,
        exhaustive: bool,
        notes: list[str],
    ) -> list[drifting.FeatureDrift]:
        """Drift of the model's own output, against its outputs on held-out reference data,
        on the rows this version answered (a log may hold other versions' rows)."""
        if not version.held_out:
            notes.append(
                f"prediction drift not measured: {version.ref} has no held-out reference data "
                "(its outputs on training rows are optimistic); add it with "
                f"`%mlops reference {version.model} {version.version} X_val y_val`"
            )
            return []
        rows = own_rows(data.columns, version.version, notes)
        columns, output = with_output(
            lambda: self.model(version),
            rows,
            entries,
            wanted=True,
            notes=notes,
            positive=version.positive_label,
            schema=version.schema,
        )
        features = []
        for part in (columns, output):
            if part is not None and PREDICTION in part.names:
                wanted = [e for e in entries if e["feature"] == PREDICTION]
                features += drifting.measure(
                    wanted,
                    part,
                    reference_sample=self.reference_sample(version),
                    overrides=overrides,
                    exhaustive=exhaustive,
                )
        return features

    def reference_sample(self, version: Version) -> pd.DataFrame | None:
        """The training rows stored with a version (with `__target__`, `__prediction__`)."""
        digest = version.reference_sha256
        if not digest:
            return None
        if digest not in self._samples:
            import io

            data = self.registry.artifacts.get(
                digest, label=f"{version.model} version {version.version}"
            )
            self._samples[digest] = pd.read_parquet(io.BytesIO(data))
        return self._samples[digest]

    def model(self, version: Version) -> Any:
        """A version's model object, loaded (and verified) once per monitor."""
        if version.ref not in self._models:
            self._models[version.ref] = self.registry.load(version.ref)
        return self._models[version.ref]

    def _overrides(
        self,
        model: str,
        tests: str | Mapping[str, str] | None,
        thresholds: float | Mapping[str, float] | None,
    ) -> dict[str, dict[str, Any]]:
        """Stored settings, then this call's: {feature or "*": {"test", "threshold"}}."""
        with self.registry.db.read() as conn:
            merged = sql.drift_settings(conn, model)
        for name, test in _per_feature(tests).items():
            check_test(test)
            merged.setdefault(name, {})["test"] = test
        for name, threshold in _per_feature(thresholds).items():
            test = merged.get(name, {}).get("test")
            merged.setdefault(name, {})["threshold"] = check_threshold(threshold, test)
        return merged

    def configure(
        self,
        model: str,
        feature: str = ALL_FEATURES,
        *,
        test: str | None = None,
        threshold: float | None = None,
    ) -> dict[str, dict[str, Any]]:
        """Store the drift test and/or threshold for a feature of a model ("*": every feature);
        neither clears it. Returns the model's settings."""
        from jupyter_mlops.registry.capture import current_user

        kinds = {e["feature"]: e["kind"] for e in self.registry.profile(model)}
        check_setting(model, feature, test, kinds)
        if threshold is not None:
            threshold = check_threshold(threshold, test)
        with self.registry.db.write() as conn:
            sql.set_drift_setting(
                conn,
                model,
                feature,
                test=test,
                threshold=threshold,
                at=utc_now(),
                by=current_user(),
            )
            return sql.drift_settings(conn, model)

    # performance

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
        from jupyter_mlops.monitoring import assessing

        version, scope = resolve(self.registry, ref)
        labelled = assessing.labelled(
            self, version, current, y=y, time_column=time_column, scope=scope
        )
        span = parse_window(window)
        report = assessing.realised(self, version, labelled, span, last=last, scope=scope)
        report.named = named(scope.named, version)
        if save:
            report.check_id = recording.save_metrics(self.registry, version, report, "performance")
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
        from jupyter_mlops.monitoring import assessing

        version, scope = resolve(self.registry, ref)
        report = assessing.estimated(
            self,
            version,
            current,
            window=parse_window(window),
            time_column=time_column,
            last=last,
            scope=scope,
        )
        report.named = named(scope.named, version)
        if save:
            report.check_id = recording.save_metrics(self.registry, version, report, "estimate")
        return report

    # logs

    def log_predictions(
        self,
        ref: str,
        X: pd.DataFrame,
        *,
        predictions: Any = None,
        request_ids: Sequence[str] | None = None,
        timestamps: Any = None,
    ) -> pd.DataFrame:
        """Score `X` with the version (unless `predictions` are given) and append the rows to
        the model's prediction log; returns them, request ids included."""
        version = self.registry.get(self.registry.watched(ref))
        rows = self._scored_rows(version, X, predictions, request_ids, timestamps)
        logs.write_segments(self.registry.home, logs.PREDICTIONS, version.model, rows)
        return rows

    def predict(self, ref: str, X: Any, *, log: bool = True) -> pd.DataFrame:
        """Batch scoring in this process: one row per input row with the request id (logged
        like a served prediction unless `log=False`), version, prediction and score."""
        if log:
            rows = self.log_predictions(ref, X)
        else:
            rows = self._scored_rows(
                self.registry.get(self.registry.watched(ref)), X, None, None, None
            )
        return rows[[logs.REQUEST_ID, logs.VERSION, logs.PREDICTION, logs.SCORE]]

    def _scored_rows(
        self, version: Version, X: Any, predictions: Any, request_ids: Any, timestamps: Any
    ) -> pd.DataFrame:
        from jupyter_mlops.registry.signature import scoring_rows

        frame = scoring_rows(X, version.schema, what=f"{version.model} version {version.version}")
        scores = None
        if predictions is None:
            predictions, scores = predictions_and_scores(
                self.model(version),
                as_trained(frame, version.schema),
                positive=version.positive_label,
            )
        return logs.prediction_rows(
            frame,
            version=version.version,
            predictions=np.asarray(predictions),
            scores=scores,
            request_ids=None if request_ids is None else [str(r) for r in request_ids],
            timestamps=timestamps,
        )

    def log_labels(
        self, model: str, request_ids: Any, labels: Any, *, timestamps: Any = None
    ) -> int:
        """Append true values for earlier predictions (by request id: a list or Series of ids,
        or the rows `log_predictions` returned); returns how many. A classifier's labels are
        checked against the classes of the version `model` names (a bare name: its champion,
        else its newest version)."""
        version = self._labelled_version(model)
        ids, values = labelling.request_ids_of(request_ids), labelling.labels_of(labels)
        what = f"{version.model} version {version.version}"
        classes = scoring_of(self, version).classes
        found = labelling.as_classes(values, classes, what=what, missing=False)
        rows = logs.label_rows(ids, found, timestamps=timestamps)
        logs.write_segments(self.registry.home, logs.LABELS, parse_ref(model).model, rows)
        return len(rows)

    def _labelled_version(self, model: str) -> Version:
        try:
            return self.registry.get(self.registry.watched(model))
        except AliasNotFoundError:  # no champion: the newest version
            return self.registry.get(model)

    # alert rules and checks

    def add_alert(self, ref: str, expression: str, *, notify: Sequence[str] = ()) -> AlertRule:
        """Store an alert rule for a model; `notify`: webhook:http://... targets."""
        return rulebook.add_rule(self.registry, ref, expression, notify=notify)

    def alerts(self, model: str | None = None) -> AlertRuleList:
        """The alert rules of a model (of every model when none is named)."""
        return rulebook.rules(self.registry, model)

    def remove_alert(self, rule_id: int) -> AlertRule:
        return rulebook.remove_rule(self.registry, rule_id)

    def alert_log(self, model: str, *, limit: int = 50) -> AlertEventList:
        """The newest alert events of a model: fired, recovered, delivered or not."""
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
        from jupyter_mlops.monitoring import assessing
        from jupyter_mlops.monitoring.checking import record_check

        started = datetime.now(UTC)
        version, scope = resolve(self.registry, ref)
        data = current_data(
            self.registry, version, current, window=window, time_column=time_column, scope=scope
        )
        overrides = self._overrides(version.model, None, None)
        drift = self._drift(
            version,
            data,
            title=named(scope.named, version),
            overrides=overrides,
            exhaustive=False,
            multivariate=multivariate,
            predictions=True,
            save=False,
        )
        span = parse_window(LOG_WINDOW if window is None else window)
        # labels line up with the rows given; performance cuts its own window of them, and
        # given rows without a window are judged whole, as their drift is
        whole = data.given is not None and window is None
        performance, notes = assessing.for_check(
            self,
            version,
            data.given,
            y=y,
            time_column=None if whole else time_column,
            window=span,
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

    # history

    def history(self, model: str, feature: str | None = None) -> DriftHistory:
        """Every stored drift verdict of a model: per check, or per check for one `feature`
        ("prediction": the model's output); `to_frame()` has one row per check and feature."""
        name = parse_ref(model).model
        self.registry.get(name)
        with self.registry.db.read() as conn:
            stored = sql.drift_history(conn, name)
        return DriftHistory(name, stored, feature=feature)

    def metric_history(self, model: str) -> pd.DataFrame:
        """Every stored realised or estimated metric of a model, per window."""
        with self.registry.db.read() as conn:
            return sql.metric_history(conn, parse_ref(model).model)


def _per_feature(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if isinstance(value, Mapping):
        return {str(k): v for k, v in value.items()}
    return {ALL_FEATURES: value}
