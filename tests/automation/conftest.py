"""Fixtures of the automation tests: a crontab for the schedules' tests (the test run's own,
behind a `crontab` program as cron's, holding a line of the user's own during a test and put
back as it was after it), and a small
churn registry the gate and data-check tests share: a weak champion (fitted on shuffled
labels), a good challenger, and a copy of it fitted on a bootstrap sample; for the jobs'
tests, tiny notebooks they write and a registry with a model their notebooks check."""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import nbformat
import numpy as np
import pandas as pd
import pytest
from sklearn.compose import make_column_transformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder

from jupyter_mlops import Registry
from tests.conftest import users_crontab

NEEDS_CRONTAB = pytest.mark.skipif(
    shutil.which("crontab") is None, reason="no crontab program (make test installs cron)"
)
FOREIGN = "# the user's own backup\n*/5 * * * * echo foreign >> /dev/null # backup\n"


@pytest.fixture
def crontab_text() -> Iterator[None]:
    """The tests' crontab holding `FOREIGN` after the lines it had during the test (`FOREIGN`
    alone where it had none); the test's lines taken out afterwards."""
    with users_crontab(written=FOREIGN):
        yield


@pytest.fixture
def notebook(tmp_path: Path) -> Path:
    path = tmp_path / "notebooks dir" / "monitoring.ipynb"
    path.parent.mkdir()
    content = {"cells": [], "metadata": {"kernelspec": KERNEL}, "nbformat": 4, "nbformat_minor": 5}
    path.write_text(json.dumps(content))
    return path


def churn_rows(rows: int, *, seed: int) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({f"x{i}": rng.normal(size=rows) for i in range(4)})
    X["plan"] = pd.Categorical(rng.choice(["basic", "pro", "team"], size=rows))
    logit = 1.5 * X.x0 - X.x1 + 0.5 * X.x2 + 0.8 * (X.plan == "pro")
    y = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(int)
    return X, pd.Series(y, name="churned")


def churn_model(X: pd.DataFrame, y: pd.Series) -> Pipeline:
    encode = make_column_transformer(
        (OneHotEncoder(handle_unknown="ignore"), ["plan"]), remainder="passthrough"
    )
    return make_pipeline(encode, LogisticRegression(max_iter=1000)).fit(X, y)


@pytest.fixture(scope="session")
def holdout() -> tuple[pd.DataFrame, pd.Series]:
    return churn_rows(1_000, seed=2)


@pytest.fixture(scope="session")
def churn_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Versions 1 (weak, the champion), 2 (good) and 3 (2 refitted on a bootstrap sample)."""
    home = tmp_path_factory.mktemp("gates") / "registry"
    registry = Registry(home)
    X, y = churn_rows(1_500, seed=1)
    shuffled = pd.Series(np.random.default_rng(0).permutation(y.to_numpy()))
    registry.register("churn", churn_model(X, shuffled), X=X, y=y)
    registry.promote("churn", 1, "champion", reason="first")
    registry.register("churn", churn_model(X, y), X=X, y=y)
    drawn = np.random.default_rng(3).integers(0, len(X), len(X))
    again = X.iloc[drawn].reset_index(drop=True), y.iloc[drawn].reset_index(drop=True)
    registry.register("churn", churn_model(*again), X=again[0], y=again[1])
    return home


@pytest.fixture
def churn(churn_home: Path, tmp_path: Path) -> Registry:
    """A private copy of the churn registry, for a test that changes it."""
    shutil.copytree(churn_home, tmp_path / "registry")
    return Registry(tmp_path / "registry")


# notebooks run as jobs: tiny notebooks written by the tests (a kernel that imports nothing
# starts fast), and a registry with a model whose checks a job's notebook records

KERNEL = {"name": "python3", "display_name": "Python 3", "language": "python"}

CHECK = """\
%load_ext jupyter_mlops
import pandas as pd
current = pd.read_parquet(data)
result = %mlops check {model} --current current --no-multivariate
result"""


@pytest.fixture
def write_notebook(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Path]:
    """`write_notebook(name, cell, ...)` writes a notebook of those code cells in tmp_path,
    the first tagged `parameters` unless `parameters=False`; papermill's kernel is this
    interpreter's (its bin first on PATH)."""
    monkeypatch.setenv("PATH", str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"])

    def write(name: str, *cells: str, parameters: bool = True) -> Path:
        made = nbformat.v4.new_notebook(metadata={"kernelspec": KERNEL})
        made.cells = [nbformat.v4.new_code_cell(cell) for cell in cells]
        if parameters:
            made.cells[0].metadata["tags"] = ["parameters"]
        path = tmp_path / name
        nbformat.write(made, path)
        return path

    return write


@pytest.fixture(scope="module")
def served_home(tmp_path_factory: pytest.TempPathFactory, dataset: Any, fitted: Any) -> Path:
    """A registry home with `tumour@champion`, its training rows as the reference."""
    home = tmp_path_factory.mktemp("served") / "registry"
    registry = Registry(home)
    X, y = dataset
    registry.register("tumour", fitted, X=X, y=y)
    registry.promote("tumour", 1, "champion", reason="first")
    return home


@pytest.fixture
def served(served_home: Path, tmp_path: Path) -> Registry:
    """A private copy of the `served_home` registry."""
    return Registry(shutil.copytree(served_home, tmp_path / "registry"))
