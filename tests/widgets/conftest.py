"""A small registry as a team would have it: a model with two versions, a champion, held-out
reference data, logged predictions and labels, stored checks; as a registry file, or as a
shared registry where a test's BACKENDS or `backends` mark says so."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from jupyter_mlops import Monitor, Registry
from jupyter_mlops.monitoring import synthetic
from jupyter_mlops.widgets.panel import Panel
from tests.conftest import closed, copied, wait_for


def rows(count: int, *, seed: int, shifted: bool = False) -> tuple[pd.DataFrame, pd.Series]:
    X = synthetic.features(count, shifted=shifted, seed=seed)
    return X[synthetic.NUMERIC], synthetic.target(X)


def prepare(registry: Registry) -> Registry:
    """churn: versions 1 and 2, champion moved 1 -> 2, an alert rule, a drift check of a
    shifted week and its performance measured."""
    X, y = rows(1_500, seed=1)
    held = rows(500, seed=2)
    for c in (1.0, 0.1):
        model = LogisticRegression(C=c, max_iter=5000).fit(X, y)
        registry.register("churn", model, X=X, y=y, reference=held, metrics={"auc": 0.9 - c / 10})
    registry.promote("churn", 1, reason="first")
    registry.promote("churn", 2, reason="better")
    monitor = Monitor(registry)
    now, y_now = rows(600, seed=3, shifted=True)
    monitor.add_alert("churn@champion", "drift.share > 0.5")
    monitor.check("churn@champion", current=now)
    timed = now.assign(t=pd.date_range("2026-11-01", periods=len(now), freq="h", tz="UTC"))
    monitor.performance("churn@champion", current=timed, y=y_now, time_column="t")
    return registry


@pytest.fixture(scope="session")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Registry:
    return prepare(Registry(tmp_path_factory.mktemp("widgets") / "registry"))


@pytest.fixture(scope="session")
def prepared_lake(tmp_path_factory: pytest.TempPathFactory, lake_template: Registry) -> Registry:
    """The prepared registry as a shared registry."""
    home = tmp_path_factory.mktemp("widgets-lake") / "registry"
    return prepare(copied(lake_template, home))


@pytest.fixture
def registry(
    prepared: Registry, tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> Iterator[Registry]:
    """A private copy of the prepared registry (tests change it)."""
    source = request.getfixturevalue("prepared_lake") if backend == "lake" else prepared
    made = copied(source, tmp_path / "registry")
    yield made
    if made.shared:  # closing it cuts off what a dashboard still reads
        settled(made)
        closed(made)


def settled(registry: Registry) -> None:
    """Once every dashboard of `registry` (through this object or another opened on the same
    catalog, such as a shell's) has done the reads asked of it: a test need not wait for all
    of them, and closing the registry would cut them off."""
    loaders = [
        o.loader
        for o in gc.get_objects()
        if isinstance(o, Panel) and o.registry.location == registry.location
    ]
    wait_for(lambda: not any(loader.busy for loader in loaders), "the dashboards' reads")


def elsewhere(registry: Registry) -> str:
    """Python code that opens `registry` in another process."""
    if registry.shared:
        return f"Registry({registry.location!r}, data_path={str(registry.home)!r})"
    return f"Registry({str(registry.home)!r})"


def connecting(registry: Registry) -> str:
    """What `%mlops connect` is given to open `registry`."""
    if registry.shared:
        return f"{registry.location} --data-path {registry.home}"
    return str(registry.home)
