"""The model's output in a drift report: measured when the model scores the rows, else a
note of one sentence, and a constant output compared like any other."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression

from jupyter_mlops import Monitor, Registry
from jupyter_mlops.errors import InvalidArgumentError
from jupyter_mlops.registry.outputs import PREDICTION

CLI = str(Path(sys.executable).parent / "jupyter-mlops")


def rows(count: int, *, seed: int) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"a": rng.normal(size=count), "b": rng.normal(size=count)})
    return X, (X["a"] + X["b"] > 0.5).astype(int)


def registered(tmp_path: Path, model: object) -> Monitor:
    registry = Registry(tmp_path / "registry")
    (X, y), reference = rows(3_000, seed=1), rows(2_000, seed=2)
    registry.register("churn", model.fit(X, y), X=X, y=y, reference=reference)  # type: ignore[attr-defined]
    return Monitor(registry)


@pytest.mark.parametrize("value", [np.nan, np.inf], ids=["nan", "inf"])
def test_a_model_refusing_the_rows_costs_a_note_of_one_sentence(
    tmp_path: Path, value: float
) -> None:
    """scikit-learn explains NaN input over several lines, with links; the note keeps its
    first sentence."""
    monitor = registered(tmp_path, LogisticRegression())
    current, _ = rows(1_000, seed=3)
    current.loc[:9, "a"] = value
    report = monitor.drift("churn:1", current=current, multivariate=False, save=False)
    assert report.prediction is None
    note = next(n for n in report.notes if n.startswith("prediction drift not measured"))
    assert "\n" not in note and note.count(". ") == 0, note
    said = "NaN" if np.isnan(value) else "infinity"
    assert f"(ValueError: Input X contains {said}" in note
    with pytest.raises(InvalidArgumentError) as refused:
        monitor.registry.register("other", LogisticRegression().fit(*rows(500, seed=4)), X=current)
    assert "\n" not in str(refused.value)


@pytest.mark.parametrize("strategy", ["most_frequent", "prior"])
def test_a_constant_output_is_compared_without_a_crash(tmp_path: Path, strategy: str) -> None:
    """`most_frequent` scores every row 0.0: a bin [0, 5e-324) is narrower than any grid."""
    monitor = registered(tmp_path, DummyClassifier(strategy=strategy))
    current, _ = rows(1_000, seed=5)
    report = monitor.drift("churn:1", current=current, multivariate=False, save=False)
    output = report.prediction
    assert output is not None and not output.drifted
    assert output.statistics["psi"][0] == pytest.approx(0.0)
    shown = monitor.distributions("churn:1", PREDICTION, current=current)
    assert [b.current_rows for b in shown.bins] == [1_000]


def test_a_check_of_rows_the_model_refuses_notes_why_it_has_no_estimate(tmp_path: Path) -> None:
    """Estimating performance scores the rows too: the model's refusal was a traceback."""
    monitor = registered(tmp_path, LogisticRegression())
    current, _ = rows(1_000, seed=6)
    current.loc[:9, "a"] = np.nan
    checked = monitor.check("churn:1", current=current, multivariate=False)
    said = "churn version 1 cannot score the given rows (ValueError: Input X contains NaN)"
    assert f"no estimate: {said}" in checked.notes
    with pytest.raises(InvalidArgumentError) as refused:
        monitor.estimate("churn:1", current)
    assert said in str(refused.value) and "\n" not in str(refused.value)


def test_a_labelled_check_of_rows_the_model_refuses_is_recorded_without_performance(
    tmp_path: Path,
) -> None:
    """With labels, scoring the rows for their performance raised: the check ended with exit
    2 and recorded nothing, its drift and rules lost."""
    monitor = registered(tmp_path, LogisticRegression())
    monitor.add_alert("churn:1", "infinite.a > 0.1")
    monitor.add_alert("churn:1", "accuracy < 0.5")
    current, labels = rows(400, seed=7)
    current.loc[:299, "a"] = np.inf
    current.assign(churned=labels).to_csv(tmp_path / "labelled.csv", index=False)
    given = ["--current", str(tmp_path / "labelled.csv"), "--label-column", "churned"]
    checked = subprocess.run(
        [CLI, "--home", str(monitor.registry.home), "check", "churn:1", *given],
        capture_output=True,
        text=True,
        timeout=300,
    )
    said = "churn version 1 cannot score the given rows (ValueError: Input X contains infinity"
    assert checked.returncode == 3, checked.stderr
    assert f"no performance and no estimate: {said}" in checked.stdout
    assert "1 alert fired" in checked.stdout and "Traceback" not in checked.stderr
    assert checked.stdout.startswith("check 1 of churn:1")
    assert [e.kind for e in monitor.alert_log("churn")] == ["fired"]
    assert [r.state for r in monitor.alerts("churn")] == ["firing", "unknown"]
    result = monitor.check("churn:1", current, y=labels, multivariate=False)
    assert result.performance is not None and result.performance.metrics == []
    assert f"the model refused the rows the labels came with: {said}" in result.performance.note
    assert f"no performance and no estimate: {said}" in "\n".join(result.notes)


def test_a_classifier_whose_scores_are_nan_is_refused_an_estimate_in_one_sentence(
    tmp_path: Path,
) -> None:
    registry = Registry(tmp_path / "registry")
    (X, y), reference = rows(2_000, seed=8), rows(800, seed=9)
    broken = LogisticRegression().fit(X, y)
    broken.coef_[:] = np.nan  # every score NaN
    registry.register("churn", broken, X=X, y=y, reference=reference)
    monitor = Monitor(registry)
    current, _ = rows(500, seed=10)
    said = (
        "churn version 1's scores of its held-out reference rows are NaN (800 of 800), so "
        "they cannot be calibrated"
    )
    with pytest.raises(InvalidArgumentError) as refused:
        monitor.estimate("churn:1", current)
    assert said in str(refused.value) and "\n" not in str(refused.value)
    checked = monitor.check("churn:1", current=current, multivariate=False)
    assert f"no estimate: {said}" in checked.notes
