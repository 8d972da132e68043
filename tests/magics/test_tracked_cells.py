"""A tracked cell runs as the same cell untracked would, in a real IPython shell, and
records what it fitted wherever in the cell the fit is written."""

from __future__ import annotations

import asyncio

import numpy as np
import pandas as pd
import pytest

from jupyter_mlops import Registry, Tracker


@pytest.fixture
def shell(ipython, tmp_path):
    ip = ipython
    ip.run_cell(f"%mlops connect {tmp_path / 'registry'}")
    ip.run_cell(
        "import asyncio\n"
        "import jupyter_mlops as mlops\n"
        "from sklearn.linear_model import LogisticRegression\n"
        "from sklearn.model_selection import GridSearchCV\n"
    )
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(120, 3)), columns=["a", "b", "c"])
    ip.user_ns.update(X=X, y=(X["a"] + rng.normal(scale=0.5, size=120) > 0).astype(int))
    return ip


def runs(tmp_path):
    """Every run in the notebook's registry, by experiment, oldest first."""
    found = Tracker(Registry(tmp_path / "registry")).runs(ascending=True, sort="run")
    return {record.experiment: record for record in found}


def test_fits_under_time_and_timeit_and_in_the_walrus_form_are_recorded(shell, tmp_path):
    cell = (
        "%%mlops track exp\n"
        "%time clf = LogisticRegression(C=0.5).fit(X, y)\n"
        "later = LogisticRegression(C=2.0)\n"
        "%timeit -n1 -r1 later.fit(X, y)\n"
        "(walrus := LogisticRegression(C=3.0)).fit(X, y)\n"
    )
    result = shell.run_cell(cell)
    assert result.success
    recorded = runs(tmp_path)["exp"].models
    assert set(recorded) == {"clf", "later", "walrus"}
    assert [recorded[name]["params"]["C"] for name in ("clf", "later", "walrus")] == [0.5, 2, 3]


async def sleep_then(value):
    await asyncio.sleep(0)
    return value


def test_top_level_await_runs_in_a_tracked_cell_as_in_any_cell(shell, tmp_path):
    shell.user_ns["sleep_then"] = sleep_then
    cell = (
        "%%mlops track exp\n"
        "C = await sleep_then(0.25)\n"
        "clf = LogisticRegression(C=C).fit(X, y)\n"
        "mlops.log_metric('score', clf.score(X, y))\n"
        "await sleep_then(clf.score(X, y))\n"
    )
    result = shell.run_cell(cell)
    assert result.success, result.error_in_exec
    assert result.result == shell.user_ns["clf"].score(shell.user_ns["X"], shell.user_ns["y"])
    recorded = runs(tmp_path)["exp"]
    assert recorded.status == "finished" and recorded.models["clf"]["params"]["C"] == 0.25
    assert recorded.metrics == {"score": result.result}


def test_top_level_await_runs_where_an_event_loop_is_already_running(shell, tmp_path):
    """A Jupyter kernel runs each cell inside its own event loop."""
    shell.user_ns["sleep_then"] = sleep_then
    cell = "%%mlops track exp\nx = await sleep_then(3)\nmlops.log_metric('x', x)\nx + 1\n"

    async def in_a_kernel():
        return shell.run_cell(cell)

    result = asyncio.run(in_a_kernel())
    assert result.success, result.error_in_exec
    assert result.result == 4
    assert runs(tmp_path)["exp"].metrics == {"x": 3.0}


def test_a_model_fitted_in_a_nested_run_is_that_runs_alone(shell, tmp_path):
    cell = (
        "%%mlops track outer\n"
        "with mlops.run('inner') as inner:\n"
        "    small = LogisticRegression(C=0.1).fit(X, y)\n"
        "    mlops.log_metric('small_score', small.score(X, y))\n"
        "big = LogisticRegression(C=10.0).fit(X, y)\n"
    )
    assert shell.run_cell(cell).success
    found = runs(tmp_path)  # both in the notebook's registry
    assert set(found["outer"].models) == {"big"}
    assert set(found["inner"].models) == {"small"} and found["inner"].status == "finished"
    assert set(found["inner"].metrics) == {"small_score"}
    assert set(found["inner"].inputs) == {"X", "y"}


def test_a_version_registered_in_a_tracked_cell_comes_from_its_run(shell, tmp_path):
    cell = (
        "%%mlops track exp\n"
        "clf = LogisticRegression().fit(X, y)\n"
        "%mlops register churn clf --data X y\n"
    )
    version = shell.run_cell(cell).result
    run = runs(tmp_path)["exp"]
    assert version.run_id == str(run.id)
    assert Tracker(Registry(tmp_path / "registry")).get(run.id).versions == [("churn", 1)]


def test_a_grid_search_records_its_best_params_and_best_score(shell, tmp_path):
    cell = (
        "%%mlops track search\n"
        "gs = GridSearchCV(LogisticRegression(), {'C': [0.01, 1.0]}, cv=3).fit(X, y)\n"
    )
    assert shell.run_cell(cell).success
    search = shell.user_ns["gs"]
    run = runs(tmp_path)["search"]
    assert run.params == {"gs.best_params.C": search.best_params_["C"]}
    assert run.metrics == {"gs.best_score": pytest.approx(search.best_score_)}
    best = Tracker(Registry(tmp_path / "registry")).runs(sort="gs.best_score")
    assert [r.id for r in best] == [run.id]


def test_a_run_records_the_cell_as_typed_and_shows_nan_and_infinite_metrics(shell, tmp_path):
    shell.user_ns["registry"] = Registry(tmp_path / "registry")
    cell = (
        'with mlops.run("typed", registry=registry):\n'
        '    mlops.log_metrics({"loss": float("nan"), "ratio": float("inf"), "auc": 0.5})\n'
        "    %time clf = LogisticRegression().fit(X, y)\n"
    )
    assert shell.run_cell(cell, store_history=True).success
    record = runs(tmp_path)["typed"]
    assert record.code.rstrip() == cell.rstrip()
    assert "auc=0.5, loss=nan, ratio=inf" in str(record)
    shell.run_cell("listed = %mlops runs typed")
    assert "auc=0.5, loss=nan, ratio=inf" in str(shell.user_ns["listed"])
    assert np.isnan(shell.user_ns["listed"].to_frame()["metrics"][0]["loss"])
