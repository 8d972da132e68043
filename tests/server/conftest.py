"""A real Jupyter server (pytest-jupyter's `jp_serverapp`, `jp_fetch`) with the extension
enabled, on a registry file built as a user builds one, copied afresh for every test."""

from __future__ import annotations

import json
import shutil
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

API = "mlops/api"


def rows(count: int, *, seed: int, shifted: bool = False) -> tuple[pd.DataFrame, pd.Series]:
    X = synthetic.features(count, shifted=shifted, seed=seed)
    return X[synthetic.NUMERIC], synthetic.target(X)


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """churn: versions 1 and 2, champion moved 1 -> 2, a drift check and an alert that
    fired; fraud: one version, no alias, never checked."""
    registry = Registry(tmp_path_factory.mktemp("built") / "registry")
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
    return registry.home


@pytest.fixture
def home(built: Path, tmp_path: Path) -> Path:
    """This test's own copy of the built registry."""
    return Path(shutil.copytree(built, tmp_path / "registry"))


@pytest.fixture
def lock_timeout() -> float:
    return 10.0


@pytest.fixture
def jp_server_config(home: Path, lock_timeout: float, monkeypatch: pytest.MonkeyPatch) -> Any:
    # the extension exports its own: recorded here (a variable not set is recorded only by a
    # set), so it is undone after and never leaks into the tests that follow
    monkeypatch.setenv("MLOPS_HOME", "")
    monkeypatch.delenv("MLOPS_HOME")
    return {
        "ServerApp": {"jpserver_extensions": {"jupyter_mlops.server": True}},
        "MlopsExtension": {"home": str(home), "lock_timeout": lock_timeout},
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
