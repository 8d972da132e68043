"""A real Jupyter server (pytest-jupyter's `jp_serverapp`, `jp_fetch`) with the extension
enabled, on a registry built as a user builds one, copied afresh for every test: a registry
file, or a shared registry where a module's BACKENDS or a test's `backends` mark says so."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

# pytest-jupyter's fixtures and hooks for the tests of this directory alone: `pytest_plugins`
# is refused in a conftest below the root, and its autouse fixtures would start a
# ServerApp around every other test of the suite
from pytest_jupyter.jupyter_server import *  # noqa: F403
from sklearn.linear_model import LogisticRegression

from jupyter_mlops import operations as ops
from jupyter_mlops.monitoring import synthetic
from jupyter_mlops.operations.registering import registration
from jupyter_mlops.registry import Registry
from tests.conftest import closed, copied

API = "mlops/api"


def rows(count: int, *, seed: int, shifted: bool = False) -> tuple[pd.DataFrame, pd.Series]:
    X = synthetic.features(count, shifted=shifted, seed=seed)
    return X[synthetic.NUMERIC], synthetic.target(X)


def build(registry: Registry) -> Registry:
    """churn: versions 1 and 2, champion moved 1 -> 2, a drift check and an alert that
    fired; fraud: one version, no alias, never checked."""
    (train, y_train), (held, y_held) = rows(1_200, seed=1), rows(400, seed=2)
    model = LogisticRegression(max_iter=500).fit(train, y_train)
    for name, count in (("churn", 2), ("fraud", 1)):
        for auc in (0.8, 0.9)[:count]:
            given = registration(model, data=[train, y_train], reference=[held, y_held],
                                 metrics={"auc": auc}, description=f"{name} model")  # fmt: skip
            ops.register(registry, name=name, given=given, force=True)
    ops.promote(registry, model="churn", version=1, reason="first model")
    ops.promote(registry, model="churn", version=2, reason="better AUC")
    shifted, _ = rows(500, seed=3, shifted=True)
    ops.drift(registry, ref="churn@champion", current=held)
    ops.add_alert(registry, ref="churn@champion", expression="drift.share > 0.1")
    ops.check(registry, ref="churn@champion", current=shifted)
    return registry


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built registry as a registry file."""
    return build(Registry(tmp_path_factory.mktemp("built") / "registry")).home


@pytest.fixture(scope="session")
def built_lake(tmp_path_factory: pytest.TempPathFactory, lake_template: Registry) -> Registry:
    """The built registry as a shared registry."""
    return build(copied(lake_template, tmp_path_factory.mktemp("built-lake") / "registry"))


@pytest.fixture
def registry(
    built: Path, tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> Iterator[Registry]:
    """This test's own copy of the built registry: a registry file, or a shared registry
    where the module's BACKENDS or the test's `backends` mark says so."""
    source = request.getfixturevalue("built_lake") if backend == "lake" else Registry(built)
    made = copied(source, tmp_path / "registry")
    yield made
    closed(made)


@pytest.fixture
def home(registry: Registry) -> Path:
    """This test's registry's folder (a shared registry's data path)."""
    return registry.home


@pytest.fixture
def lock_timeout() -> float:
    return 10.0


@pytest.fixture
def jp_server_config(
    home: Path,
    lock_timeout: float,
    backend: str,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> Any:
    # the extension exports its own: recorded here (a variable not set is recorded only by a
    # set), so it is undone after and never leaks into the tests that follow
    for name in ("MLOPS_HOME", "MLOPS_REGISTRY", "MLOPS_DATA_PATH"):
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    served: dict[str, Any] = {"home": str(home), "lock_timeout": lock_timeout}
    if backend == "lake":
        registry = request.getfixturevalue("registry")
        served |= {"home": registry.location, "data_path": str(home)}
    return {
        "ServerApp": {"jpserver_extensions": {"jupyter_mlops.server": True}},
        "MlopsExtension": served,
    }


@pytest.fixture
def api(jp_fetch: Any) -> Any:
    """`await api(path, body=None, **params)`: (status, JSON answer) of a GET, or a POST of
    `body` (a dict, or bytes as they are) under /mlops/api/, with the server's token."""

    async def call(path: str, body: Any = None, **params: Any) -> tuple[int, dict[str, Any]]:
        given: dict[str, Any] = {"method": "GET"}
        if body is not None:
            raw = body if isinstance(body, bytes) else json.dumps(body).encode()
            given = {"method": "POST", "body": raw}
        answer = await jp_fetch(API, path, params=params, raise_error=False, **given)
        assert answer.headers["Content-Type"].startswith("application/json"), answer.body
        return answer.code, json.loads(answer.body)

    return call
