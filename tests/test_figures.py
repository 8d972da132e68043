"""The figure a result is drawn as, chosen by its type: one feature's drift history, and a
feature's distributions (tests/operations/test_distributions.py draws those on a richer
model)."""

from __future__ import annotations

import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from jupyter_mlops import operations
from jupyter_mlops.monitoring import synthetic
from jupyter_mlops.operations.registering import registration
from jupyter_mlops.registry import Registry
from jupyter_mlops.viz.figures import figure_of
from tests.conftest import copied

FEATURES = synthetic.NUMERIC[:4]


def rows(count: int, *, seed: int, shifted: bool = False) -> tuple[pd.DataFrame, pd.Series]:
    X = synthetic.features(count, shifted=shifted, seed=seed)
    return X[FEATURES], synthetic.target(X)


BACKENDS = ("file", "lake")


def watch(registry: Registry) -> Registry:
    """Model m version 1, checked for drift day by day over 8 days of 192 rows, shifted
    from day 5."""
    (X, y), reference = rows(2_000, seed=1), rows(1_000, seed=2)
    model = LogisticRegression(max_iter=500).fit(X, y)
    given = registration(model, data=[X, y], reference=list(reference))
    operations.register(registry, name="m", given=given)
    days = pd.concat([rows(768, seed=3)[0], rows(768, seed=4, shifted=True)[0]])
    days["t"] = pd.date_range("2024-03-01", periods=len(days), freq="450s", tz="UTC")
    operations.drift(registry, ref="m:1", current=days, every="1d", time_column="t")
    return registry


@pytest.fixture(scope="module")
def watched_file(tmp_path_factory: pytest.TempPathFactory) -> Registry:
    return watch(Registry(tmp_path_factory.mktemp("figures") / "registry"))


@pytest.fixture(scope="module")
def watched_lake(tmp_path_factory: pytest.TempPathFactory, lake_template: Registry) -> Registry:
    return watch(copied(lake_template, tmp_path_factory.mktemp("figures-lake") / "registry"))


@pytest.fixture
def watched(backend: str, request: pytest.FixtureRequest) -> Registry:
    """The watched registry: a registry file, or a shared registry."""
    return request.getfixturevalue(f"watched_{backend}")


@pytest.mark.parametrize("feature", ["n0", "prediction"])
def test_one_features_history_is_its_statistic_per_check_against_its_threshold(
    watched: Registry, feature: str
) -> None:
    history = operations.drift_history(watched, model="m", feature=feature)
    figure = figure_of(history)
    assert [trace.name for trace in figure.data] == [feature]
    assert len(figure.data[0].x) == len(history) == 8
    drifted = history.to_frame()["drifted"].tolist()
    assert drifted[-1] and not drifted[0], "the shift from day 5 is drawn as drift"
    lines = [shape for shape in figure.layout.shapes if shape.line.dash == "dash"]
    assert [shape.y0 for shape in lines] == [pytest.approx(2.0)]  # -log10 of alpha 0.01
    assert figure.layout.title.text == f"m, {feature}: drift per check"
