"""Realised performance from the prediction and label logs, and estimates without labels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, f1_score, log_loss, roc_auc_score

from jupyter_mlops import Monitor
from jupyter_mlops.errors import InvalidArgumentError
from jupyter_mlops.monitoring import synthetic

# every test of this file that uses a registry (`monitor`, `animals`) runs on a file and on a
# shared registry
BACKENDS = ("file", "lake")

DAY = 8_000


def log_three_days(monitor: Monitor) -> tuple[pd.DataFrame, pd.Series]:
    """Three days of logged predictions (the last one shifted), with labels for all but 10%."""
    frames = [
        synthetic.features(DAY, seed=31),
        synthetic.features(DAY, seed=32),
        synthetic.features(DAY, shifted=True, seed=33),
    ]
    X = pd.concat(frames, ignore_index=True)
    y = synthetic.target(X, seed=5)
    times = pd.Timestamp("2026-11-20") + pd.to_timedelta(np.arange(3 * DAY) * (86_400 / DAY), "s")
    logged = monitor.log_predictions("churn@champion", X, timestamps=times)
    known = np.arange(len(X)) % 10 != 0
    monitor.log_labels("churn", logged["__request_id__"][known], y[known])
    return logged.assign(label=y, known=known), y


def test_realised_metrics_per_day_match_scikit_learn(monitor: Monitor) -> None:
    logged, _ = log_three_days(monitor)
    report = monitor.performance("churn@champion", window="1d")
    for day in range(3):
        rows = logged.iloc[day * DAY : (day + 1) * DAY]
        rows = rows[rows["known"]]
        found = {
            m.metric: m
            for m in report.metrics
            if m.window_start == pd.Timestamp("2026-11-20") + pd.Timedelta(days=day)
        }
        truth, said, score = rows["label"], rows["__prediction__"], rows["__score__"]
        expected = {
            "accuracy": accuracy_score(truth, said),
            "f1": f1_score(truth, said),
            "auc": roc_auc_score(truth, score),
            "log_loss": log_loss(truth, score),
        }
        for metric, value in expected.items():
            assert found[metric].value == pytest.approx(value, rel=1e-9)
            assert found[metric].ci_low < value < found[metric].ci_high
            assert found[metric].rows == len(rows)
    assert report.unlabelled == 3 * DAY // 10
    history = monitor.metric_history("churn")
    assert set(history["metric"]) == {"accuracy", "f1", "auc", "log_loss"}


def test_estimates_track_the_realised_values(monitor: Monitor) -> None:
    log_three_days(monitor)
    report = monitor.estimate("churn@champion", window="1d")
    estimated = {(m.window_start, m.metric): m for m in report.metrics if m.estimated}
    realised = {(m.window_start, m.metric): m for m in report.metrics if not m.estimated}
    assert len(estimated) == 9 and len(realised) == 9
    for key, guess in estimated.items():
        actual = realised[key].value
        assert guess.value == pytest.approx(actual, abs=0.03), key
        assert guess.ci_low is not None and guess.ci_low < guess.value < guess.ci_high


def test_estimating_needs_held_out_reference_labels(monitor: Monitor) -> None:
    X = synthetic.features(2_000, seed=40)
    model = monitor.registry.load("churn:1")
    for version in (
        monitor.registry.register("unlabelled", model, X=X),
        monitor.registry.register("trained", model, X=X, y=synthetic.target(X)),
        monitor.registry.register(
            "unlabelled", model, X=X, reference=synthetic.features(500, seed=41), force=True
        ),
    ):
        with pytest.raises(
            InvalidArgumentError,
            match=rf"{version.ref.replace(':', ' version ')} has no held-out reference data "
            rf"with labels.*registry.set_reference\('{version.model}', {version.version}, "
            r"X_val, y_val\)",
        ):
            monitor.estimate(version.ref, current=X)


def test_performance_before_any_log_says_what_to_do(monitor: Monitor) -> None:
    with pytest.raises(InvalidArgumentError, match="no predictions of churn are logged yet"):
        monitor.performance("churn@champion")
    X = synthetic.features(1_000, seed=41)
    monitor.log_predictions("churn@champion", X)
    report = monitor.performance("churn@champion")
    assert report.metrics == [] and report.note == "no labels have arrived yet"


def test_performance_on_given_data_with_its_labels(monitor: Monitor) -> None:
    X = synthetic.features(5_000, seed=42)
    y = synthetic.target(X, seed=9)
    report = monitor.performance("churn@champion", X, y=y)
    model = monitor.registry.load("churn@champion")
    accuracy = next(m for m in report.metrics if m.metric == "accuracy")
    assert accuracy.value == pytest.approx(accuracy_score(y, model.predict(X)))
    assert accuracy.window_start is None


def test_regression_metrics_per_window_match_scikit_learn(monitor: Monitor) -> None:
    from sklearn.linear_model import Ridge
    from sklearn.metrics import mean_absolute_error, root_mean_squared_error

    X = synthetic.features(6_000, seed=43)[synthetic.NUMERIC]
    y = X["n0"] * 0.3 + X["n5"] - np.log(X["n1"])
    monitor.registry.register("spend", Ridge().fit(X, y), X=X, y=y)
    times = pd.Timestamp("2026-11-01") + pd.to_timedelta(np.arange(6_000) * 30, unit="s")
    logged = monitor.log_predictions("spend:1", X, timestamps=times)
    truth = y + np.random.default_rng(0).normal(0, 0.5, len(y))
    monitor.log_labels("spend", logged["__request_id__"], truth)
    report = monitor.performance("spend:1", window="1d")
    first_day = logged["__timestamp__"] < pd.Timestamp("2026-11-02")
    found = {m.metric: m for m in report.metrics if m.window_start == pd.Timestamp("2026-11-01")}
    said, actual = logged["__prediction__"][first_day], truth[first_day.to_numpy()]
    assert found["mae"].value == pytest.approx(mean_absolute_error(actual, said))
    assert found["rmse"].value == pytest.approx(root_mean_squared_error(actual, said))
    assert found["rmse"].ci_low < found["rmse"].value < found["rmse"].ci_high
    assert found["mae"].rows == int(first_day.sum())


def test_multiclass_f1_says_how_it_is_averaged(animals: Monitor, three_classes) -> None:
    X, y = three_classes
    current, truth = X.iloc[6_000:].reset_index(drop=True), y.iloc[6_000:].to_numpy()
    said = animals.registry.load("animals:1").predict(current)
    two = (np.isin(truth, ["bird", "cat"]) & np.isin(said, ["bird", "cat"])).nonzero()[0][:2_000]
    rows = np.r_[np.arange(6_000), two]  # a third day on which no dog is seen or said
    times = pd.Timestamp("2026-11-20") + pd.to_timedelta(np.arange(len(rows)) * 28.8, "s")
    logged = animals.log_predictions("animals:1", current.iloc[rows], timestamps=times)
    animals.log_labels("animals", logged["__request_id__"], truth[rows])
    report = animals.performance("animals:1", window="1d")
    assert {m.metric for m in report.metrics} == {"accuracy", "f1_macro", "f1_weighted"}
    for day in range(3):
        start = pd.Timestamp("2026-11-20") + pd.Timedelta(days=day)
        found = {m.metric: m for m in report.metrics if m.window_start == start}
        part = slice(day * 3_000, (day + 1) * 3_000)
        for average in ("macro", "weighted"):
            metric = found[f"f1_{average}"]
            expected = f1_score(truth[rows][part], said[rows][part], average=average)
            assert metric.value == pytest.approx(expected, rel=1e-9)
            assert metric.ci_low < metric.value < metric.ci_high
    assert "f1_macro" in repr(report) and "f1_weighted" in report._repr_html_()
    assert set(report.to_frame()["metric"]) == {"accuracy", "f1_macro", "f1_weighted"}
    animals.add_alert("animals:1", "f1 < 0.95")
    animals.add_alert("animals:1", "f1_weighted < 0.5")
    result = animals.check("animals:1", current, y=truth, multivariate=False)
    assert result.firing == ["f1 < 0.95"]
    assert result.values["f1"] == result.values["f1_macro"]
    assert result.notes == [
        "estimates apply to binary classifiers; animals is a classifier of 3 classes: "
        "realised metrics only"
    ]


def test_a_regressor_check_states_once_that_estimates_are_for_binary_classifiers(
    monitor: Monitor,
) -> None:
    from sklearn.linear_model import Ridge

    X = synthetic.features(3_000, seed=44)[synthetic.NUMERIC]
    y = X["n0"] * 0.3 + X["n5"]
    monitor.registry.register("spend", Ridge().fit(X, y), X=X, y=y)
    logged = monitor.log_predictions("spend:1", X)
    monitor.log_labels("spend", logged["__request_id__"], y)
    monitor.add_alert("spend:1", "mae > 1")
    result = monitor.check("spend:1", multivariate=False)
    fact = "estimates apply to binary classifiers; spend is a regressor: realised metrics only"
    assert result.notes == [fact]
    assert repr(result).count("regressor") == 1 and "no estimate" not in repr(result)
    assert result.evaluations[0].outcome is False  # realised metrics are there


def test_a_regressor_whose_outputs_are_nan_has_no_error_and_leaves_rules_unknown(
    tmp_path,
) -> None:
    from sklearn.linear_model import LinearRegression

    from jupyter_mlops import Registry

    X = synthetic.features(2_000, seed=45)[synthetic.NUMERIC]
    y = X["n0"] * 0.3 + X["n5"]
    broken = LinearRegression().fit(X, y)
    broken.coef_ = np.full(len(X.columns), np.nan)  # every output NaN
    monitor = Monitor(Registry(tmp_path / "registry"))
    monitor.registry.register("spend", broken, X=X, y=y)
    monitor.add_alert("spend:1", "mae > 1")
    monitor.add_alert("spend:1", "not (rmse < 1)")
    why = "could not be computed: the model's output is NaN for 500 of 500 rows"

    report = monitor.performance("spend:1", X[:500], y=y[:500])
    assert [(m.metric, m.value, m.ci_low, m.note) for m in report.metrics] == [
        ("mae", None, None, why),
        ("rmse", None, None, why),
    ]
    shown = " ".join(repr(report).split())  # the note column wraps
    assert why in shown and "to inf" not in shown and "nan" not in shown
    result = monitor.check("spend:1", X[:500], y=y[:500], multivariate=False)
    assert [e.state for e in result.evaluations] == ["unknown", "unknown"]
    notes = "\n".join(result.notes)
    assert f"rule 1 (mae > 1) is unknown, so it neither fires nor recovers (mae: {why})." in notes
    assert f"(rmse: {why})" in notes
