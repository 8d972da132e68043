"""Synthetic data with known drift, for the tutorial, the tests and the benchmark.

20 numeric features of assorted shapes and 5 categorical ones. In the shifted
version, 5 numeric features change (means, spreads, shapes) and 1 categorical
changes its mix and gains a category; the other 19 are drawn exactly as before.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

NUMERIC = [f"n{i}" for i in range(20)]
CATEGORICAL = [f"c{i}" for i in range(5)]
SHIFTED = ["n0", "n1", "n2", "n3", "n4", "c0"]
_LEVELS = np.array(["a", "b", "c", "d", "e"])
N5_MEAN = float(np.exp(1.0 + 0.5**2 / 2))  # n5 is log-normal(1.0, 0.5)


def features(rows: int, *, shifted: bool = False, seed: int = 0) -> pd.DataFrame:
    """`rows` rows; with `shifted`, the SHIFTED features drift and nothing else does."""
    rng = np.random.default_rng(seed)
    columns: dict[str, Any] = {}
    for i, name in enumerate(NUMERIC):
        columns[name] = _numeric(rng, i, rows, shifted=shifted and name in SHIFTED)
    for i, name in enumerate(CATEGORICAL):
        if name == "c0" and shifted:
            weights = np.array([0.22, 0.22, 0.22, 0.22, 0.12])
        else:
            weights = np.array([0.4, 0.3, 0.2, 0.1, 0.0]) if i % 2 == 0 else np.full(5, 0.2)
        codes = rng.choice(5, size=rows, p=weights / weights.sum())
        columns[name] = pd.Categorical.from_codes(codes, categories=pd.Index(_LEVELS))
    return pd.DataFrame(columns)


def _numeric(rng: np.random.Generator, i: int, rows: int, *, shifted: bool) -> np.ndarray:
    kind = i % 4
    if kind == 0:  # normal: the shifted one moves its mean by 0.6 standard deviations
        return rng.normal(10 * i + (6.0 if shifted else 0.0), 10.0, rows)
    if kind == 1:  # log-normal: the shifted one spreads 1.6 times wider
        return rng.lognormal(1.0, 0.8 if shifted else 0.5, rows)
    if kind == 2:  # uniform: the shifted one slides a third of its range
        low = 3.0 if shifted else 0.0
        return rng.uniform(low, low + 9.0, rows)
    # bimodal: the shifted one puts 65% in the upper mode instead of 35%
    upper = rng.random(rows) < (0.65 if shifted else 0.35)
    return np.where(upper, rng.normal(5, 1, rows), rng.normal(0, 1, rows))


def target(frame: pd.DataFrame, *, seed: int = 0) -> pd.Series:
    """A binary target that depends on a few features (for training a model on `features`).

    The relation is fixed (centred on the unshifted features' means, not on each batch's),
    so shifted features change who churns only through the features: covariate shift, the
    case an estimate without labels is made for."""
    rng = np.random.default_rng(seed + 1)
    score = (
        frame["n0"] / 10  # n0 is centred on 0
        + np.log(frame["n1"])
        - 1.0
        + (frame["c1"].astype(str) == "a") * 0.8
        - (frame["n5"] - N5_MEAN) / 5
    )
    return pd.Series((score + rng.logistic(0, 0.5, len(frame)) > 0).astype(int), name="churned")


def joint_shift(rows: int, *, correlated: bool, seed: int = 0) -> pd.DataFrame:
    """Two standard normal features, independent or correlated (0.9): same marginals."""
    rng = np.random.default_rng(seed)
    a = rng.normal(size=rows)
    noise = rng.normal(size=rows)
    b = 0.9 * a + np.sqrt(1 - 0.81) * noise if correlated else noise
    extra = rng.normal(size=(rows, 3))
    frame = pd.DataFrame({"a": a, "b": b})
    for i in range(3):
        frame[f"z{i}"] = extra[:, i]
    return frame
