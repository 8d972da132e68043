"""A small registry as a team would have it: a model with two versions, a champion, held-out
reference data, logged predictions and labels, stored checks."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from jupyter_mlops import Monitor, Registry
from jupyter_mlops.monitoring import synthetic


def rows(count: int, *, seed: int, shifted: bool = False) -> tuple[pd.DataFrame, pd.Series]:
    X = synthetic.features(count, shifted=shifted, seed=seed)
    return X[synthetic.NUMERIC], synthetic.target(X)


@pytest.fixture(scope="session")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("widgets") / "registry"
    registry = Registry(home)
    X, y = rows(1_500, seed=1)
    held = rows(500, seed=2)
    for c in (1.0, 0.1):
        model = LogisticRegression(C=c, max_iter=5000).fit(X, y)
        registry.register("churn", model, X=X, y=y, reference=held, metrics={"auc": 0.9 - c / 10})
    registry.promote("churn", 1, reason="first")
    registry.promote("churn", 2, reason="better")
    monitor = Monitor(registry)
    now, y_now = rows(600, seed=3, shifted=True)
    monitor.add_alert("churn@champion", "drift.share > 0.5")
    monitor.check("churn@champion", current=now)
    timed = now.assign(t=pd.date_range("2026-11-01", periods=len(now), freq="h", tz="UTC"))
    monitor.performance("churn@champion", current=timed, y=y_now, time_column="t")
    return home


@pytest.fixture
def registry(prepared: Path, tmp_path: Path) -> Registry:
    """A private copy of the prepared registry (tests change it)."""
    import shutil

    shutil.copytree(prepared, tmp_path / "registry")
    return Registry(tmp_path / "registry")
