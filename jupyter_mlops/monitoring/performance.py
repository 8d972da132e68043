"""Realised performance per window, where labels have arrived, with 95% confidence intervals.

Classifiers: accuracy (Wilson interval), F1 of the positive class and, given
scores, ROC AUC (Hanley-McNeil interval) and log-loss (normal interval of the mean
loss). The positive class is the version's, the same in every window (`scoring.py`): a
window without a row of it has no F1 and no AUC (None, with a note saying why), never the
other class's. Classifiers of more than two classes: accuracy, and F1 averaged over the
classes both ways, `f1_macro` (each class counts the same) and `f1_weighted` (each class by
its share of the labels), with bootstrap intervals. Regressors: MAE and RMSE (normal
intervals; the delta method for RMSE).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from jupyter_mlops.errors import MlopsError
from jupyter_mlops.monitoring.scoring import Scoring
from jupyter_mlops.monitoring.windows import moment
from jupyter_mlops.registry.task import CLASSIFIER

Z = 1.959963984540054  # the 97.5% normal quantile
CLASSIFICATION_METRICS = ("accuracy", "f1", "auc", "log_loss")
REGRESSION_METRICS = ("mae", "rmse")
F1_DRAWS = 400


@dataclass(frozen=True)
class MetricValue:
    metric: str
    value: float | None
    ci_low: float | None
    ci_high: float | None
    rows: int
    estimated: bool = False
    window_start: datetime | None = None
    window_end: datetime | None = None
    version: int | None = None  # the version whose rows these are (logs of several versions)
    note: str = ""  # why a value is missing, or how it was averaged
    # which window of rows (counted from 0) it is of: rows logged in one call share their
    # time, so windows of rows can have the same bounds; 0 for a window of time
    block: int = field(default=0, metadata={"json": False})


AVERAGED = {
    "f1_macro": "mean of the F1 of each class among the window's labels and predictions",
    "f1_weighted": "mean of the F1 of each class, weighted by its share of the labels",
}


def is_classification(labels: pd.Series, scores: pd.Series | None) -> bool:
    """Labels that are text, booleans or a few whole numbers, or predictions with scores:
    how rows were told apart before versions recorded their task (and still are, for such
    a version whose model cannot be loaded)."""
    if scores is not None and scores.notna().any():
        return True
    values = labels.dropna()
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return True
    numbers = values.to_numpy(dtype="float64")
    return bool(np.all(numbers == np.round(numbers)) and len(np.unique(numbers)) <= 20)


def positive_class(labels: np.ndarray) -> Any:
    """The class F1, AUC and scores refer to, for a version that recorded none and whose
    model cannot be asked: 1 / True when present, else the largest label."""
    present = set(labels.tolist())
    for candidate in (1, True, "1", "yes", "true"):
        if candidate in present:
            return candidate
    return max(present, key=str)


def classification(
    labels: np.ndarray,
    predictions: np.ndarray,
    scores: np.ndarray | None,
    *,
    classes: list[Any] | None = None,
    positive: Any = None,
) -> list[MetricValue]:
    """Accuracy and F1 (and AUC, log-loss given scores) of the `positive` class (None: as
    the labels suggest); with more than two `classes` (every class of the frame the window
    is part of), F1 macro- and weight-averaged."""
    n = len(labels)
    if classes is not None and len(classes) > 2:
        correct = int(np.sum(labels == predictions))
        accuracy = MetricValue("accuracy", correct / n, *_wilson(correct, n), n)
        return [accuracy, *_f1_averaged(labels, predictions, classes)]
    positive = positive_class(labels) if positive is None else positive
    truth = labels == positive
    said = predictions == positive
    correct = int(np.sum(labels == predictions))
    results = [MetricValue("accuracy", correct / n, *_wilson(correct, n), n)]
    results.append(_f1(truth, said, positive=positive))
    if scores is not None and not np.isnan(scores).any():
        results.append(_auc(truth, scores, positive=positive))
        results.append(_log_loss(truth, scores))
    return results


def regression(labels: np.ndarray, predictions: np.ndarray) -> list[MetricValue]:
    """MAE and RMSE with their intervals; none (with a note saying why) where an output or
    a label is NaN, or an error is past the largest float, which no rule may read as a
    number. Errors are scaled by the largest before they are summed or squared, so errors
    near 1e308 give their MAE and RMSE, not an overflow to infinity."""
    n = len(labels)
    with np.errstate(over="ignore", invalid="ignore"):
        errors = predictions.astype(float) - labels.astype(float)
    if np.isnan(errors).any():
        note = _not_computed(int(np.isnan(predictions.astype(float)).sum()), n)
        return [MetricValue(name, None, None, None, n, note=note) for name in REGRESSION_METRICS]
    if not np.isfinite(errors).all():
        note = (
            f"could not be computed: an error of the {n:,} rows is infinite (a label or an "
            "output is, or their difference is past the largest number, about 1.8e308)"
        )
        return [MetricValue(name, None, None, None, n, note=note) for name in REGRESSION_METRICS]
    scale = float(np.abs(errors).max()) or 1.0
    absolute = np.abs(errors) / scale  # within [0, 1]: no sum of them overflows
    mae = scale * float(absolute.mean())
    mae_se = scale * float(absolute.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan
    squared = absolute**2
    mse = float(squared.mean())  # of the scaled errors
    rmse = scale * math.sqrt(mse)
    mse_se = float(squared.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan
    rmse_se = scale * mse_se / (2 * math.sqrt(mse)) if mse > 0 else 0.0
    return [
        MetricValue("mae", mae, *_interval(mae, mae_se, low=0.0), n),
        MetricValue("rmse", rmse, *_interval(rmse, rmse_se, low=0.0), n),
    ]


def _not_computed(unscored: int, rows: int) -> str:
    if unscored:
        return f"could not be computed: the model's output is NaN for {unscored:,} of {rows:,} rows"
    return f"could not be computed: an error of the {rows:,} rows is not a number"


def _wilson(hits: int, n: int) -> tuple[float, float]:
    if not n:
        return math.nan, math.nan
    p = hits / n
    centre = (p + Z**2 / (2 * n)) / (1 + Z**2 / n)
    half = Z * math.sqrt(p * (1 - p) / n + Z**2 / (4 * n**2)) / (1 + Z**2 / n)
    # none right (all right) has the bound 0 (1) exactly, not 3e-18 off it by rounding
    low = 0.0 if hits == 0 else max(0.0, centre - half)
    high = 1.0 if hits == n else min(1.0, centre + half)
    return low, high


def _interval(
    value: float, se: float, *, low: float = -math.inf, high: float = math.inf
) -> tuple[float | None, float | None]:
    if not math.isfinite(se):
        return None, None
    bounds = max(low, value - Z * se), min(high, value + Z * se)
    return bounds if all(math.isfinite(bound) for bound in bounds) else (None, None)


def _f1(truth: np.ndarray, said: np.ndarray, *, positive: Any) -> MetricValue:
    """F1 with a bootstrap interval: the confusion counts resampled as a multinomial.
    Without a row of the positive class it is undefined (its recall is)."""
    cells = np.array(
        [np.sum(truth & said), np.sum(~truth & said), np.sum(truth & ~said), np.sum(~truth & ~said)]
    )
    n = int(cells.sum())
    if not truth.any():
        return MetricValue("f1", None, None, None, n, note=_none_of(positive))
    value = _f1_of(cells)
    draws = np.random.default_rng(0).multinomial(n, cells / n, size=F1_DRAWS)
    scores = np.array([np.nan if (f1 := _f1_of(draw)) is None else f1 for draw in draws])
    scores = scores[~np.isnan(scores)]
    if value is None or not len(scores):
        return MetricValue("f1", value, None, None, n)
    low, high = np.quantile(scores, [0.025, 0.975])
    return MetricValue("f1", value, float(low), float(high), n)


def _f1_of(cells: np.ndarray) -> float | None:
    tp, fp, fn = (float(value) for value in cells[:3])
    return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else None


def _f1_averaged(
    labels: np.ndarray, predictions: np.ndarray, classes: list[Any]
) -> list[MetricValue]:
    """Macro and weighted F1 over `classes`, with intervals from the confusion matrix's
    cells resampled as a multinomial (as for binary F1)."""
    index = {value: position for position, value in enumerate(classes)}
    k, n = len(classes), len(labels)
    pairs = [
        index[a] * k + index[b] for a, b in zip(labels.tolist(), predictions.tolist(), strict=True)
    ]
    cells = np.bincount(np.asarray(pairs, dtype=np.int64), minlength=k * k)
    draws = np.random.default_rng(0).multinomial(n, cells / n, size=F1_DRAWS)
    results = []
    for metric, weighted in (("f1_macro", False), ("f1_weighted", True)):
        value = _averaged_f1(cells.reshape(k, k), weighted=weighted)
        spread = np.array([_averaged_f1(d.reshape(k, k), weighted=weighted) for d in draws])
        low, high = np.quantile(spread, [0.025, 0.975])
        results.append(
            MetricValue(metric, value, float(low), float(high), n, note=AVERAGED[metric])
        )
    return results


def _averaged_f1(confusion: np.ndarray, *, weighted: bool) -> float:
    """F1 per class (rows: true class, columns: predicted), averaged over the classes that
    occur as a label or a prediction (scikit-learn's `average="macro"` or `"weighted"`)."""
    tp = np.diag(confusion).astype(float)
    said, actual = confusion.sum(axis=0), confusion.sum(axis=1)
    present = (said + actual) > 0
    f1 = np.divide(2 * tp, said + actual, out=np.zeros_like(tp), where=present)
    if weighted:
        return float(np.sum(f1 * actual) / actual.sum()) if actual.sum() else 0.0
    return float(f1[present].mean()) if present.any() else 0.0


def _auc(truth: np.ndarray, scores: np.ndarray, *, positive: Any) -> MetricValue:
    positives, negatives = int(truth.sum()), int((~truth).sum())
    n = len(truth)
    if not positives:
        return MetricValue("auc", None, None, None, n, note=_none_of(positive))
    if not negatives:
        note = f"undefined: every label is the positive class {positive!r}"
        return MetricValue("auc", None, None, None, n, note=note)
    ranks = pd.Series(scores).rank(method="average").to_numpy()
    auc = (ranks[truth].sum() - positives * (positives + 1) / 2) / (positives * negatives)
    q1, q2 = auc / (2 - auc), 2 * auc**2 / (1 + auc)
    variance = (
        auc * (1 - auc) + (positives - 1) * (q1 - auc**2) + (negatives - 1) * (q2 - auc**2)
    ) / (positives * negatives)
    return MetricValue(
        "auc", float(auc), *_interval(auc, math.sqrt(max(variance, 0)), low=0, high=1), n
    )


def _none_of(positive: Any) -> str:
    return f"undefined: no label is the positive class {positive!r}"


def _log_loss(truth: np.ndarray, scores: np.ndarray) -> MetricValue:
    clipped = np.clip(scores, 1e-15, 1 - 1e-15)
    losses = -np.where(truth, np.log(clipped), np.log(1 - clipped))
    n = len(losses)
    value = float(losses.mean())
    se = float(losses.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan
    return MetricValue("log_loss", value, *_interval(value, se, low=0.0), n)


def per_window(
    frame: pd.DataFrame, windows: pd.DataFrame, *, scoring: Scoring
) -> list[MetricValue]:
    """Metrics of each window of labelled rows (`__label__`, `__prediction__`, `__score__`),
    scored as `scoring` says (the labels decide only for a version that cannot tell)."""
    results: list[MetricValue] = []
    if scoring.known:
        classify = scoring.task == CLASSIFIER
    else:
        classify = is_classification(frame["__label__"], frame.get("__score__"))
    classes = (list(scoring.classes or []) or _classes(frame)) if classify else None
    grouped = frame.assign(
        _start=windows["start"].to_numpy(),
        _end=windows["end"].to_numpy(),
        _block=windows["block"].to_numpy(),
    )
    keys = ["_block", "_start", "_end"]
    for (_, start, end), rows in grouped.groupby(keys, sort=True, dropna=False):
        block = int(rows["_block"].to_numpy()[0])
        labels = rows["__label__"].to_numpy()
        predictions = rows["__prediction__"].to_numpy()
        if classify:
            scores = rows["__score__"].to_numpy(dtype="float64", na_value=np.nan)
            given = None if np.isnan(scores).all() else scores
            found = classification(
                labels, predictions, given, classes=classes, positive=scoring.positive
            )
        else:
            found = regression(labels, predictions)
        results += [
            replace(m, window_start=moment(start), window_end=moment(end), block=block)
            for m in found
        ]
    return results


def _classes(frame: pd.DataFrame) -> list[Any]:
    """Every class among the labels and predictions of all windows, for a version whose
    model cannot be loaded here to tell its classes: a window is scored as binary or
    multiclass by the classes of the whole frame, not by those it happens to hold."""
    values = pd.concat([frame["__label__"], frame["__prediction__"]], ignore_index=True)
    return sorted(set(values.dropna().unique().tolist()), key=str)


def without_estimate(load: Callable[[], Any], name: str, reason: str) -> str:
    """A check's note when it has no estimate: what kind of model `name` is (`load()` gives
    it), where estimation does not apply to that kind, else `reason` (why this one could
    not be had)."""
    try:
        model = load()
    except MlopsError:  # the model's kind cannot be told; the reason stands
        return f"no estimate: {reason}"
    classes = getattr(model, "classes_", None)
    if classes is None:
        kind = "a regressor" if _estimator_type(model) == "regressor" else "not a classifier"
        return f"estimates apply to binary classifiers; {name} is {kind}: realised metrics only"
    if len(classes) != 2:
        return (
            f"estimates apply to binary classifiers; {name} is a classifier of {len(classes)} "
            "classes: realised metrics only"
        )
    if not callable(getattr(model, "predict_proba", None)):
        return (
            f"estimates apply to classifiers with probabilities; {name} has no predict_proba: "
            "realised metrics only"
        )
    return f"no estimate: {reason}"


def _estimator_type(model: Any) -> str | None:
    """scikit-learn's word for the model ("classifier", "regressor"), if it has one."""
    try:
        return str(model.__sklearn_tags__().estimator_type)
    except Exception:  # not a scikit-learn estimator: it has no tags
        return None
