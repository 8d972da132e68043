"""Finite values near the ends of a float (1e308, subnormals) and windows of a few rows:
drift reads what the data says, with no overflow, no warning and no false certainty."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.dummy import DummyClassifier

from jupyter_mlops import Monitor, Registry
from jupyter_mlops.monitoring import statistics, synthetic


def extremes(count: int, *, seed: int) -> tuple[pd.DataFrame, pd.Series]:
    """A column spread over nearly all of a float's range, and one of subnormals."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "huge": rng.uniform(-1, 1, count) * 1.5e308,
            "tiny": rng.integers(1, 1_000, count) * 5e-324,
        }
    )
    return X, pd.Series(rng.integers(0, 2, count))


def test_calm_data_at_a_floats_ends_is_calm_and_warns_of_nothing(tmp_path: Path) -> None:
    X, y = extremes(2_000, seed=1)
    held_out = extremes(500, seed=2)
    registry = Registry(tmp_path / "registry")
    model = DummyClassifier(strategy="prior").fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow in NumPy is a RuntimeWarning
        version = registry.register("m", model, X=X, y=y, reference=held_out)
        registry.promote("m", version.version)
        report = Monitor(registry).drift(
            "m@champion",
            current=extremes(1_000, seed=3)[0],
            tests={"huge": "wasserstein", "tiny": "wasserstein"},
            multivariate=False,
            save=False,
        )
    for name in ("huge", "tiny"):
        distance = report.feature(name).statistics["wasserstein"][0]
        assert 0 < distance < 0.1, (name, distance)  # in the reference's spreads
        assert not report.feature(name).drifted
    profile = {e["feature"]: e["stats"] for e in registry.profile("m@champion")}
    assert np.isfinite(profile["huge"]["std"]) and profile["huge"]["std"] > 1e307
    assert 0 < profile["tiny"]["std"] < 1e-320  # a subnormal, not 0


def test_a_value_at_a_floats_end_among_ordinary_ones_is_binned_without_overflow(
    tmp_path: Path,
) -> None:
    """A reference of ordinary numbers, then a window holding 1e308 and -1e308: each is
    counted in the outermost bin, with no overflow warning on the way."""
    rng = np.random.default_rng(4)
    X, y = pd.DataFrame({"x": rng.normal(0, 1, 2_000)}), pd.Series(rng.integers(0, 2, 2_000))
    registry = Registry(tmp_path / "registry")
    model = DummyClassifier(strategy="prior").fit(X, y)
    registry.register("m", model, X=X, y=y, reference=(X.iloc[:500] + 0.01, y.iloc[:500]))
    current = pd.DataFrame({"x": [*rng.normal(0, 1, 500), 1e308, -1.7e308]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow in NumPy is a RuntimeWarning
        report = Monitor(registry).drift(
            "m:1", current=current, tests={"x": "psi"}, multivariate=False, save=False
        )
    assert np.isfinite(report.feature("x").statistics["psi"][0])


@pytest.mark.parametrize(
    ("hits_a", "rows_a", "hits_b", "rows_b"),
    [(0, 1_000, 1, 10), (0, 5_000, 1, 5), (3, 2_000, 2, 20), (40, 50, 1, 8), (2, 30, 0, 3)],
)
def test_a_share_in_a_few_rows_is_tested_exactly(
    hits_a: int, rows_a: int, hits_b: int, rows_b: int
) -> None:
    expected = stats.fisher_exact([[hits_a, rows_a - hits_a], [hits_b, rows_b - hits_b]])
    found = statistics.two_proportions(hits_a, rows_a, hits_b, rows_b)
    assert found == pytest.approx(expected.pvalue, rel=1e-9)


def test_one_missing_value_in_ten_rows_is_not_called_certain(monitor: Monitor) -> None:
    """The reference (2,000 held-out rows) has no missing value: one in a window of ten is
    p = 0.005 by Fisher's exact test, where the pooled z-test said 1e-23."""
    current = synthetic.features(10, seed=30)
    current.loc[0, "n0"] = np.nan
    report = monitor.drift("churn@champion", current=current, multivariate=False, save=False)
    (missing,) = [f for f in report.features if f.feature == "n0" and f.test == "missing"]
    reference = next(e for e in monitor.registry.profile("churn@champion") if e["feature"] == "n0")
    rows = int(reference["stats"]["count"])
    expected = stats.fisher_exact([[0, rows], [1, 9]]).pvalue
    assert missing.statistics["missing"][1] == pytest.approx(expected, rel=1e-9)
    assert missing.statistics["missing"][1] > 1e-4


def test_a_moment_moved_under_a_tenth_of_a_second_reads_as_it_moved() -> None:
    from jupyter_mlops.profiling.instants import duration

    assert duration(0.003) == "+0.003 seconds"
    assert duration(-0.04) == "-0.04 seconds"
    assert duration(3) == "+3.0 seconds" and duration(3 * 86_400) == "+3.0 days"


def test_a_regressors_errors_near_a_floats_end_give_their_mae_not_infinity(
    tmp_path: Path,
) -> None:
    from sklearn.linear_model import LinearRegression

    from jupyter_mlops import operations

    rng = np.random.default_rng(5)
    X = pd.DataFrame({"x": rng.normal(size=600)})
    registry = Registry(tmp_path / "registry")
    model = LinearRegression().fit(X, 3 * X["x"])
    registry.register("rg", model, X=X, y=3 * X["x"])
    registry.promote("rg", 1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow in NumPy is a RuntimeWarning
        report = operations.performance(
            registry, ref="rg@champion", current=X, y=np.full(600, 1e308)
        )
    found = {m["metric"]: m for m in report.to_dict()["metrics"]}
    for name in ("mae", "rmse"):
        assert found[name]["value"] == pytest.approx(1e308), name
    assert "inf" not in repr(report)
    assert "mae 1e+308" in repr(operations.fleet(registry))
    infinite = Monitor(registry).performance(
        "rg@champion", current=X, y=np.full(600, np.inf), save=False
    )
    assert {m.value for m in infinite.metrics} == {None}
    assert all("an error of the 600 rows is infinite" in m.note for m in infinite.metrics)
