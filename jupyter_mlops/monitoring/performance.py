"""Realised performance per window, where labels have arrived, with 95% confidence intervals.

Classifiers: accuracy (Wilson interval), F1 of the positive class and, given
scores, ROC AUC (Hanley-McNeil interval) and log-loss (normal interval of the mean
loss). Regressors: MAE and RMSE (normal intervals; the delta method for RMSE).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from jupyter_mlops.monitoring.windows import moment

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


def is_classification(labels: pd.Series, scores: pd.Series | None) -> bool:
    """Labels that are text, booleans or a few whole numbers, or predictions with scores."""
    if scores is not None and scores.notna().any():
        return True
    values = labels.dropna()
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return True
    numbers = values.to_numpy(dtype="float64")
    return bool(np.all(numbers == np.round(numbers)) and len(np.unique(numbers)) <= 20)


def positive_class(labels: np.ndarray) -> Any:
    """The class F1, AUC and scores refer to: 1 / True when present, else the largest label."""
    present = set(labels.tolist())
    for candidate in (1, True, "1", "yes", "true"):
        if candidate in present:
            return candidate
    return max(present, key=str)


def classification(
    labels: np.ndarray, predictions: np.ndarray, scores: np.ndarray | None
) -> list[MetricValue]:
    n = len(labels)
    positive = positive_class(labels)
    truth = labels == positive
    said = predictions == positive
    correct = int(np.sum(labels == predictions))
    results = [MetricValue("accuracy", correct / n, *_wilson(correct, n), n)]
    results.append(_f1(truth, said))
    if scores is not None and not np.isnan(scores).any():
        results.append(_auc(truth, scores))
        results.append(_log_loss(truth, scores))
    return results


def regression(labels: np.ndarray, predictions: np.ndarray) -> list[MetricValue]:
    n = len(labels)
    errors = predictions.astype(float) - labels.astype(float)
    absolute = np.abs(errors)
    mae = float(absolute.mean())
    mae_se = float(absolute.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan
    squared = errors**2
    mse = float(squared.mean())
    rmse = math.sqrt(mse)
    mse_se = float(squared.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan
    rmse_se = mse_se / (2 * rmse) if rmse > 0 else 0.0
    return [
        MetricValue("mae", mae, *_interval(mae, mae_se, low=0.0), n),
        MetricValue("rmse", rmse, *_interval(rmse, rmse_se, low=0.0), n),
    ]


def _wilson(hits: int, n: int) -> tuple[float, float]:
    if not n:
        return math.nan, math.nan
    p = hits / n
    centre = (p + Z**2 / (2 * n)) / (1 + Z**2 / n)
    half = Z * math.sqrt(p * (1 - p) / n + Z**2 / (4 * n**2)) / (1 + Z**2 / n)
    return centre - half, centre + half


def _interval(
    value: float, se: float, *, low: float = -math.inf, high: float = math.inf
) -> tuple[float | None, float | None]:
    if not math.isfinite(se):
        return None, None
    return max(low, value - Z * se), min(high, value + Z * se)


def _f1(truth: np.ndarray, said: np.ndarray) -> MetricValue:
    """F1 with a bootstrap interval: the confusion counts resampled as a multinomial."""
    cells = np.array(
        [np.sum(truth & said), np.sum(~truth & said), np.sum(truth & ~said), np.sum(~truth & ~said)]
    )
    n = int(cells.sum())
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


def _auc(truth: np.ndarray, scores: np.ndarray) -> MetricValue:
    positives, negatives = int(truth.sum()), int((~truth).sum())
    n = len(truth)
    if not positives or not negatives:
        return MetricValue("auc", None, None, None, n)
    ranks = pd.Series(scores).rank(method="average").to_numpy()
    auc = (ranks[truth].sum() - positives * (positives + 1) / 2) / (positives * negatives)
    q1, q2 = auc / (2 - auc), 2 * auc**2 / (1 + auc)
    variance = (
        auc * (1 - auc) + (positives - 1) * (q1 - auc**2) + (negatives - 1) * (q2 - auc**2)
    ) / (positives * negatives)
    return MetricValue(
        "auc", float(auc), *_interval(auc, math.sqrt(max(variance, 0)), low=0, high=1), n
    )


def _log_loss(truth: np.ndarray, scores: np.ndarray) -> MetricValue:
    clipped = np.clip(scores, 1e-15, 1 - 1e-15)
    losses = -np.where(truth, np.log(clipped), np.log(1 - clipped))
    n = len(losses)
    value = float(losses.mean())
    se = float(losses.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan
    return MetricValue("log_loss", value, *_interval(value, se, low=0.0), n)


def per_window(frame: pd.DataFrame, windows: pd.DataFrame, *, classify: bool) -> list[MetricValue]:
    """Metrics of each window of labelled rows (`__label__`, `__prediction__`, `__score__`)."""
    results: list[MetricValue] = []
    grouped = frame.assign(_start=windows["start"].to_numpy(), _end=windows["end"].to_numpy())
    for (start, end), rows in grouped.groupby(["_start", "_end"], sort=True, dropna=False):
        labels = rows["__label__"].to_numpy()
        predictions = rows["__prediction__"].to_numpy()
        if classify:
            scores = rows["__score__"].to_numpy(dtype="float64", na_value=np.nan)
            found = classification(labels, predictions, None if np.isnan(scores).all() else scores)
        else:
            found = regression(labels, predictions)
        results += [
            MetricValue(
                m.metric,
                m.value,
                m.ci_low,
                m.ci_high,
                m.rows,
                False,
                moment(start),
                moment(end),
            )
            for m in found
        ]
    return results
