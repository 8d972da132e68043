"""Metrics of a model's outputs on resampled rows, many resamples at once.

A bootstrap resample of n rows is a count per row (how often it was drawn), so a metric of
a resample is the metric with those counts as row weights. Each metric here takes a
matrix of weights, one resample per row, and gives one value per resample: a mean (accuracy,
MAE, log-loss) is a matrix product, F1 and R² are ratios of such products, and ROC AUC is
counted once per tie group of the sorted scores, with the negatives' weight below each group
summed along the row. The point estimate is the same function with every weight 1, so
an interval and its estimate never disagree on what the metric is.

A value a resample cannot define (an AUC of a resample holding one class, an R² of constant
labels) is NaN.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from jupyter_mlops.registry.task import CLASSIFIER, REGRESSOR

EPSILON = 1e-15  # probabilities are clipped to [EPSILON, 1 - EPSILON] for log-loss, as sklearn


@dataclass(frozen=True)
class Outputs:
    """What one version said about the rows: its predictions and, for a classifier with
    `predict_proba`, a probability per class (columns in the order of `classes`)."""

    predictions: np.ndarray
    probabilities: np.ndarray | None = None
    classes: tuple[Any, ...] = ()


@dataclass(frozen=True)
class Labels:
    """The true values, and for a classifier the class F1 and a binary AUC refer to."""

    values: np.ndarray
    positive: Any = None


Values = Callable[[np.ndarray, Labels, Outputs], np.ndarray]


@dataclass(frozen=True)
class Metric:
    """A metric a gate compares: for which task, whether larger is better, whether it
    needs probabilities, and its values per resample."""

    name: str
    task: str
    larger_is_better: bool
    values: Values
    needs_probabilities: bool = False


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    defined = denominator > 0
    return np.where(defined, numerator / np.where(defined, denominator, 1), np.nan)


def _accuracy(weights: np.ndarray, labels: Labels, out: Outputs) -> np.ndarray:
    right = (out.predictions == labels.values).astype("float64")
    return weights @ right / weights.sum(axis=1)


def _f1(weights: np.ndarray, labels: Labels, out: Outputs) -> np.ndarray:
    """The positive class's F1 for two classes; else the mean over the classes either the
    labels or the predictions of the resample hold (scikit-learn's macro average)."""
    truth, said = labels.values, out.predictions
    if labels.positive is not None:
        chosen = [labels.positive]
    else:
        chosen = list(np.unique(np.concatenate([truth, said]).astype(object)))
    scores = []
    for value in chosen:
        hit, claimed = truth == value, said == value
        tp = weights @ (hit & claimed).astype("float64")
        wrong = weights @ (hit ^ claimed).astype("float64")
        scores.append(_ratio(2 * tp, 2 * tp + wrong))
    stacked = np.vstack(scores)
    if labels.positive is not None:
        return np.nan_to_num(stacked[0], nan=0.0)  # no positive said nor true: F1 of 0
    return np.nanmean(stacked, axis=0)  # a class no resampled row holds is left out


def _auc_of(weights: np.ndarray, positive: np.ndarray, score: np.ndarray) -> np.ndarray:
    """ROC AUC per resample: each positive counts the negatives scored below it, and half
    those tied with it, by weight."""
    order = np.argsort(score, kind="mergesort")
    ordered, hits = score[order], positive[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    sorted_weights = weights[:, order]
    pos = np.add.reduceat(sorted_weights * hits, starts, axis=1)
    neg = np.add.reduceat(sorted_weights * ~hits, starts, axis=1)
    below = np.cumsum(neg, axis=1) - neg
    won = (pos * (below + 0.5 * neg)).sum(axis=1)
    return _ratio(won, pos.sum(axis=1) * neg.sum(axis=1))


def _auc(weights: np.ndarray, labels: Labels, out: Outputs) -> np.ndarray:
    """The positive class's AUC for two classes; else each class against the rest,
    averaged over the classes (scikit-learn's `multi_class="ovr"`, macro)."""
    assert out.probabilities is not None
    classes = list(out.classes)
    if labels.positive is not None:
        column = out.probabilities[:, classes.index(labels.positive)]
        return _auc_of(weights, labels.values == labels.positive, column)
    each = [
        _auc_of(weights, labels.values == value, out.probabilities[:, place])
        for place, value in enumerate(classes)
    ]
    return np.mean(np.vstack(each), axis=0)


def _log_loss(weights: np.ndarray, labels: Labels, out: Outputs) -> np.ndarray:
    assert out.probabilities is not None
    position = {value: place for place, value in enumerate(out.classes)}
    columns = np.array([position[value] for value in labels.values.tolist()])
    given = out.probabilities[np.arange(len(columns)), columns].astype("float64")
    losses = -np.log(np.clip(given, EPSILON, 1 - EPSILON))
    return weights @ losses / weights.sum(axis=1)


def _errors(labels: Labels, out: Outputs) -> np.ndarray:
    return out.predictions.astype("float64") - labels.values.astype("float64")


def _rmse(weights: np.ndarray, labels: Labels, out: Outputs) -> np.ndarray:
    return np.sqrt(weights @ _errors(labels, out) ** 2 / weights.sum(axis=1))


def _mae(weights: np.ndarray, labels: Labels, out: Outputs) -> np.ndarray:
    return weights @ np.abs(_errors(labels, out)) / weights.sum(axis=1)


def _r2(weights: np.ndarray, labels: Labels, out: Outputs) -> np.ndarray:
    truth = labels.values.astype("float64")
    total = weights.sum(axis=1)
    spread = weights @ truth**2 - (weights @ truth) ** 2 / total
    spread = np.where(spread > 1e-12 * np.maximum(weights @ truth**2, 1.0), spread, 0.0)
    return 1 - _ratio(weights @ _errors(labels, out) ** 2, spread)


METRICS: dict[str, Metric] = {
    metric.name: metric
    for metric in (
        Metric("accuracy", CLASSIFIER, True, _accuracy),
        Metric("auc", CLASSIFIER, True, _auc, needs_probabilities=True),
        Metric("f1", CLASSIFIER, True, _f1),
        Metric("log_loss", CLASSIFIER, False, _log_loss, needs_probabilities=True),
        Metric("rmse", REGRESSOR, False, _rmse),
        Metric("mae", REGRESSOR, False, _mae),
        Metric("r2", REGRESSOR, True, _r2),
    )
}


def metrics_for(task: str) -> list[str]:
    """The metrics a version of `task` is compared by."""
    return [name for name, metric in METRICS.items() if metric.task == task]
