"""A feature's reference and current distributions: shares per bin of the drift statistics
or per category, unseen categories and missing values, the model's output, the verdict the
newest check stored, and the figure of them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import make_column_transformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from jupyter_mlops import operations
from jupyter_mlops.errors import InvalidArgumentError
from jupyter_mlops.monitoring import synthetic
from jupyter_mlops.monitoring.distributions import Distributions
from jupyter_mlops.registry import Registry
from jupyter_mlops.viz.figures import figure_of

NUMERIC = synthetic.NUMERIC[:6]
CATEGORICAL = synthetic.CATEGORICAL[:2]
COLUMNS = NUMERIC + CATEGORICAL


def rows(count: int, *, seed: int, shifted: bool = False) -> tuple[pd.DataFrame, pd.Series]:
    X = synthetic.features(count, shifted=shifted, seed=seed)
    return X[COLUMNS], synthetic.target(X)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A registry with churn version 1 (champion): 4,000 training rows, 2,000 held-out
    rows as its reference."""
    home = tmp_path_factory.mktemp("distributions") / "registry"
    (X, y), reference = rows(4_000, seed=1), rows(2_000, seed=2)
    encode = make_column_transformer(
        (StandardScaler(), NUMERIC), (OneHotEncoder(handle_unknown="ignore"), CATEGORICAL)
    )
    model = make_pipeline(encode, LogisticRegression(max_iter=500)).fit(X, y)
    registry = Registry(home)
    registry.register("churn", model, X=X, y=y, reference=reference)
    registry.promote("churn", 1)
    return home


@pytest.fixture
def registry(built: Path, tmp_path: Path) -> Registry:
    """A private copy of the churn registry (tests write checks and logs to it)."""
    shutil.copytree(built, tmp_path / "registry")
    return Registry(tmp_path / "registry")


@pytest.fixture(scope="module")
def shifted() -> pd.DataFrame:
    return rows(3_000, seed=3, shifted=True)[0]


def shares(found: Distributions, side: str) -> dict[str, float]:
    return {b.label: getattr(b, side) for b in found.bins}


def test_a_shifted_number_shows_in_the_shares_of_the_reference_bins(
    registry: Registry, shifted: pd.DataFrame
) -> None:
    found = operations.distributions(registry, ref="churn", feature="n0", current=shifted)
    assert found.kind == "numeric"
    assert (found.reference_rows, found.current_rows) == (2_000, 3_000)
    assert len(found.bins) == 20  # the profile's quantile bins, as PSI counts in them
    reference, current = shares(found, "reference"), shares(found, "current")
    assert all(share == pytest.approx(0.05, abs=0.002) for share in reference.values())
    assert sum(current.values()) == pytest.approx(1.0)
    top = found.bins[-1]  # n0's mean moved up 0.6 standard deviations
    assert top.label.startswith(">= ") and top.high == np.inf
    assert top.current > 2.5 * top.reference
    assert found.bins[0].current < found.bins[0].reference / 2
    assert found.verdict is None
    assert "no drift check has measured it" in repr(found)


def test_categories_show_their_shift_and_the_ones_the_reference_never_had(
    registry: Registry, shifted: pd.DataFrame
) -> None:
    current = shifted.assign(c0=shifted["c0"].astype(str))
    current.loc[:99, "c0"] = "zz"
    found = operations.distributions(registry, ref="churn", feature="c0", current=current)
    assert found.kind == "categorical"
    reference, now = shares(found, "reference"), shares(found, "current")
    assert reference["a"] == pytest.approx(0.4, abs=0.03)
    assert now["a"] < reference["a"] - 0.1  # the mix moved from 40/30/20/10/0 to near even
    assert set(found.unseen) == {"e", "zz"}
    assert reference["e"] == 0 and now["e"] > 0.08
    assert now["zz"] == pytest.approx(100 / 3_000)
    assert "e (unseen)" in repr(found) and "zz (unseen)" in found._repr_html_()


def test_the_long_tail_of_categories_is_folded_into_other(registry: Registry) -> None:
    current = rows(3_000, seed=4)[0]
    current["c0"] = [f"id{i % 40}" for i in range(len(current))]
    found = operations.distributions(registry, ref="churn", feature="c0", current=current)
    assert len(found.bins) == 20 + 1  # the 20 largest, then the rest
    other = found.bins[-1]
    assert (other.label, other.part) == ("other", "other")
    assert sum(b.current for b in found.bins) == pytest.approx(1.0)
    assert other.current > 0.4


def test_missing_values_are_a_share_of_their_own(registry: Registry, shifted: pd.DataFrame) -> None:
    current = shifted.copy()
    current.loc[: len(current) // 10 - 1, "n1"] = np.nan
    found = operations.distributions(registry, ref="churn", feature="n1", current=current)
    missing = found.bins[-1]
    assert (missing.label, missing.reference) == ("missing", 0.0)
    assert missing.current == pytest.approx(0.1) == found.missing_current
    assert sum(b.current for b in found.bins) == pytest.approx(1.0)


def test_the_output_is_shown_from_the_log_or_scored(
    registry: Registry, shifted: pd.DataFrame
) -> None:
    scored = operations.distributions(registry, ref="churn", feature="prediction", current=shifted)
    assert (scored.feature, scored.kind, scored.current_rows) == ("prediction", "numeric", 3_000)
    assert sum(b.current for b in scored.bins) == pytest.approx(1.0)
    operations.predict(registry, ref="churn", rows=shifted.iloc[:500])
    logged = operations.distributions(registry, ref="churn", feature="prediction")
    assert logged.current_rows == 500 and "log" in logged.source
    assert sum(b.current_rows for b in logged.bins) == 500


def test_the_verdict_is_the_newest_checks(registry: Registry, shifted: pd.DataFrame) -> None:
    operations.drift(registry, ref="churn", current=rows(3_000, seed=5)[0], multivariate=False)
    report = operations.drift(registry, ref="churn", current=shifted, multivariate=False)
    found = operations.distributions(registry, ref="churn", feature="n0", current=shifted)
    verdict = found.verdict
    assert verdict is not None and verdict.check_id == report.check_id
    assert verdict.drifted and verdict.test == report.feature("n0").test
    assert found.title.startswith("churn@champion (version 1), n0: ")
    assert "DRIFT" in found.title
    output = operations.distributions(registry, ref="churn", feature="prediction", current=shifted)
    assert output.verdict is not None and output.verdict.check_id == report.check_id


def test_an_unknown_feature_is_refused_with_the_closest_name(registry: Registry) -> None:
    with pytest.raises(InvalidArgumentError, match=r"no feature 'n00' \(did you mean 'n0'\?\)"):
        operations.distributions(registry, ref="churn", feature="n00")


def test_the_json_holds_each_bin_and_round_trips(registry: Registry, shifted: pd.DataFrame) -> None:
    operations.drift(registry, ref="churn", current=shifted, multivariate=False)
    found = operations.distributions(registry, ref="churn", feature="n1", current=shifted)
    data = found.to_dict()
    assert json.loads(json.dumps(data, allow_nan=False)) == data
    first, last = data["bins"][0], data["bins"][-1]
    assert first["low"] is None and last["high"] is None  # the open ends
    assert [b["low"] for b in data["bins"][1:]] == [b["high"] for b in data["bins"][:-1]]
    assert data["verdict"]["test"] == found.verdict.test  # type: ignore[union-attr]
    assert data["feature"] == "n1" and data["reference_rows"] == 2_000


def test_the_figure_draws_reference_and_current_over_the_same_bins(
    registry: Registry, shifted: pd.DataFrame
) -> None:
    current = shifted.assign(c0=shifted["c0"].astype(str))
    operations.drift(registry, ref="churn", current=current, multivariate=False)
    found = operations.distributions(registry, ref="churn", feature="c0", current=current)
    figure = figure_of(found)
    assert [trace.name for trace in figure.data] == ["reference", "current"]
    reference, current_trace = figure.data
    assert list(reference.x) == list(current_trace.x) and "e (unseen)" in list(reference.x)
    assert list(current_trace.y) == [b.current for b in found.bins]
    assert "DRIFT" in figure.layout.title.text and figure.layout.barmode == "group"
