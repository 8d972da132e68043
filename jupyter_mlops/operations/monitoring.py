"""Watching a version in use: drift, realised and estimated performance, batch scoring,
the drift settings and history, compacting the prediction log.

`current` is what the face was given: None (the model's prediction log), a DataFrame, or
data files (a path, a glob, or a list of them: Parquet, CSV, TSV). `window` and `every`
are spans (`1h`, `7d`) or, as digits, counts of rows; a `window` may also be one range of
dates, `FROM..TO`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from jupyter_mlops.errors import InvalidArgumentError, Option, Spelled
from jupyter_mlops.monitoring import Monitor
from jupyter_mlops.monitoring.distributions import Distributions
from jupyter_mlops.monitoring.history import DriftHistory
from jupyter_mlops.monitoring.metrics import PerformanceReport
from jupyter_mlops.monitoring.monitor_drift import drift_settings
from jupyter_mlops.monitoring.report import DriftReport, DriftTimeline
from jupyter_mlops.operations.inputs import as_span, labelled
from jupyter_mlops.operations.results import DriftSettings, MetricHistory, Predictions
from jupyter_mlops.registry import Registry, team
from jupyter_mlops.registry.refs import check_name, parse_ref

if TYPE_CHECKING:
    from jupyter_mlops.monitoring.compaction import CompactionList

EVERY = Option("every")
LAST = Option("last")
EVERY_DAY = Option("every", python="'1d'", typed="1d")


def drift(
    registry: Registry,
    *,
    ref: str,
    current: Any = None,
    window: str | int | None = None,
    every: str | int | None = None,
    last: int | None = None,
    time_column: str | None = None,
    test: str | None = None,
    threshold: float | None = None,
    all_tests: bool = False,
    multivariate: bool = True,
    save: bool = True,
) -> DriftReport | DriftTimeline:
    """Drift of current data against the version's reference: one report, or with `every`
    one per window (the newest `last` of them)."""
    monitor = Monitor(registry)
    if every is None:
        if last is not None:
            raise InvalidArgumentError(
                "", LAST, " counts windows of ", EVERY, "; add ", EVERY_DAY, ", or leave ", LAST,
                " out.",
            )  # fmt: skip
        return monitor.drift(
            ref,
            current,
            window=as_span(window),
            time_column=time_column,
            tests=test,
            thresholds=threshold,
            exhaustive=all_tests,
            multivariate=multivariate,
            save=save,
        )
    if window is not None:
        raise InvalidArgumentError(
            "", EVERY, " and ", Option("window"),
            " do not combine; use ", EVERY, " with ", Option("last", python="N", typed="N"), ".",
        )  # fmt: skip
    return monitor.drift_windows(
        ref,
        current,
        every=as_span(every),
        time_column=time_column,
        last=last,
        tests=test,
        thresholds=threshold,
        save=save,
    )


def distributions(
    registry: Registry,
    *,
    ref: str,
    feature: str,
    current: Any = None,
    window: str | int | None = None,
    time_column: str | None = None,
) -> Distributions:
    """A feature's (`prediction`: the model's output) shares per bin or category in the
    version's reference and in `current`, or in the last `window` of the prediction log,
    with the verdict the newest drift check stored for it."""
    return Monitor(registry).distributions(
        ref, feature, current, window=as_span(window), time_column=time_column
    )


def drift_history(
    registry: Registry, *, model: str, feature: str | None = None, limit: int | None = None
) -> DriftHistory:
    """Every recorded drift verdict of a model (of one feature; of its newest `limit`
    checks), check by check."""
    return Monitor(registry).history(model, feature=feature, limit=limit)


def drift_config(
    registry: Registry,
    *,
    model: str,
    feature: str = "*",
    test: str | None = None,
    threshold: float | None = None,
    clear: bool = False,
) -> DriftSettings:
    """Store the drift test and threshold of a feature (`*`: every feature) of a model, or
    with `clear` drop the feature's stored ones; given neither, only read the model's
    settings (which a role that may only read a shared registry may do)."""
    if clear and (test is not None or threshold is not None):
        raise InvalidArgumentError(
            "clearing a feature's drift settings takes no test or threshold; ",
            Spelled(
                python="pass clear=True alone, or test= and threshold= without it",
                notebook="give --clear alone, or --test and --threshold without it",
                shell="give --clear alone, or --test and --threshold without it",
            ),
            ".",
        )
    if not clear and test is None and threshold is None:
        registry.get(model)  # an unknown model is said so, with names it may mean
        return DriftSettings(model, drift_settings(registry, model, None, None))
    settings = Monitor(registry).configure(model, feature, test=test, threshold=threshold)
    return DriftSettings(model, settings)


def performance(
    registry: Registry,
    *,
    ref: str,
    current: Any = None,
    y: Any = None,
    label_column: str | None = None,
    window: str | int = "1d",
    time_column: str | None = None,
    last: int | None = None,
) -> PerformanceReport:
    """Realised metrics per window: from the logs, or from `current` and its true values
    (`y`, or its column `label_column`)."""
    current, y = labelled(current, y=y, label_column=label_column, time_column=time_column)
    if current is not None and y is None:
        raise InvalidArgumentError(
            "performance on current data needs its true values; ",
            Spelled(
                python="name their column with label_column='NAME', or pass them as y=y_true",
                notebook="name their column with --label-column NAME, or pass them as --y VARIABLE",
                shell="name their column with --label-column NAME",
            ),
            ".",
        )
    return Monitor(registry).performance(
        ref, current, y=y, window=as_span(window), time_column=time_column, last=last
    )


def estimate(
    registry: Registry,
    *,
    ref: str,
    current: Any = None,
    window: str | int = "1d",
    time_column: str | None = None,
    last: int | None = None,
) -> PerformanceReport:
    """Estimated metrics per window without labels (binary classifiers)."""
    return Monitor(registry).estimate(
        ref, current, window=as_span(window), time_column=time_column, last=last
    )


def predict(
    registry: Registry,
    *,
    ref: str,
    rows: Any,
    log: bool = True,
    output: str | Path | None = None,
) -> Predictions:
    """Score `rows` here (a DataFrame, or data files), logged like served predictions
    unless `log=False`; with `output`, written to that file (.parquet, .csv, .tsv)."""
    from jupyter_mlops.registry import datafiles

    written_to = None if output is None else datafiles.writable(output)
    if isinstance(rows, (str, Path)):
        rows = datafiles.read_files([rows])
    frame = Monitor(registry).predict(ref, rows, log=log)
    if written_to is not None:
        datafiles.write_file(frame, written_to)
    return Predictions(ref, frame, logged=log, written_to=written_to)


def metric_history(registry: Registry, *, model: str) -> MetricHistory:
    """A model's stored metrics per window (the newest measurement of each window), and the
    times its alert rules fired, read from what checks stored, never from the raw log."""
    monitor = Monitor(registry)
    stored = monitor.metric_history(model)
    key = ["window_start", "block", "metric", "estimated", "version"]
    newest = stored.sort_values("check_id").drop_duplicates(key, keep="last")
    fired = [
        {"rule": e.expression, "at": e.occurred_at, "check_id": e.check_id}
        for e in monitor.alert_log(model, limit=200)
        if e.kind == "fired"
    ]
    return MetricHistory(parse_ref(model).model, newest.reset_index(drop=True), fired)


def compact(registry: Registry, *, model: str | None = None) -> CompactionList:
    """Merge a model's (every logged model's) small prediction-log segments per day: on a
    shared registry only by a role that may write (its lease is a write)."""
    from jupyter_mlops.monitoring.compaction import compact as merge

    if model is not None:
        check_name(model)
    team.require_writable(registry.db)
    return merge(registry.data, model, catalog=registry.db)
