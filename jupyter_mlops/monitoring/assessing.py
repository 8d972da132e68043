"""Gathering predictions, scores and labels for the performance and estimation reports."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from jupyter_mlops.errors import (
    InvalidArgumentError,
    RowsRefusedError,
    Spelled,
    reference_command,
)
from jupyter_mlops.monitoring import compaction, labelling, logs
from jupyter_mlops.monitoring.estimation import Calibration, estimate
from jupyter_mlops.monitoring.framing import in_time_order, newest, row_windows, timed, windowed
from jupyter_mlops.monitoring.metrics import PerformanceReport
from jupyter_mlops.monitoring.performance import (
    MetricValue,
    per_window,
    positive_class,
    without_estimate,
)
from jupyter_mlops.monitoring.scope import Scope, rows_from
from jupyter_mlops.monitoring.scoring import Scoring
from jupyter_mlops.monitoring.sources import Current, given
from jupyter_mlops.monitoring.windows import Window, moment, untimed_notes
from jupyter_mlops.registry.classes import listed, matched
from jupyter_mlops.registry.display import counted
from jupyter_mlops.registry.dtypes import as_trained
from jupyter_mlops.registry.outputs import PREDICTION, TARGET, predictions_and_scores
from jupyter_mlops.registry.pairing import paired
from jupyter_mlops.registry.records import Version
from jupyter_mlops.registry.signature import in_signature
from jupyter_mlops.store import analytics

if TYPE_CHECKING:
    from jupyter_mlops.monitoring.versions import Versions

OUTCOMES = [logs.TIMESTAMP, logs.PREDICTION, logs.SCORE, logs.LABEL]


def labelled(
    versions: Versions,
    version: Version,
    current: Current,
    *,
    y: Any,
    time_column: str | None,
    scope: Scope | None = None,
) -> pd.DataFrame:
    """Rows with a prediction, a score (or NaN), a true label (or missing) and a time;
    logged rows also carry the version that answered them (only those `scope` names)."""
    if current is None:
        return _logged(versions, version, scope, with_labels=True)
    rows = given(current, time_column=time_column, version=version)[0]
    if y is None:
        raise InvalidArgumentError(
            "performance on given data needs its true values; pass y= (or use the logs)."
        )
    # paired with the rows given, before an array becomes a frame indexed 0, 1, ...
    truth = labelling.labels_of(paired(current, y), per="row")
    if len(truth) != len(rows):
        raise InvalidArgumentError(
            f"current has {len(rows)} rows but y has {len(truth)}; pass matching y."
        )
    frame = _scored(versions, version, rows, time_column=time_column)
    classes = versions.scoring(version).classes
    what = f"{version.model} version {version.version}"
    found = labelling.as_classes(truth, classes, what=what, missing=True, per="row")
    return frame.assign(**{logs.LABEL: np.asarray(found) if classes is None else found})


def _logged(
    versions: Versions, version: Version, scope: Scope | None, *, with_labels: bool
) -> pd.DataFrame:
    home = versions.registry.data
    if not logs.has_log(home, logs.PREDICTIONS, version.model):
        raise InvalidArgumentError(
            f"no predictions of {version.model} are logged yet; ",
            Spelled(
                python="deploy it or call Monitor.log_predictions, or pass current data",
                shell="serve it (jupyter-mlops serve) so its predictions are logged, or pass "
                "current data",
            ),
            ".",
        )
    with compaction.reading(home, version.model) as held, analytics.cursor() as conn:
        predictions = held.files(logs.PREDICTIONS)
        if with_labels and held.has(logs.LABELS):
            labels = held.files(logs.LABELS)
            frame = analytics.labelled_predictions(conn, predictions, labels, start=None, end=None)
        else:
            frame = analytics.scored_predictions(conn, predictions, start=None, end=None)
            frame = frame.assign(**{logs.LABEL: None})
    return frame if scope is None else scope.select(frame)


def _scored(
    versions: Versions, version: Version, current: pd.DataFrame, *, time_column: str | None
) -> pd.DataFrame:
    """The model's predictions and scores (its positive class's probability) on given rows."""
    if time_column is not None and time_column not in current:
        raise InvalidArgumentError(f"current has no column {time_column!r}; name its time column.")
    schema = version.schema or [{"name": str(c)} for c in current.columns if c != time_column]
    what = f"{version.model} version {version.version}"
    rows = in_signature(current, schema, what=what, strict=False)
    if current.empty:  # an empty window: nothing to ask the model, and it would refuse
        empty = np.array([], dtype="float64")
        return pd.DataFrame({logs.TIMESTAMP: empty, logs.PREDICTION: empty, logs.SCORE: empty})
    model = versions.model(version)
    positive = versions.scoring(version).positive
    rows = as_trained(rows, version.schema)
    try:
        predictions, found = predictions_and_scores(model, rows, positive=positive)
    except Exception as exc:  # the model refuses these rows (NaN, inf): a note in a check
        said = str(exc).strip().splitlines()[0].rstrip(".") if str(exc).strip() else ""
        raise RowsRefusedError(
            f"{what} cannot score the given rows ({type(exc).__name__}: {said}); pass rows "
            "like those it was trained on."
        ) from exc
    scores = np.full(len(current), np.nan) if found is None else found
    times = current[time_column].to_numpy() if time_column else pd.NaT
    return pd.DataFrame({logs.TIMESTAMP: times, logs.PREDICTION: predictions, logs.SCORE: scores})


def realised(
    versions: Versions,
    version: Version,
    frame: pd.DataFrame,
    window: Window,
    *,
    last: int | None,
    scope: Scope | None = None,
) -> PerformanceReport:
    clock = time.perf_counter()
    frame, untimed = timed(frame, window)
    frame = windowed(in_time_order(frame, window), window, scope)
    has_label = frame[logs.LABEL].notna()
    rows = frame[has_label].reset_index(drop=True)
    report = PerformanceReport(version.model, version.version, window.text, [])
    report.unlabelled = int((~has_label).sum())
    report.rows_from = rows_from(frame)
    notes = untimed_notes(untimed)
    if frame.empty:
        notes.insert(0, "the window has no rows")
    elif rows.empty:
        report.note = "; ".join(["no labels have arrived yet", *notes])
        return report
    for number, part in _by_version(rows):
        scoring = versions.scoring(versions.other(version, number))
        notes += [scoring.note] if scoring.note and scoring.note not in notes else []
        part = _of_classes(part, scoring, number, notes)
        found = per_window(part, row_windows(part, window), scoring=scoring)
        report.metrics += [replace(m, version=number) for m in found]
    report.metrics = newest(report.metrics, last)
    if report.unlabelled:
        plural = "s" if report.unlabelled != 1 else ""
        notes.append(f"{report.unlabelled:,} prediction{plural} still without a label")
    report.note = "; ".join(notes)
    report.seconds = time.perf_counter() - clock
    return report


def estimated(
    versions: Versions,
    version: Version,
    current: Current,
    *,
    window: Window,
    time_column: str | None,
    last: int | None,
    scope: Scope | None = None,
) -> PerformanceReport:
    clock = time.perf_counter()
    own = _calibration(versions, version)  # refused before reading: no held-out reference
    if current is None:
        frame = _logged(versions, version, scope, with_labels=True)
    else:
        frame = given(current, time_column=time_column, version=version)[0]
        frame = _scored(versions, version, frame, time_column=time_column)
        frame = frame.assign(**{logs.LABEL: None})
    rows = len(frame)
    frame, untimed = timed(frame[frame[logs.SCORE].notna()].reset_index(drop=True), window)
    frame = windowed(in_time_order(frame, window), window, scope)
    report = PerformanceReport(version.model, version.version, window.text, [])
    report.rows_from = rows_from(frame if current is None else None)
    notes = untimed_notes(untimed)
    if frame.empty:
        notes.insert(0, "the window has no rows" if not rows else "no scored rows to estimate from")
        report.note = "; ".join(notes)
        return report
    for number, part in _by_version(frame):
        try:
            calibration = (
                own
                if number is None or number == version.version
                else _calibration(versions, versions.other(version, number))
            )
        except InvalidArgumentError as exc:
            notes.append(f"rows of version {number} not estimated: {str(exc).split(';')[0]}")
            continue
        scoring = versions.scoring(versions.other(version, number))
        report.metrics += _estimates(part, window, calibration, number, scoring)
    report.note = "; ".join(notes)
    report.metrics = newest(report.metrics, last)
    report.seconds = time.perf_counter() - clock
    return report


def _estimates(
    frame: pd.DataFrame,
    window: Window,
    calibration: Calibration,
    number: int | None,
    scoring: Scoring,
) -> list[MetricValue]:
    """Estimated metrics of each window of one version's rows, and the realised ones where
    labels have arrived."""
    found = []
    cuts = row_windows(frame, window)
    keys = [cuts["block"], cuts["start"], cuts["end"]]
    for (block, start, end), rows in frame.groupby(keys, dropna=False):
        scores = rows[logs.SCORE].to_numpy(dtype="float64")
        found += [_in_window(m, start, end, block) for m in estimate(scores, calibration)]
    labelled_rows = frame[frame[logs.LABEL].notna()].reset_index(drop=True)
    if not labelled_rows.empty:
        found += [
            m
            for m in per_window(labelled_rows, row_windows(labelled_rows, window), scoring=scoring)
            if m.metric in ("accuracy", "f1", "auc")
        ]
    return [replace(m, version=number) for m in found]


def _of_classes(
    frame: pd.DataFrame, scoring: Scoring, number: int | None, notes: list[str]
) -> pd.DataFrame:
    """Labelled rows with each label as the class it names (a log may hold "2" for 2, from
    before labels were checked); a label naming none is left out, with a note."""
    if scoring.classes is None or frame.empty:
        return frame
    found = matched(frame[logs.LABEL].to_numpy(), scoring.classes)
    frame = frame.assign(**{logs.LABEL: found.values})
    if not found.strangers.any():
        return frame
    count = int(found.strangers.sum())
    whose = f"version {number}" if number is not None else "the model"
    notes.append(
        f"{counted(count, 'label')} naming none of {whose}'s classes "
        f"({listed(scoring.classes)}) left out"
    )
    return frame[~found.strangers].reset_index(drop=True)


def _by_version(frame: pd.DataFrame) -> list[tuple[int | None, pd.DataFrame]]:
    """Logged rows split by the version that answered them (given data: one part)."""
    if logs.VERSION not in frame or frame[logs.VERSION].isna().all():
        return [(None, frame)]
    numbers = sorted(int(number) for number in frame[logs.VERSION].dropna().unique())
    return [
        (number, frame[frame[logs.VERSION] == number].reset_index(drop=True)) for number in numbers
    ]


def for_check(
    versions: Versions,
    version: Version,
    frame: pd.DataFrame | None,
    *,
    y: Any,
    time_column: str | None,
    window: Window,
    scope: Scope | None = None,
) -> tuple[PerformanceReport | None, list[str]]:
    """The newest window's realised metrics (where labels exist) and estimates (where the
    version can be calibrated), for a check's alert rules; what is missing becomes a note.

    `frame` is the check's current data (None: the logs)."""
    notes: list[str] = []
    report: PerformanceReport | None = None
    if frame is None or y is not None:
        try:
            found = labelled(versions, version, frame, y=y, time_column=time_column, scope=scope)
        except RowsRefusedError as exc:  # an estimate would score the same rows
            reason = str(exc).split(";")[0]
            said = f"the model refused the rows the labels came with: {reason}"
            refused = PerformanceReport(version.model, version.version, window.text, [], said)
            return refused, [f"no performance and no estimate: {reason}"]
        report = realised(versions, version, found, window, last=1, scope=scope)
        notes += [report.note] if report.note else []
    try:
        guess = estimated(
            versions,
            version,
            frame,
            window=window,
            time_column=time_column,
            last=1,
            scope=scope,
        )
    except InvalidArgumentError as exc:
        reason = str(exc).split(";")[0]
        notes.append(without_estimate(lambda: versions.model(version), version.model, reason))
        return report, notes
    guesses = [m for m in guess.metrics if m.estimated]
    if report is None:
        return PerformanceReport(version.model, version.version, window.text, guesses), notes
    report.metrics += guesses
    return report, notes


def _calibration(versions: Versions, version: Version) -> Calibration:
    reference = versions.reference_sample(version)
    if reference is None or not version.held_out or not {PREDICTION, TARGET} <= set(reference):
        raise InvalidArgumentError(
            f"{version.model} version {version.version} has no held-out reference data with "
            "labels to calibrate its scores on (its scores on training rows are optimistic); "
            "add it with `",
            reference_command(version.model, version.version),
            "`.",
        )
    truth = reference[TARGET].to_numpy()
    if len(set(truth.tolist())) == 1 and len(getattr(versions.model(version), "classes_", [])) == 2:
        raise InvalidArgumentError(
            f"{version.model} version {version.version}'s held-out reference labels are all "
            f"{truth[0]!r}, so its scores cannot be calibrated; give reference rows of both "
            "classes with `",
            reference_command(version.model, version.version),
            "`.",
        )
    scores = reference[PREDICTION]
    numeric = pd.api.types.is_numeric_dtype(scores)  # class labels are text
    if len(set(truth.tolist())) != 2 or not numeric or scores.min() < 0 or scores.max() > 1:
        raise InvalidArgumentError(
            f"{version.model} is not a binary classifier with probabilities; estimation "
            "applies to those (use performance once labels arrive)."
        )
    if scores.isna().any():
        raise InvalidArgumentError(
            f"{version.model} version {version.version}'s scores of its held-out reference "
            f"rows are NaN ({scores.isna().sum():,} of {len(scores):,}), so they cannot be "
            "calibrated; register a version whose model scores those rows with numbers."
        )
    positive = versions.scoring(version).positive
    positive = positive_class(truth) if positive is None else positive
    return Calibration(scores.to_numpy(dtype="float64"), truth == positive)


def _in_window(metric: MetricValue, start: Any, end: Any, block: Any) -> MetricValue:
    return replace(
        metric,
        estimated=True,
        window_start=moment(start),
        window_end=moment(end),
        block=int(block),
    )
