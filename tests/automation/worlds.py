"""Churn in two worlds for the retraining tests: the old one a champion was trained on,
and a new one whose customers moved (x0 shifted) and whose label relation changed (x0
now lowers churn), so a model of the old world is worse on it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

from jupyter_mlops import Registry
from jupyter_mlops.monitoring import Monitor


def world(rows: int, *, seed: int, moved: bool = False) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({f"x{i}": rng.normal(size=rows) for i in range(3)})
    if moved:
        X["x0"] += 1.5
    sign = -1.0 if moved else 1.0
    logit = sign * 2.0 * (X.x0 - (1.5 if moved else 0.0)) - X.x1 + 0.5 * X.x2
    y = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(int)
    return X, pd.Series(y, name="churned")


def old_champion(home: Path) -> Registry:
    """`churn` version 1, fitted on the old world with held-out rows, as the champion."""
    registry = Registry(home)
    X, y = world(1_200, seed=1)
    X_val, y_val = world(400, seed=2)
    model = LogisticRegression(max_iter=1000).fit(X, y)
    registry.register("churn", model, X=X, y=y, reference=(X_val, y_val))
    registry.promote("churn", 1, "champion", reason="trained on the old world")
    return registry


def log_labelled(registry: Registry, rows: int, *, seed: int, moved: bool) -> None:
    """Score `rows` requests of a world with the champion, logged, and their labels."""
    monitor = Monitor(registry)
    X, y = world(rows, seed=seed, moved=moved)
    logged = monitor.log_predictions("churn@champion", X)
    monitor.log_labels("churn", logged, y)
