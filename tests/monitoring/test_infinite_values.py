"""Infinite values (+inf, -inf) of a number, in the current data and in the reference: a
share of their own beside the missing one, tested and shown as it is, with no warning."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression

from jupyter_mlops import Monitor, Registry

CLI = str(Path(sys.executable).parent / "jupyter-mlops")


def rows(count: int, *, seed: int) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"a": rng.normal(size=count), "b": rng.normal(size=count)})
    return X, (X["a"] + X["b"] > 0).astype(int)


def infinite(X: pd.DataFrame, column: str, share: float, *, seed: int) -> pd.DataFrame:
    """`X` with `share` of `column`'s rows turned +inf or -inf (half each)."""
    rng = np.random.default_rng(seed)
    chosen = rng.choice(len(X), round(share * len(X)), replace=False)
    turned = X.copy()
    turned.loc[chosen, column] = np.where(np.arange(len(chosen)) % 2, np.inf, -np.inf)
    return turned


def test_a_window_turned_infinite_is_flagged_from_a_shell_without_warnings(
    tmp_path: Path,
) -> None:
    """Below 10,000 rows KS decides, on finite values only: 30% of `a` gone infinite was
    no drift, and NumPy warned about invalid values on the way."""
    home = tmp_path / "registry"
    (X, y), reference = rows(3_000, seed=1), rows(2_000, seed=2)
    Registry(home).register("churn", LogisticRegression().fit(X, y), X=X, y=y, reference=reference)
    current, _ = rows(2_000, seed=3)
    infinite(current, "a", 0.3, seed=4).to_parquet(tmp_path / "window.parquet")
    env = dict(os.environ, PYTHONWARNINGS="default")
    done = subprocess.run(
        [
            CLI,
            "--home",
            str(home),
            "drift",
            "churn:1",
            "--current",
            str(tmp_path / "window.parquet"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert "1 of 2 features drifted" in done.stdout
    verdict = next(line for line in done.stdout.splitlines() if line.startswith("a "))
    assert verdict.split()[1:3] == ["infinite", "0.3"] and "DRIFT" in verdict
    assert "infinite 0.0% in the reference, 30.0% now" in " ".join(done.stdout.split())


@pytest.fixture
def monitor(tmp_path: Path) -> Monitor:
    """`inf` version 1: a model that takes infinite values, whose held-out reference has
    15% of `b` infinite."""
    registry = Registry(tmp_path / "registry")
    (X, y), (held_out, truth) = rows(3_000, seed=5), rows(2_000, seed=6)
    model = HistGradientBoostingClassifier(max_iter=20, random_state=0).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        registry.register(
            "inf",
            model,
            X=X,
            y=y,
            reference=(infinite(held_out, "b", 0.15, seed=7), truth),
            trust=["sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor"],
        )
    return Monitor(registry)


def test_infinities_in_the_reference_are_counted_and_compared(monitor: Monitor) -> None:
    entry = next(e for e in monitor.registry.profile("inf:1") if e["feature"] == "b")
    assert entry["stats"]["infinite"] == 300 and entry["stats"]["present"] == 1_700
    like, _ = rows(2_000, seed=8)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gone = monitor.drift("inf:1", current=like)
        kept = monitor.drift("inf:1", current=infinite(like, "b", 0.15, seed=9))
    share = next(f for f in gone.features if f.feature == "b" and f.test == "infinite")
    assert share.drifted and gone.drifted == ["b"]
    assert (share.infinite_reference, share.infinite_current) == (0.15, 0.0)
    assert share.to_dict()["infinite_reference"] == 0.15
    assert gone.values()["infinite.b"] == pytest.approx(-0.15)
    assert kept.drifted == []
    same = next(f for f in kept.features if f.feature == "b" and f.test == "infinite")
    assert not same.drifted and same.statistic == pytest.approx(0.0)
    assert kept.feature("b").rows == 1_700  # the finite values the deciding test saw


def test_the_distributions_show_each_sides_infinite_share(monitor: Monitor) -> None:
    current, _ = rows(2_000, seed=10)
    shown = monitor.distributions("inf:1", "b", current=infinite(current, "b", 0.4, seed=11))
    assert (shown.infinite_reference, shown.infinite_current) == (0.15, 0.4)
    bar = next(b for b in shown.bins if b.part == "infinite")
    assert (bar.reference_rows, bar.current_rows) == (300, 800)
    assert sum(b.reference for b in shown.bins) == pytest.approx(1.0)
    assert sum(b.current for b in shown.bins) == pytest.approx(1.0)
    assert shown.to_dict()["infinite_current"] == 0.4


def test_an_alert_rule_reads_the_infinite_share(monitor: Monitor) -> None:
    monitor.add_alert("inf:1", "infinite.b < -0.1")
    current, _ = rows(2_000, seed=12)
    result = monitor.check("inf:1", current=current, multivariate=False)
    assert [alert.expression for alert in result.alerts] == ["infinite.b < -0.1"]
