"""Finding runs by their models' params and metrics: `where`, `sort`, and their mistakes."""

from __future__ import annotations

import importlib

import pytest
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import jupyter_mlops as mlops
from jupyter_mlops import Tracker
from jupyter_mlops.errors import InvalidArgumentError

# every test of this file that uses `registry` runs on a file and on a shared registry
BACKENDS = ("file", "lake")


@pytest.fixture
def grid(registry, dataset):
    """Runs 1-3 fit `m = Ridge(alpha=...)` with 0.37, 0.81, 2.5; run 4 fits nothing."""
    X, y = dataset
    for alpha in (0.37, 0.81, 2.5):
        with mlops.run("ridge", registry=registry) as run:
            m = Ridge(alpha=alpha).fit(X, y)
            run.log_model("m", m)
            run.log_metric("r2", m.score(X, y))
    with mlops.run("ridge", registry=registry) as run:
        run.log_param("note", "baseline")
    return Tracker(registry)


def test_runs_are_found_and_ordered_by_a_models_param(grid):
    found = grid.runs("ridge", where="m.alpha < 1", sort="m.alpha", ascending=True)
    assert [run.id for run in found] == [1, 2]
    assert [run.id for run in grid.runs("ridge", sort="m.alpha")] == [3, 2, 1, 4]  # none last
    assert [run.id for run in grid.runs("ridge", sort="m.alpha", top=1)] == [3]
    table = str(found).splitlines()
    assert table[0].split() == [
        "run",
        "experiment",
        "status",
        "started",
        "metrics",
        "m.alpha",
        "tags",
    ]
    assert table[1].split()[0] == "1" and "0.37" in table[1].split()
    frame = grid.runs("ridge").to_frame()
    assert frame.set_index("run")["m.alpha"].to_dict()[2] == 0.81
    assert frame.set_index("run")["m.solver"].to_dict()[1] == "auto"  # every param, in the frame


def test_conditions_compare_numbers_texts_and_booleans_and_all_must_hold(grid):
    def ids(*where):
        return [run.id for run in grid.runs("ridge", where=list(where))]

    assert ids("m.solver == 'auto'") == [3, 2, 1]
    assert ids('m.solver != "auto"') == []
    assert ids("m.fit_intercept == true", "m.alpha >= 0.81") == [3, 2]
    assert ids("r2 > 0", "m.alpha<=0.81") == [2, 1]
    assert ids("note == 'baseline'") == [4]
    assert ids("m.alpha > 'a'") == []  # a number is never compared with a text
    assert ids("run == 4", "status == 'finished'") == [4]
    assert str(grid.runs("ridge", where="m.alpha > 100")) == "no runs where m.alpha > 100"


@pytest.mark.backends("file")  # what is refused, refused before the store
@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("m.alpha = 1", "compares nothing; write COLUMN OP VALUE"),
        ("m.alpha < abc", "'abc' is not a number, a quoted text or true/false"),
        ("m.alpha < 1 or True", "'1 or True' is not a number"),
        ("m.alpha < __import__('os')", "is not a number"),
        ("m.fit_intercept < true", "orders true and false"),
        ("m.alpah < 1", "no column 'm.alpah' (did you mean 'm.alpha'?); the runs have run, "),
    ],
)
def test_a_bad_condition_is_one_sentence(grid, where, expected):
    with pytest.raises(InvalidArgumentError, match=r"^--where ") as refused:
        grid.runs(where=where)
    assert expected in str(refused.value) and "\n" not in str(refused.value)


def test_sorting_by_a_column_no_run_has_names_those_they_have(grid):
    with pytest.raises(InvalidArgumentError) as refused:
        grid.runs("ridge", sort="nosuch")
    message = str(refused.value)
    assert message.startswith("--sort 'nosuch': no column 'nosuch'; the runs have run, ")
    assert "m.alpha" in message and "r2" in message and "note" in message


def test_a_pipelines_steps_params_are_columns(registry, dataset):
    X, y = dataset
    for c in (0.5, 2.0):
        with mlops.run("pipes", registry=registry) as run:
            pipe = make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=1000))
            run.log_model("pipe", pipe.fit(X, y))
    tracker = Tracker(registry)
    found = tracker.runs("pipes", where="pipe.logisticregression__C < 1")
    assert [run.id for run in found] == [1]
    assert "pipe.steps" not in tracker.runs("pipes").to_frame().columns  # estimators, not params


def test_a_metric_logged_again_at_its_step_is_its_last_value(registry, monkeypatch):
    clock = importlib.import_module("jupyter_mlops.tracking.run")  # not the function `run`
    monkeypatch.setattr(clock, "_clock", lambda: 1.7e9)  # a clock that stands still
    with mlops.run("again", registry=registry) as run:
        for value in (3.0, 2.0, 1.0):  # at one instant, in one write
            run.log_metric("z", value, step=0)
        run.flush()
        run.log_metric("z", 0.5, step=0)  # in a later write
    [found] = Tracker(registry).runs("again", where="z == 0.5")
    assert found.metrics["z"] == Tracker(registry).get(run.id).metrics["z"] == 0.5
    assert [point["value"] for point in Tracker(registry).history(run.id)] == [3, 2, 1, 0.5]


def test_params_that_were_not_numbers_sort_last_either_way(registry):
    for rate in (0.1, float("nan"), 10.0, float("inf")):
        with mlops.run("rates", registry=registry) as run:
            run.log_param("lr", rate)
    tracker = Tracker(registry)
    for ascending, numbers in ((False, [3, 1]), (True, [1, 3])):
        found = [r.id for r in tracker.runs("rates", sort="lr", ascending=ascending)]
        assert found[:2] == numbers and set(found[2:]) == {2, 4}  # nan and inf: as missing
