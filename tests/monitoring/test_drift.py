"""Drift detection as a user runs it: verdicts, defaults, overrides, bad input, storage."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from jupyter_mlops import Monitor, Registry
from jupyter_mlops.errors import InvalidArgumentError
from jupyter_mlops.monitoring import synthetic
from jupyter_mlops.registry.outputs import PREDICTION


@pytest.mark.parametrize("rows", [100_000, 1_000_000, 5_000_000])
def test_flags_exactly_the_shifted_features_at_every_size(monitor: Monitor, rows: int) -> None:
    current = synthetic.features(rows, shifted=True, seed=11)
    report = monitor.drift(
        "churn@champion", current=current, multivariate=False, predictions=False, save=False
    )
    assert sorted(report.drifted) == sorted(synthetic.SHIFTED)
    assert report.share == pytest.approx(6 / 25)
    unseen = report.feature("c0")
    assert unseen.unseen == ["e"] and unseen.note == "1 category unseen in the reference"


@pytest.mark.parametrize("rows", [2_000, 10_000, 5_000_000])
def test_an_unshifted_window_stays_unflagged_as_it_grows(monitor: Monitor, rows: int) -> None:
    current = synthetic.features(rows, seed=12)
    report = monitor.drift(
        "churn@champion", current=current, multivariate=False, predictions=False, save=False
    )
    assert report.drifted == []


def test_small_windows_use_p_values_corrected_across_features(monitor: Monitor) -> None:
    report = monitor.drift(
        "churn@champion", current=synthetic.features(3_000, seed=13), multivariate=False
    )
    tests = {f.feature: f.test for f in report.features if f.test != "missing"}
    assert {tests[n] for n in synthetic.NUMERIC} == {"ks"}
    assert {tests[n] for n in synthetic.CATEGORICAL} == {"chi2"}
    raw = [f.statistics[f.test][1] for f in report.features if f.test in ("ks", "chi2")]
    adjusted = [f.p_value for f in report.features if f.test in ("ks", "chi2")]
    assert all(a >= r for a, r in zip(adjusted, raw, strict=True))
    large = monitor.drift(
        "churn@champion", current=synthetic.features(20_000, seed=13), multivariate=False
    )
    assert {f.test for f in large.features if f.feature in synthetic.NUMERIC} == {"psi"}
    assert {f.test for f in large.features if f.feature in synthetic.CATEGORICAL} == {"js"}


def test_a_joint_shift_is_caught_only_by_the_multivariate_check(tmp_path: Path) -> None:
    registry = Registry(tmp_path / "registry")
    reference = synthetic.joint_shift(20_000, correlated=False, seed=1)
    target = (reference["a"] > 0).astype(int)
    registry.register("joint", LogisticRegression().fit(reference, target), X=reference, y=target)
    current = synthetic.joint_shift(50_000, correlated=True, seed=2)
    report = Monitor(registry).drift("joint:1", current=current, predictions=False)
    assert report.drifted == []
    assert report.multivariate is not None and report.multivariate.drifted
    assert report.multivariate.auc > 0.6
    unchanged = synthetic.joint_shift(50_000, correlated=False, seed=3)
    calm = Monitor(registry).drift("joint:1", current=unchanged, predictions=False)
    assert calm.multivariate is not None and not calm.multivariate.drifted


def test_counts_drawn_as_the_reference_are_no_multivariate_drift(tmp_path: Path) -> None:
    """Whole numbers repeat: a large reference holds rare combinations a small window lacks,
    which comparing each side's distinct rows took for drift in every window."""
    rng = np.random.default_rng(1)

    def counts(rows: int) -> pd.DataFrame:
        return pd.DataFrame({"a": rng.geometric(0.15, rows), "b": rng.geometric(0.25, rows)})

    reference, held_out = counts(5_000), counts(20_000)
    target, held_target = (reference.sum(axis=1) > 10), (held_out.sum(axis=1) > 10)
    registry = Registry(tmp_path / "registry")
    model = LogisticRegression().fit(reference, target)
    registry.register("counts", model, X=reference, y=target, reference=(held_out, held_target))
    monitor = Monitor(registry)
    aucs = [
        monitor.drift("counts:1", current=counts(rows), predictions=False, save=False)
        for rows in (300, 300, 300, 1_000, 1_000, 1_000)
    ]
    assert all(r.multivariate is not None and not r.multivariate.drifted for r in aucs), [
        r.multivariate for r in aucs
    ]
    copied = pd.concat([held_out.iloc[:500], counts(1_000)], ignore_index=True)
    both = monitor.drift("counts:1", current=copied, predictions=False, save=False)
    assert both.multivariate is not None and not both.multivariate.drifted


def test_prediction_drift_is_measured_from_the_model_output(monitor: Monitor) -> None:
    shifted = monitor.drift(
        "churn@champion",
        current=synthetic.features(30_000, shifted=True, seed=14),
        multivariate=False,
    )
    assert shifted.prediction is not None and shifted.prediction.drifted
    calm = monitor.drift(
        "churn@champion", current=synthetic.features(30_000, seed=15), multivariate=False
    )
    assert calm.prediction is not None and not calm.prediction.drifted
    assert calm.values()["drift.prediction"] == 0.0


def test_the_model_scores_a_sample_while_inputs_are_measured_on_every_row(
    monitor: Monitor,
) -> None:
    report = monitor.drift(
        "churn@champion",
        current=synthetic.features(130_000, seed=25),
        multivariate=False,
        save=False,
    )
    assert report.feature("n0").rows == 130_000
    assert report.prediction is not None and report.prediction.rows == 100_000


@pytest.mark.backends("file", "lake")  # what a check records, in the catalog
def test_tests_and_thresholds_can_be_set_per_call_and_stored_per_model(monitor: Monitor) -> None:
    current = synthetic.features(20_000, shifted=True, seed=16)
    report = monitor.drift(
        "churn@champion",
        current=current,
        tests={"n0": "wasserstein"},
        thresholds={"n0": 5.0},
        multivariate=False,
        save=False,
    )
    assert report.feature("n0").test == "wasserstein" and not report.feature("n0").drifted
    monitor.configure("churn", "n1", test="ks", threshold=0.01)
    monitor.configure("churn", threshold=0.5)  # every feature: a laxer PSI / JS
    stored = monitor.drift("churn@champion", current=current, multivariate=False, save=False)
    assert stored.feature("n1").test == "ks" and stored.feature("n1").threshold == 0.01
    assert stored.feature("n2").threshold == 0.5
    with pytest.raises(
        InvalidArgumentError, match="does not apply to the categorical feature 'c0'"
    ):
        monitor.configure("churn", "c0", test="ks")
    with pytest.raises(InvalidArgumentError, match="did you mean 'n1'"):
        monitor.configure("churn", "n1x", test="ks")
    with pytest.raises(InvalidArgumentError, match=r"unknown drift test 'pis'.*did you mean 'psi'"):
        monitor.drift("churn@champion", current=current, tests="pis", save=False)


@pytest.mark.backends("file", "lake")  # what a check records, in the catalog
def test_reports_are_stored_as_rows_queryable_with_sql(monitor: Monitor) -> None:
    report = monitor.drift(
        "churn@champion",
        current=synthetic.features(20_000, shifted=True, seed=17),
        multivariate=False,
    )
    with monitor.registry.db.read() as conn:
        rows = conn.execute(
            "SELECT DISTINCT feature FROM check_results WHERE check_id = ? AND chosen AND drifted "
            "ORDER BY feature",
            [report.check_id],
        ).fetchall()
    assert [r[0] for r in rows] == sorted([*synthetic.SHIFTED, "__prediction__"])
    history = monitor.history("churn", feature="n0")
    assert list(history.to_frame()["drifted"]) == [True]


def test_bad_current_data_gets_one_clear_sentence(monitor: Monitor) -> None:
    current = synthetic.features(5_000, seed=18)
    with pytest.raises(
        InvalidArgumentError, match=r"lacks 2 feature\(s\) .*'n3', 'c2'.*every training"
    ):
        monitor.drift("churn@champion", current=current.drop(columns=["n3", "c2"]))
    wrong = current.assign(n4=current["n4"].astype(str) + " kg")
    with pytest.raises(
        InvalidArgumentError, match=r"column 'n4' is .* numeric in the reference; convert"
    ):
        monitor.drift("churn@champion", current=wrong)
    with pytest.raises(InvalidArgumentError, match="has no rows; choose a window"):
        monitor.drift("churn@champion", current=current.iloc[:0])
    with pytest.raises(InvalidArgumentError, match="cannot read the window '3 days'"):
        monitor.drift("churn@champion", current=current, window="3 days", time_column="n0")


def test_extra_columns_are_ignored_and_named(monitor: Monitor) -> None:
    current = synthetic.features(5_000, seed=19).assign(customer_id=np.arange(5_000))
    report = monitor.drift("churn@champion", current=current, multivariate=False, save=False)
    assert report.extra_columns == ["customer_id"]
    assert "customer_id" in repr(report) and report.drifted == []


def test_an_all_null_column_is_reported_not_crashed_on(monitor: Monitor) -> None:
    current = synthetic.features(20_000, seed=20).assign(n7=np.nan)
    report = monitor.drift("churn@champion", current=current, multivariate=False, save=False)
    assert report.drifted == ["n7"]
    rows = [f for f in report.features if f.feature == "n7"]
    assert {f.test for f in rows} == {"psi", "missing"}
    assert any("all missing" in f.note for f in rows)
    assert next(f for f in rows if f.test == "missing").statistic == pytest.approx(1.0)


def test_parquet_files_and_time_windows(monitor: Monitor, tmp_path: Path) -> None:
    current = synthetic.features(30_000, seed=21)
    current["at"] = pd.Timestamp("2026-11-01") + pd.to_timedelta(np.arange(30_000) * 8, unit="s")
    shifted = synthetic.features(30_000, shifted=True, seed=22)
    current.loc[20_000:, synthetic.SHIFTED] = shifted.loc[20_000:, synthetic.SHIFTED]
    current.to_parquet(tmp_path / "week.parquet")
    timeline = monitor.drift_windows(
        "churn@champion", str(tmp_path / "week.parquet"), every="1d", time_column="at"
    )
    assert [r.rows for r in timeline.reports] == [10_800, 10_800, 8_400]
    assert timeline.reports[0].drifted == []
    assert sorted(timeline.reports[-1].drifted) == sorted(synthetic.SHIFTED)
    last = monitor.drift(
        "churn@champion",
        tmp_path / "week.parquet",
        window="1d",
        time_column="at",
        multivariate=False,
    )
    assert sorted(last.drifted) == sorted(synthetic.SHIFTED)
    assert last.window_end == pd.Timestamp(current["at"].max()).to_pydatetime()
    with pytest.raises(InvalidArgumentError, match=r"missing.parquet' does not exist"):
        monitor.drift("churn@champion", str(tmp_path / "missing.parquet"))


def test_windows_of_rows_need_no_time_column(monitor: Monitor) -> None:
    current = pd.concat(
        [synthetic.features(15_000, seed=23), synthetic.features(15_000, shifted=True, seed=24)],
        ignore_index=True,
    )
    timeline = monitor.drift_windows("churn@champion", current, every=15_000)
    assert [r.rows for r in timeline.reports] == [15_000, 15_000]
    assert timeline.reports[0].drifted == []
    assert sorted(timeline.reports[1].drifted) == sorted(synthetic.SHIFTED)
    frame = timeline.to_frame()
    assert frame.groupby("feature")["drifted"].sum()["n0"] == 1
    with pytest.raises(InvalidArgumentError, match="windows of 1d need a time column"):
        monitor.drift_windows("churn@champion", current, every="1d")


def test_a_multiclass_prediction_is_compared_as_categories(animals: Monitor, three_classes) -> None:
    X, _ = three_classes
    profiled = next(e for e in animals.registry.profile("animals") if e["feature"] == PREDICTION)
    assert profiled["kind"] == "categorical"
    assert set(profiled["stats"]["counts"]) == {"bird", "cat", "dog"}
    current = X.iloc[6_000:].reset_index(drop=True)
    calm = animals.drift("animals:1", current=current, multivariate=False, save=False)
    assert calm.prediction is not None and calm.prediction.test == "chi2"
    assert not calm.prediction.drifted
    said = animals.registry.load("animals:1").predict(current)
    doubled = pd.concat([current, current[said == "cat"]], ignore_index=True)
    shifted = animals.drift("animals:1", current=doubled, multivariate=False, save=False)
    assert shifted.prediction is not None and shifted.prediction.test == "chi2"
    assert shifted.prediction.drifted
    animals.log_predictions("animals:1", doubled)  # served predictions are the classes too
    logged = animals.drift("animals:1", multivariate=False, save=False)
    assert logged.prediction is not None and logged.prediction.test == "chi2"
    assert logged.prediction.drifted
    large = animals.drift("animals:1", current=pd.concat([current] * 2), multivariate=False)
    assert large.prediction is not None and large.prediction.test == "js"
    assert not large.prediction.drifted
