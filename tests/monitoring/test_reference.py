"""Monitoring compares with held-out reference data, per version, and says what it compared."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier

from jupyter_mlops import Monitor, Registry
from jupyter_mlops.errors import AliasNotFoundError, InvalidArgumentError
from jupyter_mlops.monitoring import synthetic

DAY = pd.Timestamp("2026-11-20")


def classification_data(rows: int, *, seed: int) -> tuple[pd.DataFrame, pd.Series]:
    """One fixed problem with 8% of labels flipped, so a forest memorises its training rows."""
    X, y = make_classification(
        n_samples=rows,
        n_features=10,
        n_informative=5,
        flip_y=0.08,
        class_sep=0.8,
        random_state=7,
        shuffle=False,
    )
    order = np.random.default_rng(seed).permutation(rows)
    frame = pd.DataFrame(X[order], columns=[f"f{i}" for i in range(10)])
    return frame, pd.Series(y[order], name="label")


@pytest.fixture(scope="module")
def forest_data() -> dict[str, tuple[pd.DataFrame, pd.Series]]:
    X, y = classification_data(30_000, seed=0)
    parts = {
        "train": slice(0, 12_000),
        "held_out": slice(12_000, 18_000),
        "calm": slice(18_000, None),
    }
    return {
        name: (X.iloc[rows].reset_index(drop=True), y.iloc[rows].reset_index(drop=True))
        for name, rows in parts.items()
    }


@pytest.fixture(scope="module")
def forest(forest_data: dict) -> RandomForestClassifier:
    X, y = forest_data["train"]
    return RandomForestClassifier(n_estimators=60, random_state=0, n_jobs=2).fit(X, y)


def log_labelled(
    monitor: Monitor, ref: str, X: pd.DataFrame, y: pd.Series, *, now: bool = False
) -> pd.DataFrame:
    """Logged with labels: a second apart on a past day, or (`now`) as served, now."""
    if now:
        times = pd.Timestamp.now(tz="UTC") + pd.to_timedelta(np.arange(len(X)), unit="us")
    else:
        times = DAY + pd.to_timedelta(np.arange(len(X)), unit="s")
    logged = monitor.log_predictions(ref, X, timestamps=times)
    monitor.log_labels(ref.partition(":")[0].partition("@")[0], logged["__request_id__"], y)
    return logged


def test_an_overfitting_forest_is_judged_on_held_out_data(
    tmp_path: Path, forest: RandomForestClassifier, forest_data: dict
) -> None:
    X, y = forest_data["train"]
    assert forest.score(X, y) > 0.99  # it memorised its training rows
    monitor = Monitor(Registry(tmp_path / "registry"))
    version = monitor.registry.register(
        "forest", forest, X=X, y=y, reference=forest_data["held_out"]
    )
    assert version.reference_source == "held-out" and version.reference_rows == 6_000
    calm_X, calm_y = forest_data["calm"]
    log_labelled(monitor, "forest:1", calm_X, calm_y)
    report = monitor.estimate("forest:1", window="1d")
    for metric in ("accuracy", "auc"):
        guess = next(m for m in report.metrics if m.metric == metric and m.estimated)
        truth = next(m for m in report.metrics if m.metric == metric and not m.estimated)
        assert truth.value < 0.97  # what the forest really does on new rows
        assert guess.ci_low <= truth.value <= guess.ci_high, (metric, guess, truth)
    drift = monitor.drift("forest:1", current=calm_X, multivariate=False)
    assert drift.prediction is not None and not drift.prediction.drifted
    assert "against held-out reference data (6,000 rows)" in repr(drift)


def test_without_held_out_data_output_results_are_not_shown(
    tmp_path: Path, forest: RandomForestClassifier, forest_data: dict
) -> None:
    X, y = forest_data["train"]
    monitor = Monitor(Registry(tmp_path / "registry"))
    monitor.registry.register("forest", forest, X=X, y=y)
    calm_X, calm_y = forest_data["calm"]
    drift = monitor.drift("forest:1", current=calm_X.iloc[:3_000], multivariate=False)
    assert drift.prediction is None
    assert "against the training data (12,000 rows)" in repr(drift)
    [note] = [n for n in drift.notes if "prediction drift" in n]
    assert "forest:1 has no held-out reference data" in note
    assert "registry.set_reference('forest', 1, X_val, y_val)" in note
    log_labelled(monitor, "forest:1", calm_X.iloc[:500], calm_y.iloc[:500])
    with pytest.raises(InvalidArgumentError, match="no held-out reference data"):
        monitor.estimate("forest:1")
    check = monitor.check("forest:1", calm_X.iloc[:3_000], multivariate=False)
    assert any("no held-out reference data" in note for note in check.notes)


def test_a_reference_added_later_is_used_and_audited(
    tmp_path: Path, forest: RandomForestClassifier, forest_data: dict
) -> None:
    X, y = forest_data["train"]
    registry = Registry(tmp_path / "registry")
    registry.register("forest", forest, X=X, y=y)
    held_X, held_y = forest_data["held_out"]
    updated = registry.set_reference("forest", 1, held_X, held_y, reason="validation split")
    assert updated.reference_source == "held-out" and updated.reference_rows == 6_000
    assert "held-out reference data (6,000 rows)" in updated.note
    assert "was the training data (12,000 rows)" in updated.note
    assert "monitoring reference" in str(registry.get("forest:1"))
    events = registry.history("forest")
    assert [e.reason for e in events] == ["validation split"]
    assert "reference: held-out reference data (6,000 rows)" in str(events)
    drift = Monitor(registry).drift("forest:1", current=forest_data["calm"][0], multivariate=False)
    assert drift.prediction is not None and not drift.prediction.drifted
    with pytest.raises(
        InvalidArgumentError, match=r"lacks 'f9'.*pass rows with the training columns"
    ):
        registry.set_reference("forest", 1, held_X.drop(columns=["f9"]), held_y)


def two_versions(tmp_path: Path) -> Monitor:
    X, y = classification_data(4_000, seed=3)
    monitor = Monitor(Registry(tmp_path / "registry"))
    held_out = (X.iloc[3_000:], y.iloc[3_000:])
    train = (X.iloc[:3_000], y.iloc[:3_000])
    monitor.registry.register(
        "wine", LogisticRegression().fit(*train), X=train[0], reference=held_out
    )
    tree = DecisionTreeClassifier(max_depth=2, random_state=0).fit(*train)
    monitor.registry.register("wine", tree, X=train[0], reference=held_out)
    return monitor


def test_each_version_is_judged_on_its_own_rows(tmp_path: Path) -> None:
    monitor = two_versions(tmp_path)
    X, y = classification_data(200, seed=5)
    log_labelled(monitor, "wine:1", X.iloc[:45], y.iloc[:45])
    log_labelled(monitor, "wine:2", X.iloc[45:90], y.iloc[45:90])
    for number in (1, 2):
        report = monitor.performance(f"wine:{number}")
        assert {m.rows for m in report.metrics} == {45}
        assert {m.version for m in report.metrics} == {number}
        assert repr(report).startswith(f"wine:{number}, rows of version {number}")
        estimate = monitor.estimate(f"wine:{number}")
        assert {m.rows for m in estimate.metrics} == {45}


def test_an_alias_splits_its_rows_by_the_version_that_answered(tmp_path: Path) -> None:
    monitor = two_versions(tmp_path)
    X, y = classification_data(200, seed=6)
    monitor.registry.promote("wine", 1)
    log_labelled(monitor, "wine@champion", X.iloc[:45], y.iloc[:45], now=True)
    monitor.registry.promote("wine", 2)
    log_labelled(monitor, "wine@champion", X.iloc[45:90], y.iloc[45:90], now=True)
    log_labelled(monitor, "wine:1", X.iloc[90:100], y.iloc[90:100], now=True)  # moved on
    report = monitor.performance("wine@champion", window=1_000)  # one window of rows
    accuracy = {m.version: m.rows for m in report.metrics if m.metric == "accuracy"}
    assert accuracy == {1: 55, 2: 45}  # version 1's rows count: the alias pointed at it today
    text = repr(report)
    assert text.startswith("wine@champion (version 2), rows of versions 1 (55) and 2 (45)")
    assert "version" in text.splitlines()[1]
    assert report.values()["accuracy"] == pytest.approx(
        next(m.value for m in report.metrics if m.metric == "accuracy" and m.version == 2)
    )
    estimate = monitor.estimate("wine@champion", window=1_000)
    assert {m.version for m in estimate.metrics if m.estimated} == {1, 2}
    assert "rows of versions 1 (55) and 2 (45)" in repr(estimate)


def test_an_alias_never_pointed_at_a_version_leaves_its_rows_out(tmp_path: Path) -> None:
    monitor = two_versions(tmp_path)
    X, y = classification_data(100, seed=8)
    monitor.registry.promote("wine", 2)
    log_labelled(monitor, "wine:1", X.iloc[:40], y.iloc[:40])
    log_labelled(monitor, "wine:2", X.iloc[40:70], y.iloc[40:70])
    report = monitor.performance("wine@champion")
    assert {m.rows for m in report.metrics} == {30}


def test_a_bare_name_means_the_champion(tmp_path: Path) -> None:
    monitor = two_versions(tmp_path)
    X, _ = classification_data(300, seed=9)
    with pytest.raises(AliasNotFoundError, match=r"wine has no champion alias.*wine:1"):
        monitor.drift("wine", current=X)
    monitor.registry.promote("wine", 1, alias="challenger")
    with pytest.raises(AliasNotFoundError, match=r"aliases \(wine@challenger\)"):
        monitor.drift("wine", current=X)
    monitor.registry.promote("wine", 1)
    report = monitor.drift("wine", current=X, multivariate=False)
    assert report.version == 1
    assert repr(report).startswith("wine@champion (version 1):")
    assert monitor.registry.get("wine").version == 2  # load and show keep the newest
    assert repr(monitor.drift("wine:2", current=X, multivariate=False)).startswith("wine:2:")


def test_rows_identical_to_the_reference_are_no_multivariate_drift(monitor: Monitor) -> None:
    version = monitor.registry.get("churn@champion")
    sample = monitor.reference_sample(version)[synthetic.NUMERIC + synthetic.CATEGORICAL]
    copied = monitor.drift("churn@champion", current=sample.iloc[:2_000], predictions=False)
    assert copied.multivariate is not None and not copied.multivariate.drifted
    twice = pd.concat([sample.iloc[:171], sample.iloc[:171]], ignore_index=True)
    doubled = monitor.drift("churn@champion", current=twice, predictions=False)
    assert doubled.multivariate is not None and not doubled.multivariate.drifted
    for rows in ([0] * 200, [0, 1, 2, 3] * 60):  # a health-check record, a few rows repeated
        repeated = monitor.drift("churn@champion", current=sample.iloc[rows], predictions=False)
        assert repeated.multivariate is None
        assert "multivariate check skipped: it needs 100 distinct rows" in repr(repeated)


def test_labels_logged_for_a_version_reach_its_performance(tmp_path: Path) -> None:
    monitor = two_versions(tmp_path)
    X, y = classification_data(60, seed=10)
    logged = monitor.log_predictions("wine:1", X)
    assert monitor.log_labels("wine:1", logged, y) == 60
    assert {m.rows for m in monitor.performance("wine:1").metrics} == {60}


def test_a_rule_watches_the_ref_it_was_added_on(tmp_path: Path) -> None:
    monitor = two_versions(tmp_path)
    X, y = classification_data(400, seed=11)
    monitor.registry.promote("wine", 2)
    log_labelled(monitor, "wine:1", X.iloc[:200], y.iloc[:200])
    log_labelled(monitor, "wine:2", X.iloc[200:], y.iloc[200:])
    on_champion = monitor.add_alert("wine", "accuracy < 2")  # holds for any version
    on_first = monitor.add_alert("wine:1", "rows < 0")  # never holds
    assert (on_champion.ref, on_first.ref) == ("wine@champion", "wine:1")
    first = monitor.check("wine@champion", X.iloc[:300], y=y.iloc[:300], multivariate=False)
    assert [a.rule_id for a in first.alerts] == [on_champion.id]
    other = monitor.check("wine:1", X.iloc[:300], y=y.iloc[:300], multivariate=False)
    assert [e.rule.id for e in other.evaluations] == [on_first.id]  # the champion's rule rests
    again = monitor.check("wine", X.iloc[:300], y=y.iloc[:300], multivariate=False)
    assert again.alerts == [] and again.recoveries == [] and again.firing == ["accuracy < 2"]
    assert "watches" in str(monitor.alerts("wine"))


def test_an_alias_window_keeps_only_the_versions_it_pointed_at_then(tmp_path: Path) -> None:
    monitor = two_versions(tmp_path)
    X, y = classification_data(100, seed=12)
    monitor.registry.promote("wine", 1)
    monitor.registry.promote("wine", 2)
    tomorrow = pd.Timestamp.now(tz="UTC").floor("D") + pd.Timedelta(days=1, hours=10)
    for number, rows in ((1, slice(0, 40)), (2, slice(40, 70))):  # an hour when 2 was champion
        times = tomorrow + pd.to_timedelta(np.arange(30 if number == 2 else 40), unit="s")
        logged = monitor.log_predictions(f"wine:{number}", X.iloc[rows], timestamps=times)
        monitor.log_labels("wine", logged, y.iloc[rows])
    report = monitor.performance("wine@champion", window="1h")
    assert {(m.version, m.rows) for m in report.metrics} == {(2, 30)}
    # the champion's numbers are its own: none while only another version has labels
    monitor.registry.promote("wine", 1, alias="challenger")
    X2, y2 = classification_data(200, seed=13)
    log_labelled(monitor, "wine:1", X2.iloc[:30], y2.iloc[:30])
    third = LogisticRegression().fit(X2.iloc[:100], y2.iloc[:100])
    monitor.registry.register(
        "wine", third, X=X2.iloc[:100], reference=(X2.iloc[100:], y2.iloc[100:])
    )
    monitor.registry.promote("wine", 3)
    assert monitor.performance("wine@champion").values() == {}


def test_reference_data_of_another_kind_is_refused(tmp_path: Path) -> None:
    X, y = classification_data(600, seed=14)
    registry = Registry(tmp_path / "registry")
    model = LogisticRegression().fit(X, y)
    as_text = X.astype({"f0": str})
    with pytest.raises(
        InvalidArgumentError, match=r"column 'f0' of the reference data holds a text where"
    ):
        registry.register("m", model, X=X, y=y, reference=(as_text, y))
    mixed = X.astype({"f1": object})
    mixed.loc[0, "f1"] = "seven"
    with pytest.raises(
        InvalidArgumentError, match=r"column 'f1' of the reference data mixes float and str"
    ):
        registry.register("m", model, X=X, y=y, reference=(mixed, y))
    with pytest.raises(InvalidArgumentError, match="has 2 columns; pass the one target column"):
        registry.register(
            "m", model, X=X, y=y, reference=(X, pd.concat([y, y.rename("again")], axis=1))
        )
    assert registry.model_names() == []


def test_estimates_on_a_few_rows_stay_within_0_and_1(tmp_path: Path) -> None:
    monitor = two_versions(tmp_path)
    X, _ = classification_data(3, seed=15)
    for rows in (1, 2, 3):
        report = monitor.estimate("wine:1", current=X.iloc[:rows])
        for metric in report.metrics:
            assert metric.ci_low is None or 0 <= metric.ci_low <= metric.ci_high <= 1


def test_a_small_reference_makes_wide_estimate_intervals(
    tmp_path: Path, forest: RandomForestClassifier, forest_data: dict
) -> None:
    """The calibration is learnt from the held-out rows: with 300 of them, its own error is
    most of the estimate's, and the interval says so."""
    held_X, held_y = forest_data["held_out"]
    monitor = Monitor(Registry(tmp_path / "registry"))
    monitor.registry.register("forest", forest, reference=(held_X.iloc[:300], held_y.iloc[:300]))
    report = monitor.estimate("forest:1", current=forest_data["calm"][0])
    accuracy = next(m for m in report.metrics if m.metric == "accuracy")
    from_reference = 1.96 * np.sqrt(accuracy.value * (1 - accuracy.value) / 300)
    assert accuracy.ci_high - accuracy.ci_low >= 2 * 0.8 * from_reference


def test_a_repeated_registration_says_its_reference_was_not_applied(tmp_path: Path) -> None:
    data, labels = classification_data(700, seed=16)
    X, y, held_out = data.iloc[:600], labels.iloc[:600], (data.iloc[600:], labels.iloc[600:])
    registry = Registry(tmp_path / "registry")
    model = LogisticRegression().fit(X, y)
    registry.register("m", model, X=X, y=y)
    again = registry.register("m", model, X=X, y=y, reference=held_out)
    assert again.version == 1 and again.reference_source == "training"
    assert "not applied: the reference data given" in again.note
    assert "registry.set_reference('m', 1, X_val, y_val)" in again.note
    assert "set tags" not in again.note
    registry.set_reference("m", 1, *held_out)
    plain = registry.register("m", model, X=X, y=y)  # no reference given: nothing to apply
    assert plain.version == 1 and "not applied" not in plain.note


def test_held_out_data_that_cannot_stand_for_new_rows_is_refused(tmp_path: Path) -> None:
    data, labels = classification_data(700, seed=17)
    X, y = data.iloc[:600], labels.iloc[:600]
    registry = Registry(tmp_path / "registry")
    model = LogisticRegression().fit(X, y)
    with pytest.raises(
        InvalidArgumentError, match=r"600 of the 600 reference rows are rows the model was"
    ):
        registry.register("m", model, X=X, y=y, reference=(X, y))
    with pytest.raises(
        InvalidArgumentError, match=r"has 10 row\(s\); give at least 50 held-out rows"
    ):
        registry.register(
            "m", model, X=X, y=y, reference=(data.iloc[600:610], labels.iloc[600:610])
        )
    strange = pd.Series(["a", "b"] * 50, index=data.index[600:])
    with pytest.raises(
        InvalidArgumentError, match=r"labels include 'a', 'b', which are not classes"
    ):
        registry.register("m", model, X=X, y=y, reference=(data.iloc[600:], strange))
    one_class = pd.Series([int(labels.iloc[0])] * 100, index=data.index[600:])
    with pytest.raises(InvalidArgumentError, match=r"labels of at least two of its classes"):
        registry.register("m", model, X=X, y=y, reference=(data.iloc[600:], one_class))
    assert registry.model_names() == []
    registry.register("m", model, X=X, y=y)
    with pytest.raises(InvalidArgumentError, match="is m:1's training data"):
        registry.set_reference("m", 1, X, y)


def test_an_empty_window_says_so_in_one_line(tmp_path: Path) -> None:
    monitor = two_versions(tmp_path)
    X, y = classification_data(10, seed=18)
    empty, no_labels = X.iloc[:0], y.iloc[:0]
    performance = monitor.performance("wine:1", empty, y=no_labels)
    assert performance.metrics == [] and performance.note == "the window has no rows"
    estimate = monitor.estimate("wine:1", empty)
    assert estimate.metrics == [] and estimate.note == "the window has no rows"
    assert "the window has no rows" in repr(estimate)


def few_values(rows: int, *, seed: int) -> tuple[pd.DataFrame, pd.Series]:
    """A flag, a code of three values and an amount that is 95% zeros: most rows repeat."""
    rng = np.random.default_rng(seed)
    amount = np.where(rng.random(rows) < 0.95, 0.0, rng.normal(50, 10, rows))
    X = pd.DataFrame({"f": rng.random(rows) < 0.5, "k": rng.integers(0, 3, rows), "d": amount})
    return X, pd.Series(X["k"] * 2.0 + X["f"] + X["d"] / 10 + rng.normal(0, 0.1, rows))


def test_held_out_rows_equal_to_training_rows_by_value_are_accepted(tmp_path: Path) -> None:
    from sklearn.tree import DecisionTreeRegressor

    X, y = few_values(1_000, seed=1)
    Xv, yv = few_values(1_000, seed=2)
    registry = Registry(tmp_path / "registry")
    model = DecisionTreeRegressor(max_depth=3).fit(X, y)
    with pytest.raises(
        InvalidArgumentError, match=r"1,000 of the 1,000 reference rows are rows the model"
    ):
        registry.register("price", model, X=X, y=y, reference=(X, y))
    version = registry.register("price", model, X=X, y=y, reference=(Xv, yv))
    assert version.reference_source == "held-out" and version.reference_rows == 1_000
