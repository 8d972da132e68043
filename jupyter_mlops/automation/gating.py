"""The statistics of a gate: is the challenger better than the champion on the same rows?

Both versions are scored on the same rows, so their metrics are compared pairwise: each
bootstrap resample draws n rows with replacement once and measures both versions on those
rows (`paired.py`), and the 95% interval of the gain is the 2.5th and 97.5th percentiles of
the gains over `RESAMPLES` resamples. The draws come from a generator seeded with `SEED`, so
the same rows and outputs always give the same interval; 4,000 resamples put the Monte Carlo
error of each bound near 0.04 standard deviations of the gain (under 0.002 for a gain whose
spread is 0.05). Two identical models have a gain of exactly 0 on every resample: [0, 0].

For accuracy McNemar's test is also taken, on the discordant pairs: `b` rows only the
champion classifies right, `c` rows only the challenger does. With fewer than
`EXACT_BELOW` of them the two-sided exact binomial p-value (each discordant row is the
challenger's with probability 1/2 under no difference); otherwise the chi-squared statistic
with continuity correction, (|b - c| - 1)² / (b + c), on one degree of freedom.

The gain is challenger minus champion for a metric where larger is better, champion minus
challenger for an error (rmse, mae, log_loss): above 0 always means the challenger is better.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from jupyter_mlops.automation.paired import Labels, Metric, Outputs

RESAMPLES = 4_000
SEED = 20_240_617
LEVEL = 0.95
EXACT_BELOW = 25
CELLS = 4_000_000  # weights drawn per block of resamples (rows x resamples)


@dataclass(frozen=True)
class McNemar:
    """McNemar's test of two classifiers on the same rows: `b` rows only the champion gets
    right, `c` only the challenger; its two-sided p-value and how it was computed."""

    b: int
    c: int
    p_value: float
    method: str


@dataclass(frozen=True)
class Paired:
    """Both versions' metric on all the rows, the gain and its bootstrap interval."""

    champion: float
    challenger: float
    gain: float
    low: float
    high: float
    resamples: int
    undefined: int  # resamples on which the metric was not defined (left out)


def gain_of(metric: Metric, champion: np.ndarray, challenger: np.ndarray) -> np.ndarray:
    """How much better the challenger is, in the metric's units (> 0: better)."""
    return challenger - champion if metric.larger_is_better else champion - challenger


def paired_bootstrap(
    metric: Metric,
    labels: Labels,
    champion: Outputs,
    challenger: Outputs,
    *,
    resamples: int = RESAMPLES,
    seed: int = SEED,
) -> Paired:
    """Both versions' `metric` on the rows, and the percentile interval of the gain over
    `resamples` paired resamples drawn with `seed`."""
    with np.errstate(over="ignore", invalid="ignore"):  # an overflow is an undefined value
        return _paired(metric, labels, champion, challenger, resamples=resamples, seed=seed)


def _paired(
    metric: Metric, labels: Labels, champion: Outputs, challenger: Outputs, *, resamples: int,
    seed: int,
) -> Paired:  # fmt: skip
    n = len(labels.values)
    everything = np.ones((1, n))
    first = float(metric.values(everything, labels, champion)[0])
    second = float(metric.values(everything, labels, challenger)[0])
    rng = np.random.default_rng(seed)
    block = max(1, min(resamples, CELLS // max(n, 1)))
    gains = []
    for start in range(0, resamples, block):
        weights = _counts(rng, n, min(block, resamples - start))
        gains.append(
            gain_of(
                metric,
                metric.values(weights, labels, champion),
                metric.values(weights, labels, challenger),
            )
        )
    drawn = np.concatenate(gains)
    defined = drawn[np.isfinite(drawn)]
    low, high = (
        np.quantile(defined, [(1 - LEVEL) / 2, (1 + LEVEL) / 2]) if len(defined) else (np.nan,) * 2
    )
    return Paired(
        champion=first,
        challenger=second,
        gain=float(gain_of(metric, np.array(first), np.array(second))),
        low=float(low),
        high=float(high),
        resamples=resamples,
        undefined=int(len(drawn) - len(defined)),
    )


def _counts(rng: np.random.Generator, n: int, resamples: int) -> np.ndarray:
    """How often each of `n` rows is drawn in each of `resamples` resamples of n draws."""
    drawn = rng.integers(0, n, size=(resamples, n))
    drawn += np.arange(resamples)[:, None] * n
    counts = np.bincount(drawn.ravel(), minlength=resamples * n)
    return counts.reshape(resamples, n).astype("float64")


def mcnemar(champion_right: np.ndarray, challenger_right: np.ndarray) -> McNemar:
    """McNemar's test on which rows each classifier got right (see the module docstring)."""
    b = int(np.sum(champion_right & ~challenger_right))
    c = int(np.sum(challenger_right & ~champion_right))
    pairs = b + c
    if pairs < EXACT_BELOW:
        tail = sum(math.comb(pairs, k) for k in range(min(b, c) + 1)) / 2**pairs
        return McNemar(b, c, min(1.0, 2 * tail), "exact binomial")
    statistic = (abs(b - c) - 1) ** 2 / pairs
    p_value = math.erfc(math.sqrt(statistic / 2))  # chi-squared, 1 degree of freedom
    return McNemar(b, c, p_value, "chi-squared with continuity correction")
