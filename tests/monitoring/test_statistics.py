"""The drift statistics agree with independent implementations on the same data."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from jupyter_mlops import Monitor
from jupyter_mlops.monitoring import synthetic
from jupyter_mlops.monitoring.statistics import benjamini_hochberg
from jupyter_mlops.profiling.binning import Binner, quantile_edges


def reference_sample(monitor: Monitor) -> pd.DataFrame:
    version = monitor.registry.get("churn@champion")
    data = monitor.registry.artifacts.get(version.reference_sha256, label="reference")
    return pd.read_parquet(io.BytesIO(data))


def profile(monitor: Monitor) -> dict[str, dict]:
    return {e["feature"]: e for e in monitor.registry.profile("churn@champion")}


@pytest.mark.parametrize(("rows", "method"), [(3_000, "exact"), (60_000, "asymp")])
def test_ks_and_wasserstein_match_scipy(monitor: Monitor, rows: int, method: str) -> None:
    current = synthetic.features(rows, shifted=True, seed=5)
    report = monitor.drift(
        "churn@champion", current=current, exhaustive=True, multivariate=False, save=False
    )
    sample = reference_sample(monitor)
    profiles = profile(monitor)
    for name in synthetic.NUMERIC:
        expected = stats.ks_2samp(sample[name], current[name], method=method)
        statistic, p_value = report.feature(name).statistics["ks"]
        assert statistic == pytest.approx(expected.statistic, abs=1e-6)
        assert p_value == pytest.approx(expected.pvalue, rel=1e-6, abs=1e-300)
        distance = stats.wasserstein_distance(sample[name], current[name])
        normalised = report.feature(name).statistics["wasserstein"][0]
        assert normalised * profiles[name]["stats"]["std"] == pytest.approx(distance, rel=1e-9)


def test_psi_and_js_match_a_plain_numpy_computation(monitor: Monitor) -> None:
    current = synthetic.features(20_000, shifted=True, seed=6)
    report = monitor.drift("churn@champion", current=current, multivariate=False, save=False)
    for name, entry in profile(monitor).items():
        if name.startswith("__"):
            continue
        reference = np.asarray(
            entry["stats"]["counts"] if entry["kind"] == "numeric" else [], dtype=float
        )
        if entry["kind"] == "numeric":
            edges = np.asarray(entry["stats"]["edges"])
            bins = np.searchsorted(edges, current[name].to_numpy(), side="right")
            observed = np.bincount(bins, minlength=len(edges) + 1).astype(float)
        else:
            counts = entry["stats"]["counts"]
            seen = current[name].astype(str).value_counts()
            keys = list(counts) + [k for k in seen.index if k not in counts]
            reference = np.array([counts.get(k, 0) for k in keys], dtype=float)
            observed = np.array([seen.get(k, 0) for k in keys], dtype=float)
        p, q = reference / reference.sum(), observed / observed.sum()
        floored_p, floored_q = np.maximum(p, 1e-4), np.maximum(q, 1e-4)
        psi = np.sum((floored_q - floored_p) * np.log(floored_q / floored_p))
        js = stats.entropy(p, (p + q) / 2, base=2) / 2 + stats.entropy(q, (p + q) / 2, base=2) / 2
        assert report.feature(name).statistics["psi"][0] == pytest.approx(psi, rel=1e-9)
        assert report.feature(name).statistics["js"][0] == pytest.approx(np.sqrt(js), rel=1e-9)


def test_chi_squared_matches_scipy(monitor: Monitor) -> None:
    current = synthetic.features(4_000, shifted=True, seed=7)
    report = monitor.drift("churn@champion", current=current, multivariate=False, save=False)
    for name in synthetic.CATEGORICAL:
        counts = profile(monitor)[name]["stats"]["counts"]
        seen = current[name].astype(str).value_counts()
        keys = list(counts) + [k for k in seen.index if k not in counts and seen[k]]
        table = [[counts.get(k, 0) for k in keys], [seen.get(k, 0) for k in keys]]
        statistic, p_value, _, _ = stats.chi2_contingency(table)
        ours = report.feature(name).statistics["chi2"]
        assert ours[0] == pytest.approx(statistic, rel=1e-9)
        assert ours[1] == pytest.approx(p_value, rel=1e-6, abs=1e-300)


def test_chi_squared_with_two_categories_uses_yates_correction_like_scipy() -> None:
    from jupyter_mlops.monitoring.statistics import chi_squared

    table = np.array([[30, 70], [45, 55]])
    expected = stats.chi2_contingency(table)
    assert chi_squared(table[0], table[1]) == pytest.approx((expected[0], expected[1]))


@pytest.mark.parametrize(
    "values",
    [
        np.random.default_rng(0).normal(size=200_000),
        np.random.default_rng(1).integers(0, 6, 200_000).astype(float),  # ties on every edge
        np.r_[np.random.default_rng(2).exponential(size=50_000), np.inf, -np.inf, np.nan],
    ],
    ids=["continuous", "integers", "infinities-and-nan"],
)
def test_binning_counts_exactly_as_a_binary_search(values: np.ndarray) -> None:
    finite = np.sort(values[np.isfinite(values)][:20_000])
    edges = np.unique(finite[(np.linspace(0, 1, 21)[1:-1] * (len(finite) - 1)).astype(int)])
    counted = Binner(edges.tolist()).count(values)
    present = values[np.isfinite(values)]
    expected = np.bincount(np.searchsorted(edges, present, side="right"), minlength=len(edges) + 1)
    assert counted.counts.tolist() == expected.tolist()
    assert counted.nulls == int(np.isnan(values).sum())
    assert counted.infinite == int(np.isinf(values).sum())


@pytest.mark.parametrize("constant", [0.0, 1.0, -3.5, 1e-300])
def test_binning_counts_a_constant_in_its_own_bin(constant: float) -> None:
    """A constant's bin is [v, the next float after v): a grid over that span would have
    cells narrower than any float (0 has the next float 5e-324 past it)."""
    edges = quantile_edges(np.full(1_000, constant), 20)
    values = np.r_[np.full(300, constant), constant - 1, constant + 1, np.nan, np.inf]
    counted = Binner(edges.tolist()).count(values)
    assert counted.counts.tolist() == [1, 300, 1]
    assert (counted.nulls, counted.infinite, counted.rows) == (1, 1, 304)


def test_benjamini_hochberg_matches_scipy() -> None:
    p = np.random.default_rng(3).uniform(0, 0.2, 30)
    assert benjamini_hochberg(p.tolist()) == pytest.approx(stats.false_discovery_control(p))
