"""Drift statistics on counts and on bounded samples: plain NumPy (and SciPy's distributions).

Every function takes what a test needs and nothing else, so each can be checked
against an independent implementation on the same data.
"""

from __future__ import annotations

import numpy as np

# a bin empty on one side would make PSI infinite; this is the usual floor
EPSILON = 1e-4
# a 2 x 2 table with a cell expecting fewer rows than this is tested exactly
SMALL_CELL = 5


def proportions(counts: np.ndarray) -> np.ndarray:
    total = counts.sum()
    return counts / total if total else np.zeros(len(counts))


def psi(reference: np.ndarray, current: np.ndarray) -> float:
    """Population stability index over the same bins (counts), empty bins floored at 1e-4."""
    p = np.maximum(proportions(np.asarray(reference, dtype=float)), EPSILON)
    q = np.maximum(proportions(np.asarray(current, dtype=float)), EPSILON)
    return float(np.sum((q - p) * np.log(q / p)))


def jensen_shannon(reference: np.ndarray, current: np.ndarray) -> float:
    """Jensen-Shannon distance (base 2, between 0 and 1) of two count vectors over the same bins."""
    p = proportions(np.asarray(reference, dtype=float))
    q = proportions(np.asarray(current, dtype=float))
    m = (p + q) / 2
    divergence = 0.0
    for side in (p, q):
        present = side > 0
        divergence += float(np.sum(side[present] * np.log2(side[present] / m[present]))) / 2
    return float(np.sqrt(max(divergence, 0.0)))


def ks_two_sample(reference: np.ndarray, current: np.ndarray) -> tuple[float, float]:
    """Two-sample Kolmogorov-Smirnov statistic and two-sided p-value.

    The statistic is the largest gap between the two empirical CDFs over all values;
    the p-value is exact when both samples have at most 10,000 values, asymptotic
    otherwise, as `scipy.stats.ks_2samp` does by default.
    """
    from scipy import stats  # imported when a test needs it (1.6 s on first import)

    a, b = np.sort(reference), np.sort(current)
    everything = np.concatenate([a, b])
    gap = np.searchsorted(a, everything, side="right") / len(a) - np.searchsorted(
        b, everything, side="right"
    ) / len(b)
    statistic = float(np.max(np.abs(gap)))
    result = stats.ks_2samp(a, b, method="auto")
    return statistic, float(result.pvalue)


def wasserstein(reference: np.ndarray, current: np.ndarray) -> float:
    """First Wasserstein distance between two samples: the area between their CDFs."""
    a, b = np.sort(reference), np.sort(current)
    everything = np.sort(np.concatenate([a, b]))
    deltas = np.diff(everything)
    cdf_a = np.searchsorted(a, everything[:-1], side="right") / len(a)
    cdf_b = np.searchsorted(b, everything[:-1], side="right") / len(b)
    return float(np.sum(np.abs(cdf_a - cdf_b) * deltas))


def chi_squared(reference: np.ndarray, current: np.ndarray) -> tuple[float, float]:
    """Chi-squared test of homogeneity on a 2 x k table of counts (Yates' correction when 1 dof)."""
    from scipy import special  # its survival function, without scipy.stats (1 s to import)

    table = np.vstack([reference, current]).astype(float)
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2 or (table.sum(axis=1) == 0).any():
        return 0.0, 1.0
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / table.sum()
    dof = table.shape[1] - 1
    difference = np.abs(table - expected)
    if dof == 1:
        difference = np.maximum(difference - 0.5, 0.0)
    statistic = float(np.sum(difference**2 / expected))
    return statistic, float(special.chdtrc(dof, statistic))


def two_proportions(hits_a: int, rows_a: int, hits_b: int, rows_b: int) -> float:
    """Two-sided p-value that two rates are equal: the pooled z-test, or Fisher's exact test
    when a cell of the 2 x 2 table expects fewer than 5 rows (one missing value in a window of
    ten, against a reference with none), where the normal approximation is far too sure."""
    from scipy import special

    if not rows_a or not rows_b:
        return 1.0
    pooled = (hits_a + hits_b) / (rows_a + rows_b)
    if min(pooled, 1 - pooled) * min(rows_a, rows_b) < SMALL_CELL:
        return fisher_exact(hits_a, rows_a, hits_b, rows_b)
    spread = np.sqrt(pooled * (1 - pooled) * (1 / rows_a + 1 / rows_b))
    if spread == 0:
        return 1.0
    z = (hits_b / rows_b - hits_a / rows_a) / spread
    return float(2 * special.ndtr(-abs(z)))


def fisher_exact(hits_a: int, rows_a: int, hits_b: int, rows_b: int) -> float:
    """Two-sided p-value of Fisher's exact test on a 2 x 2 table: the chance, given both
    margins, of a table at most as likely as the one seen (as `scipy.stats.fisher_exact`)."""
    hits = hits_a + hits_b
    total = rows_a + rows_b
    low, high = max(0, hits - rows_a), min(hits, rows_b)
    if low == high:
        return 1.0
    k = np.arange(low, high + 1, dtype=float)  # the hits the second side could hold
    log_p = (
        _log_choose(rows_b, k)
        + _log_choose(rows_a, hits - k)
        - _log_choose(total, np.asarray(hits, dtype=float))
    )
    seen = log_p[hits_b - low]
    likely = np.exp(log_p[log_p <= seen + 1e-7 * max(1.0, abs(float(seen)))])
    return float(min(1.0, likely.sum()))


def _log_choose(n: int, k: np.ndarray) -> np.ndarray:
    from scipy import special

    return special.gammaln(n + 1) - special.gammaln(k + 1) - special.gammaln(n - k + 1)


def benjamini_hochberg(p_values: list[float]) -> list[float]:
    """Adjusted p-values controlling the false discovery rate across features."""
    if not p_values:
        return []
    p = np.asarray(p_values, dtype=float)
    order = np.argsort(p)
    ranked = p[order] * len(p) / np.arange(1, len(p) + 1)
    adjusted = np.minimum.accumulate(ranked[::-1])[::-1]
    result = np.empty_like(p)
    result[order] = np.minimum(adjusted, 1.0)
    return result.tolist()
