"""Registered models on synthetic data with known drift scenarios: churn, and a 3-class one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import make_column_transformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from jupyter_mlops import Monitor, Registry
from jupyter_mlops.monitoring import synthetic
from tests.conftest import closed, copied

TRAINING_ROWS = 100_000
REFERENCE_ROWS = 20_000


def two_features(count: int, *, seed: int) -> tuple[pd.DataFrame, pd.Series]:
    """Two normal features, `x` and `z`, and a label that is mostly whether `x` > 0."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"x": rng.normal(size=count), "z": rng.normal(size=count)})
    return X, pd.Series((X["x"] + rng.normal(scale=0.5, size=count) > 0).astype(int))


def churn_model(X: pd.DataFrame, y: pd.Series) -> Pipeline:
    encode = make_column_transformer(
        (StandardScaler(), synthetic.NUMERIC),
        (OneHotEncoder(handle_unknown="ignore"), synthetic.CATEGORICAL),
    )
    return make_pipeline(encode, LogisticRegression(max_iter=1000)).fit(X, y)


@pytest.fixture(scope="session")
def training() -> tuple[pd.DataFrame, pd.Series]:
    X = synthetic.features(TRAINING_ROWS, seed=1)
    return X, synthetic.target(X)


@pytest.fixture(scope="session")
def held_out() -> tuple[pd.DataFrame, pd.Series]:
    X = synthetic.features(REFERENCE_ROWS, seed=2)
    return X, synthetic.target(X)


@pytest.fixture(scope="session")
def churn(training: tuple) -> Pipeline:
    X, y = training
    return churn_model(X, y)


@pytest.fixture(scope="session")
def churn_home(
    tmp_path_factory: pytest.TempPathFactory, churn: Pipeline, training: tuple, held_out: tuple
) -> Path:
    """A registry with churn version 1 (champion), trained on 100k synthetic rows, with
    20k held-out rows as its monitoring reference."""
    home = tmp_path_factory.mktemp("monitoring") / "registry"
    register_churn(Registry(home), churn, training, held_out)
    return home


@pytest.fixture(scope="session")
def churn_lake(
    tmp_path_factory: pytest.TempPathFactory,
    lake_template: Registry,
    churn: Pipeline,
    training: tuple,
    held_out: tuple,
) -> Registry:
    """The registry of `churn_home` as a shared registry."""
    registry = copied(lake_template, tmp_path_factory.mktemp("monitoring-lake") / "registry")
    register_churn(registry, churn, training, held_out)
    return registry


def register_churn(registry: Registry, model: Pipeline, training: tuple, held_out: tuple) -> None:
    X, y = training
    registry.register("churn", model, X=X, y=y, reference=held_out)
    registry.promote("churn", 1)


@pytest.fixture
def monitor(
    churn_home: Path, tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> Iterator[Monitor]:
    """A monitor over a private copy of the churn registry (tests may write to it): a
    registry file, or a shared registry where BACKENDS or the `backends` mark says so."""
    source = request.getfixturevalue("churn_lake") if backend == "lake" else Registry(churn_home)
    registry = copied(source, tmp_path / "registry")
    yield Monitor(registry)
    closed(registry)


ANIMALS = np.array(["bird", "cat", "dog"])


@pytest.fixture(scope="session")
def three_classes() -> tuple[pd.DataFrame, pd.Series]:
    """12,000 rows of a 3-class problem (classes named by text): the first half trains a
    model, the second half is new data from the same distribution."""
    from sklearn.datasets import make_classification

    X, y = make_classification(
        n_samples=12_000, n_features=6, n_informative=4, n_classes=3, random_state=0
    )
    return pd.DataFrame(X, columns=[f"x{i}" for i in range(6)]), pd.Series(ANIMALS[y])


@pytest.fixture
def animals(registry: Registry, three_classes: tuple[pd.DataFrame, pd.Series]) -> Monitor:
    """A monitor over a registry whose `animals` version 1 is a 3-class classifier."""
    X, y = three_classes
    model = LogisticRegression(max_iter=1000).fit(X.iloc[:4_000], y.iloc[:4_000])
    held_out = (X.iloc[4_000:6_000], y.iloc[4_000:6_000])
    registry.register("animals", model, X=X.iloc[:4_000], y=y.iloc[:4_000], reference=held_out)
    return Monitor(registry)
