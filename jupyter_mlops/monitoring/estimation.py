"""Performance estimated without labels, from the model's own confidence (binary classifiers).

If a score of 0.8 means "right 80% of the time", the expected confusion matrix of
a window follows from its scores alone: a row predicted positive adds its
probability to the true positives and the rest to the false positives, and so on.
Scores are first mapped through an isotonic calibration fitted on the held-out
reference sample (the model's scores on rows it did not see, against their true
labels), so a model that is over- or under-confident is corrected; the intervals
include the calibration's own uncertainty, which a small reference makes large. The
estimate holds while the relation between inputs and label holds (covariate shift), not
under concept drift: that is what the realised metrics, once labels arrive, tell apart.

An estimate of a metric its window would likely leave undefined is none, with a note: AUC
needs rows of both classes and F1 a row of the positive class, so a window of a row or two
(or one whose scores all but promise a single class) has an estimated accuracy only. A
made-up AUC of 0.5 there would fire a rule on a healthy model.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from jupyter_mlops.monitoring.performance import MetricValue, Z
from jupyter_mlops.registry.display import counted

SIMULATED_ROWS = 5_000
SIMULATIONS = 200
REFITS = 30  # bootstrap refits of the calibration
UNDEFINED = 0.05  # past this chance that a window leaves a metric undefined, none is estimated


class Calibration:
    """Isotonic map from a model's scores to the observed rate of the positive class.

    The map is learnt from a finite reference, so it is itself uncertain: `redrawn` gives
    maps fitted on bootstrap resamples of the reference, whose spread widens the intervals
    (with a few hundred held-out rows it is most of their width)."""

    def __init__(self, scores: np.ndarray, truth: np.ndarray) -> None:
        from sklearn.isotonic import IsotonicRegression

        self.scores, self.truth = scores, truth.astype(float)
        self._redrawn: list[Calibration] | None = None
        self.map = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
        # half a row of the other class at each end (Jeffreys' prior): a run of rows all
        # right in the reference is a rate just short of certain, never exactly 1 (or 0),
        # which would leave a window of such rows an interval of [1, 1]
        ends = np.array([self.scores.max(), self.scores.min()]) if len(scores) else scores
        self.map.fit(
            np.concatenate([self.scores, ends]),
            np.concatenate([self.truth, [0.0, 1.0][: len(ends)]]),
            sample_weight=np.concatenate([np.ones(len(scores)), np.full(len(ends), 0.5)]),
        )

    def __call__(self, scores: np.ndarray) -> np.ndarray:
        return np.asarray(self.map.predict(scores), dtype="float64")

    def redrawn(self) -> list[Calibration]:
        """`REFITS` maps fitted on resamples of the reference (made once per calibration)."""
        if self._redrawn is None:
            rng = np.random.default_rng(1)
            picks = rng.integers(0, len(self.scores), size=(REFITS, len(self.scores)))
            self._redrawn = [Calibration(self.scores[pick], self.truth[pick]) for pick in picks]
        return self._redrawn


def estimate(scores: np.ndarray, calibration: Calibration, *, threshold: float = 0.5) -> list[Any]:
    """Expected accuracy, F1 and ROC AUC of rows with these scores (no labels needed), with
    95% intervals for the window's rows and for the calibration's own uncertainty."""
    said = scores >= threshold
    n = len(scores)
    centres = _expected(scores, calibration(scores), said)
    right = np.where(said, calibration(scores), 1 - calibration(scores))
    accuracy_se = math.sqrt(float(np.sum(right * (1 - right)))) / n
    f1_ci, auc_ci = _simulated_intervals(
        scores, calibration(scores), said, centres=(centres[1], centres[2])
    )
    sampled = [(centres[0] - Z * accuracy_se, centres[0] + Z * accuracy_se), f1_ci, auc_ci]
    refitted = [_expected(scores, other(scores), said) for other in calibration.redrawn()]
    found = []
    untold = _untold(calibration(scores))
    for index, name in enumerate(("accuracy", "f1", "auc")):
        if name in untold:
            found.append(MetricValue(name, None, None, None, n, True, note=untold[name]))
            continue
        draws = [v for values in refitted if (v := values[index]) is not None]
        low, high = _widened(centres[index], sampled[index], draws)
        found.append(MetricValue(name, centres[index], low, high, n, True))
    return found


def _untold(probability: np.ndarray) -> dict[str, str]:
    """Why F1 and AUC are not estimated for a window whose rows have these calibrated
    chances of the positive class, by metric: the chance that its labels would leave the
    metric undefined (no positive label for F1; a single class for AUC) is past `UNDEFINED`."""
    n = len(probability)
    with np.errstate(divide="ignore"):
        none_positive = math.exp(float(np.sum(np.log1p(-probability))))
        all_positive = math.exp(float(np.sum(np.log(probability))))
    rows = counted(n, "row")
    why = {}
    if none_positive > UNDEFINED:
        why["f1"] = (
            f"not estimated: the window's {rows} would hold no row of the positive class "
            f"(where F1 is undefined) with a chance of {none_positive:.0%}"
        )
    if n < 2:
        why["auc"] = f"not estimated: AUC needs rows of both classes and the window has {rows}"
    elif none_positive + all_positive > UNDEFINED:
        why["auc"] = (
            f"not estimated: the window's {rows} would all be of one class (where AUC is "
            f"undefined) with a chance of {none_positive + all_positive:.0%}"
        )
    return why


def _expected(
    scores: np.ndarray, probability: np.ndarray, said: np.ndarray
) -> tuple[float, float | None, float | None]:
    right = np.where(said, probability, 1 - probability)
    return float(right.mean()), _expected_f1(probability, said), _expected_auc(scores, probability)


def _widened(
    value: float | None, sampled: tuple[float | None, float | None], draws: list[float]
) -> tuple[float | None, float | None]:
    """The window's interval widened by the calibration's spread (independent errors add in
    quadrature), within [0, 1] where every metric estimated here lies."""
    low, high = sampled
    if value is None or low is None or high is None:
        return None, None
    extra = Z * float(np.std(draws)) if len(draws) > 1 else 0.0
    below = math.hypot(value - low, extra)
    above = math.hypot(high - value, extra)
    return _bounded(value - below), _bounded(value + above)


def _bounded(value: float) -> float:
    """A bound within [0, 1], where every metric estimated here lies; a bound past 0 or 1
    by rounding alone (3e-18) is 0 or 1."""
    return min(1.0, max(0.0, round(value, 12)))


def _expected_f1(probability: np.ndarray, said: np.ndarray) -> float | None:
    tp = float(probability[said].sum())
    fp = float((1 - probability[said]).sum())
    fn = float(probability[~said].sum())
    return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else None


def _expected_auc(scores: np.ndarray, probability: np.ndarray) -> float | None:
    """Area under the ROC curve traced by expected true and false positives, best score first."""
    order = np.argsort(-scores, kind="stable")
    ordered_scores, positive = scores[order], probability[order]
    negative = 1 - positive
    if positive.sum() <= 0 or negative.sum() <= 0:
        return None
    # rows with equal scores enter the curve together
    last_of_tie = np.r_[ordered_scores[1:] != ordered_scores[:-1], True]
    tpr = np.r_[0.0, np.cumsum(positive)[last_of_tie] / positive.sum()]
    fpr = np.r_[0.0, np.cumsum(negative)[last_of_tie] / negative.sum()]
    return float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2))


def _simulated_intervals(
    scores: np.ndarray,
    probability: np.ndarray,
    said: np.ndarray,
    *,
    centres: tuple[float | None, float | None],
) -> tuple[tuple[float | None, float | None], tuple[float | None, float | None]]:
    """95% intervals of realised F1 and AUC if labels were drawn from the calibrated scores.

    Simulated on at most 5,000 rows; the spread is scaled to the window's size."""
    rng = np.random.default_rng(0)
    n = len(scores)
    pick = rng.choice(n, SIMULATED_ROWS, replace=False) if n > SIMULATED_ROWS else np.arange(n)
    s, p, d = scores[pick], probability[pick], said[pick]
    ranks = _ranks(s)
    f1s, aucs = [], []
    for _ in range(SIMULATIONS):
        truth = rng.random(len(p)) < p
        tp, fp, fn = np.sum(truth & d), np.sum(~truth & d), np.sum(truth & ~d)
        if tp + fp + fn:
            f1s.append(2 * tp / (2 * tp + fp + fn))
        positives, negatives = int(truth.sum()), int((~truth).sum())
        if positives and negatives:
            aucs.append(
                (ranks[truth].sum() - positives * (positives + 1) / 2) / (positives * negatives)
            )
    scale = math.sqrt(len(p) / n)
    return _interval(f1s, scale, centres[0]), _interval(aucs, scale, centres[1])


def _ranks(values: np.ndarray) -> np.ndarray:
    import pandas as pd

    return pd.Series(values).rank(method="average").to_numpy()


def _interval(
    draws: list[float], scale: float, value: float | None
) -> tuple[float | None, float | None]:
    """The draws' spread around their mean, scaled, placed around `value`."""
    if len(draws) < 10 or value is None:
        return None, None
    values = np.asarray(draws, dtype=float)
    centre = float(values.mean())
    low, high = np.quantile(values, [0.025, 0.975])
    return _bounded(value - (centre - float(low)) * scale), _bounded(
        value + (float(high) - centre) * scale
    )
