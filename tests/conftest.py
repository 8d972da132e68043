"""Shared fixtures: real registries in tmp_path, real data, a real IPython shell."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression

from jupyter_mlops import Registry
from jupyter_mlops.monitoring import compaction, logs

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def dataset() -> tuple[pd.DataFrame, pd.Series]:
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    return X, y


@pytest.fixture(scope="session")
def fitted(dataset: tuple[pd.DataFrame, pd.Series]) -> LogisticRegression:
    X, y = dataset
    return LogisticRegression(max_iter=5000).fit(X, y)


@pytest.fixture
def registry(tmp_path: Path) -> Registry:
    return Registry(tmp_path / "registry")


@pytest.fixture
def subprocess_env(tmp_path: Path) -> dict[str, str]:
    """The environment for child processes: this interpreter's bin first on PATH."""
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env["MLOPS_HOME"] = str(tmp_path / "registry")
    return env


def free_port() -> int:
    """A loopback port nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def logged_ids(home: Path, model: str, kind: str = logs.PREDICTIONS) -> list[str]:
    """The request ids in a model's log, sorted, read as monitoring reads it."""
    if not logs.has_log(home, kind, model):
        return []
    with compaction.reading(home, model):
        rows = duckdb.execute(
            f"SELECT {logs.REQUEST_ID} FROM read_parquet(?, union_by_name = true)",
            [logs.pattern(home, kind, model)],
        ).fetchall()
    return sorted(row[0] for row in rows)
