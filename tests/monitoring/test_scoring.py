"""Rows are scored by what the model is: its task and its positive class, the same in every
window, never guessed from the labels a window holds."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression, PoissonRegressor
from sklearn.metrics import f1_score, log_loss, mean_absolute_error, roc_auc_score

from jupyter_mlops import Monitor, Registry

DAY = pd.Timestamp("2026-11-20")


def ones_and_twos(rows: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Labels 1 and 2 (no 0): 2 is the more likely the larger `a`."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"a": rng.normal(size=rows), "b": rng.normal(size=rows)})
    chance = 1 / (1 + np.exp(-(2.0 * X["a"] + 0.5 * X["b"])))
    return X, np.where(rng.random(rows) < chance, 2, 1)


def counts(rows: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Whole numbers from 0 to about 15: what a PoissonRegressor predicts."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"a": rng.normal(size=rows), "b": rng.normal(size=rows)})
    return X, rng.poisson(np.exp(0.8 + 0.6 * X["a"]))


@pytest.fixture
def monitor(tmp_path: Path) -> Monitor:
    """`pairs`: a classifier of 1 and 2 with held-out reference data; `counts`: a Poisson
    regressor of counts."""
    registry = Registry(tmp_path / "registry")
    X, y = ones_and_twos(4_000, seed=0)
    registry.register(
        "pairs", LogisticRegression().fit(X, y), X=X, y=y, reference=ones_and_twos(2_000, 1)
    )
    X, y = counts(3_000, seed=3)
    registry.register("counts", PoissonRegressor().fit(X, y), X=X, y=y)
    return Monitor(registry)


def test_labels_one_and_two_are_scored_for_the_second_class(monitor: Monitor) -> None:
    X, y = ones_and_twos(3_000, seed=2)
    proba = monitor.registry.load("pairs:1").predict_proba(X)
    report = monitor.performance("pairs:1", X, y=y, save=False)
    found = {m.metric: m.value for m in report.metrics}
    assert found["auc"] == pytest.approx(roc_auc_score(y, proba[:, 1]), rel=1e-9)
    assert found["auc"] > 0.8
    assert found["log_loss"] == pytest.approx(log_loss(y, proba), rel=1e-9)
    assert found["f1"] == pytest.approx(f1_score(y, proba.argmax(axis=1) + 1, pos_label=2))
    estimated = monitor.estimate("pairs:1", X, save=False).latest(estimated=True)
    assert estimated["auc"] == pytest.approx(found["auc"], abs=0.03)
    assert estimated["accuracy"] == pytest.approx(found["accuracy"], abs=0.03)
    checked = monitor.check("pairs:1", X, y=y, multivariate=False)
    assert checked.values["auc"] == pytest.approx(found["auc"])


def test_a_window_without_positives_has_no_f1_nor_auc(monitor: Monitor) -> None:
    X, y = ones_and_twos(4_000, seed=2)
    rows = np.r_[np.arange(2_000), 2_000 + np.flatnonzero(y[2_000:] == 1)]  # day 2: only 1s
    seconds = np.where(rows < 2_000, rows * 43, 86_400 + (rows - 2_000) * 20)
    times = DAY + pd.to_timedelta(seconds, "s")
    logged = monitor.log_predictions("pairs:1", X.iloc[rows], timestamps=times)
    monitor.log_labels("pairs", logged["__request_id__"], y[rows])
    report = monitor.performance("pairs:1", window="1d", save=False)
    second = {m.metric: m for m in report.metrics if m.window_start == DAY + pd.Timedelta(days=1)}
    assert second["f1"].value is None and second["auc"].value is None
    assert second["f1"].note == "undefined: no label is the positive class 2"
    ones = X.iloc[rows[2_000:]]
    proba = monitor.registry.load("pairs:1").predict_proba(ones)
    expected = log_loss(np.ones(len(ones)), proba, labels=[1, 2])
    assert second["log_loss"].value == pytest.approx(expected, rel=1e-9)
    assert "undefined: no label is the positive class 2" in " ".join(repr(report).split())
    assert "undefined: no label is the positive class 2" in report._repr_html_()
    assert set(report.to_frame()["note"]) >= {"undefined: no label is the positive class 2"}


def test_a_chosen_positive_label_is_what_scores_and_metrics_refer_to(tmp_path: Path) -> None:
    registry = Registry(tmp_path / "registry")
    X, y = ones_and_twos(4_000, seed=0)
    model = LogisticRegression().fit(X, y)
    version = registry.register(
        "pairs", model, X=X, y=y, reference=ones_and_twos(2_000, 1), positive_label="1"
    )
    assert version.positive_label == 1
    monitor = Monitor(registry)
    current, truth = ones_and_twos(3_000, seed=2)
    scored = monitor.predict("pairs:1", current, log=False)
    assert np.allclose(scored["__score__"], model.predict_proba(current)[:, 0])
    found = {m.metric: m.value for m in monitor.performance("pairs:1", current, y=truth).metrics}
    said = model.predict(current)
    assert found["f1"] == pytest.approx(f1_score(truth, said, pos_label=1))
    assert found["auc"] == pytest.approx(roc_auc_score(truth == 1, scored["__score__"]))
    estimated = monitor.estimate("pairs:1", current, save=False).latest(estimated=True)
    assert estimated["auc"] == pytest.approx(found["auc"], abs=0.03)
    assert estimated["f1"] == pytest.approx(found["f1"], abs=0.05)


def test_a_regressor_of_counts_is_scored_by_its_errors(monitor: Monitor) -> None:
    X, y = counts(1_000, seed=4)
    assert len(set(y.tolist())) <= 20  # few whole numbers: they once passed for classes
    report = monitor.performance("counts:1", X, y=y, save=False)
    found = {m.metric: m.value for m in report.metrics}
    assert set(found) == {"mae", "rmse"}
    model = monitor.registry.load("counts:1")
    assert found["mae"] == pytest.approx(mean_absolute_error(y, model.predict(X)), rel=1e-9)
    assert monitor.registry.get("counts:1").task == "regressor"


def test_versions_registered_before_tasks_were_kept_are_scored_by_their_model(
    monitor: Monitor,
) -> None:
    with duckdb.connect(str(monitor.registry.db.path)) as conn:
        conn.execute("UPDATE versions SET task = NULL, positive_label = NULL")
    assert monitor.registry.get("pairs:1").task is None
    X, y = ones_and_twos(3_000, seed=2)
    proba = monitor.registry.load("pairs:1").predict_proba(X)
    report = Monitor(monitor.registry).performance("pairs:1", X, y=y, save=False)
    auc = next(m.value for m in report.metrics if m.metric == "auc")
    assert auc == pytest.approx(roc_auc_score(y, proba[:, 1]), rel=1e-9)
    assert report.note == (
        "pairs:1 was registered before its task was recorded: its model is a classifier with "
        "positive class 2"
    )
    X, y = counts(1_000, seed=4)
    report = Monitor(monitor.registry).performance("counts:1", X, y=y, save=False)
    assert {m.metric for m in report.metrics} == {"mae", "rmse"}
    assert "its model is a regressor" in repr(report)
