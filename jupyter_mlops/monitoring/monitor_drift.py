"""The drift job of a `Monitor`: drift of one window or of many, its settings, its history.

Every feature the reference profile holds is compared with the same column of the current
data, by the test and threshold stored for it (`configure`) unless the call names others;
the model's own output is compared with its outputs on held-out reference data, on the
rows this version answered. `measure_drift` is the one place a report is made, so a check
measures drift exactly as `drift` does.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from jupyter_mlops.clock import utc_now
from jupyter_mlops.errors import (
    ForbiddenError,
    InvalidArgumentError,
    Note,
    Option,
    reference_command,
)
from jupyter_mlops.monitoring import drift as drifting
from jupyter_mlops.monitoring import logs, recording
from jupyter_mlops.monitoring.choice import (
    ALL_FEATURES,
    check_setting,
    check_test,
    check_threshold,
)
from jupyter_mlops.monitoring.columns import Columns, check_columns
from jupyter_mlops.monitoring.conform import conform
from jupyter_mlops.monitoring.history import DriftHistory
from jupyter_mlops.monitoring.multivariate import joint_shift
from jupyter_mlops.monitoring.outputs import own_rows, with_output
from jupyter_mlops.monitoring.report import DriftReport, DriftTimeline
from jupyter_mlops.monitoring.scope import named, resolve
from jupyter_mlops.monitoring.sources import Current, Data, current_data, windows_of
from jupyter_mlops.monitoring.versions import Versions
from jupyter_mlops.monitoring.windows import check_last, parse_window, untimed_notes
from jupyter_mlops.registry import Registry
from jupyter_mlops.registry.outputs import PREDICTION, TARGET
from jupyter_mlops.registry.records import Version
from jupyter_mlops.registry.refs import parse_ref
from jupyter_mlops.store import monitoring as sql


class DriftMixin:
    """`Monitor.drift`, `drift_windows`, `configure` and `history`."""

    registry: Registry
    _versions: Versions

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
        return measure_drift(
            self._versions,
            version,
            data,
            title=named(scope.named, version),
            overrides=drift_settings(self.registry, version.model, tests, thresholds),
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
        last = check_last(last)
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
        if span.every is not None and data.time_column is None:
            raise InvalidArgumentError(
                f"windows of {span.text} need a time column; pass ",
                Option("time_column"),
                " (or windows of rows: ",
                Option("every", python="10000", typed="10000"),
                ").",
            )
        overrides = drift_settings(self.registry, version.model, tests, thresholds)
        title = named(scope.named, version)
        parts, untimed = windows_of(data.columns.frame, span, data.time_column)
        reports = []
        for start, end, rows in parts[-last:] if last else parts:
            label = f"the window from {start} to {end}" if start else "a window of rows"
            part = Data(Columns(rows, label=label), data.source, start, end, data.time_column)
            reports.append(
                measure_drift(
                    self._versions,
                    version,
                    part,
                    title=title,
                    overrides=overrides,
                    exhaustive=False,
                    multivariate=False,
                    predictions=True,
                    save=save,
                )
            )
        notes = untimed_notes(untimed)
        return DriftTimeline(version.model, version.version, span.text, reports, title, notes=notes)

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

    def history(
        self, model: str, feature: str | None = None, *, limit: int | None = None
    ) -> DriftHistory:
        """Every stored drift verdict of a model (of its newest `limit` checks): per check, or
        per check for one `feature` ("prediction": the model's output); `to_frame()` has one
        row per check and feature."""
        name = parse_ref(model).model
        if limit is not None and (
            isinstance(limit, bool) or not isinstance(limit, int) or not limit > 0
        ):
            raise InvalidArgumentError(
                "", Option("limit", python=repr(limit), typed=str(limit)),
                " is not a number of checks; give 1 or more, e.g. ",
                Option("limit", python="20", typed="20"), ", or leave it out for every check.",
            )  # fmt: skip
        self.registry.get(name)
        with self.registry.db.read() as conn:
            stored = sql.drift_history(conn, name)
        if limit is not None:
            newest = sorted(set(stored["check_id"]))[-limit:]
            stored = stored[stored["check_id"].isin(newest)].reset_index(drop=True)
        return DriftHistory(name, stored, feature=feature)


def measure_drift(
    versions: Versions,
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
    """The drift report of `data` against `version`'s reference, stored when `save`."""
    started, clock = datetime.now(UTC), time.perf_counter()
    entries, inputs = _profiled(versions.registry, version)
    columns, changed = conform(inputs, data.columns, version.schema)
    what = f"{version.model} version {version.version}"
    extra = check_columns(inputs, columns, what=what)
    extra = [name for name in extra if name not in logs.RESERVED and name != data.time_column]
    notes = list(data.notes)
    reference = versions.reference_sample(version)
    features = drifting.measure(
        inputs, columns, reference_sample=reference, overrides=overrides, exhaustive=exhaustive
    )
    if predictions:
        features += _output_drift(
            versions, version, data, entries, overrides, exhaustive=exhaustive, notes=notes
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
        try:
            report.check_id = recording.save_drift(versions.registry, version, report, started)
        except ForbiddenError as refused:  # a role that may only read measures, records nothing
            report.notes.append(f"this report was not recorded: {refused}")
    return report


def _profiled(
    registry: Registry, version: Version
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The version's profile entries compared for drift (outputs included), and its inputs."""
    entries = [e for e in registry.profile(version.ref) if e["feature"] != TARGET]
    inputs = [e for e in entries if e["feature"] != PREDICTION]
    if not inputs:
        raise InvalidArgumentError(
            f"{version.model} version {version.version} was registered without training "
            "data, so there is nothing to compare with; register a version with X."
        )
    return entries, inputs


def _output_drift(
    versions: Versions,
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
            Note(
                f"prediction drift not measured: {version.ref} has no held-out reference data "
                "(its outputs on training rows are optimistic); add it with `",
                reference_command(version.model, version.version),
                "`",
            )
        )
        return []
    rows = own_rows(data.columns, version.version, notes)
    columns, output = with_output(
        lambda: versions.model(version),
        rows,
        entries,
        wanted=True,
        notes=notes,
        positive=version.positive_label,
        schema=version.schema,
    )
    features = []
    wanted = [e for e in entries if e["feature"] == PREDICTION]
    for part in (columns, output):
        if part is not None and PREDICTION in part.names:
            features += drifting.measure(
                wanted,
                part,
                reference_sample=versions.reference_sample(version),
                overrides=overrides,
                exhaustive=exhaustive,
            )
    return features


def drift_settings(
    registry: Registry,
    model: str,
    tests: str | Mapping[str, str] | None,
    thresholds: float | Mapping[str, float] | None,
) -> dict[str, dict[str, Any]]:
    """Stored settings, then this call's: {feature or "*": {"test", "threshold"}}."""
    with registry.db.read() as conn:
        merged = sql.drift_settings(conn, model)
    for name, test in _per_feature(tests).items():
        check_test(test)
        merged.setdefault(name, {})["test"] = test
    for name, threshold in _per_feature(thresholds).items():
        test = merged.get(name, {}).get("test")
        merged.setdefault(name, {})["threshold"] = check_threshold(threshold, test)
    return merged


def _per_feature(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if isinstance(value, Mapping):
        return {str(k): v for k, v in value.items()}
    return {ALL_FEATURES: value}
