"""Runs from Python: params, buffered step metrics, failures, comparisons, registering."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

import jupyter_mlops as mlops
from jupyter_mlops import Registry, Tracker
from jupyter_mlops.errors import InvalidArgumentError, UnsafeModelError
from jupyter_mlops.tracking import RunNotFoundError, UnfinishedRunError

# every test of this file that uses `registry` runs on a file and on a shared registry
BACKENDS = ("file", "lake")


def test_a_run_records_params_metrics_and_its_end(registry):
    with mlops.run("exp", registry=registry, tags={"fold": 3}) as run:
        mlops.log_params({"lr": 0.1, "depth": 4})
        for step in range(5):
            run.log_metric("loss", 1 / (step + 1))
        mlops.log_metric("val_auc", 0.91)
    record = Tracker(registry).get(run.id)
    assert record.status == "finished" and record.error is None
    assert record.params == {"lr": 0.1, "depth": 4}
    assert record.tags == {"fold": "3"}
    assert record.metrics == {"loss": pytest.approx(0.2), "val_auc": 0.91}
    assert record.duration is not None and record.duration >= 0
    assert 'mlops.run("exp", registry=registry, tags={"fold": 3})' in record.code
    points = Tracker(registry).history(run.id)
    assert [(p["step"], p["value"]) for p in points if p["key"] == "loss"] == [
        (step, pytest.approx(1 / (step + 1))) for step in range(5)
    ]


def test_a_failing_block_is_recorded_and_the_exception_is_unchanged(registry):
    with pytest.raises(KeyError, match="missing") as raised, mlops.run("exp", registry=registry):
        mlops.log_metric("loss", 0.5)
        raise KeyError("missing")
    run = Tracker(registry).runs("exp")[0]
    assert run.status == "failed"
    assert "KeyError" in run.error and "missing" in run.error
    assert run.metrics == {"loss": 0.5}
    assert isinstance(raised.value, KeyError)


def test_100k_points_from_a_loop_are_all_there(registry):
    with mlops.run("loop", registry=registry) as run:
        for step in range(100_000):
            run.log_metric("loss", math.exp(-step / 10_000))
    points = Tracker(registry).history(run.id)
    assert len(points) == 100_000
    assert [p["step"] for p in points] == list(range(100_000))


def test_bad_metric_values_and_steps_are_one_line_errors(registry):
    with mlops.run("exp", registry=registry) as run:
        with pytest.raises(InvalidArgumentError, match="not a number"):
            run.log_metric("auc", "high")
        with pytest.raises(InvalidArgumentError, match="not a number"):
            run.log_metric("auc", None)
        run.log_metric("loss", 1.0, step=10)
        with pytest.raises(InvalidArgumentError, match="went back from step 10 to 3"):
            run.log_metric("loss", 0.5, step=3)
        run.log_metric("loss", 0.4, step=10)
        run.log_metric("loss", 0.3, step=np.int64(11))
        with pytest.raises(InvalidArgumentError, match="a step is a whole number"):
            run.log_metric("loss", 0.2, step=12.5)
    with pytest.raises(InvalidArgumentError, match="no run is active"):
        mlops.log_metric("loss", 1.0)
    with pytest.raises(RunNotFoundError, match=r"no run 99 \(runs: 1\.\.1\)"):
        Tracker(registry).get(99)
    with pytest.raises(InvalidArgumentError, match="not a number"):
        Tracker(registry).get("abc")


def test_runs_sort_best_first_and_compare_marks_differences(registry):
    for depth, auc in [(2, 0.81), (4, 0.93), (8, 0.88)]:
        with mlops.run("grid", registry=registry) as run:
            run.log_param("depth", depth)
            run.log_metric("val_auc", auc)
    tracker = Tracker(registry)
    best = tracker.runs("grid", sort="val_auc", top=2)
    assert [r.params["depth"] for r in best] == [4, 8]
    assert [r.params["depth"] for r in tracker.runs("grid", sort="val_auc", ascending=True)] == [
        2,
        8,
        4,
    ]
    comparison = tracker.compare([1, 2, 3])
    assert ("param", "depth", 2, 4, 8) in comparison.rows
    assert "jp-mlops-diff" in comparison._repr_html_()


def test_a_model_logged_in_a_run_registers_with_its_run(registry, fitted, dataset):
    X, y = dataset
    with mlops.run("exp", registry=registry) as run:
        run.log_param("C", 1.0)
        run.log_model("clf", fitted)
        run.log_input("X", X)
        run.log_metric("val_auc", 0.97)
    tracker = Tracker(registry)
    version = tracker.register(run.id, "churn", X=X, y=y)
    assert version.run_id == str(run.id)
    assert version.metrics == {"val_auc": 0.97}
    assert version.params["C"] == 1.0
    assert version.code and "log_model" in version.code
    assert tracker.get(run.id).versions == [("churn", 1)]
    assert (registry.load("churn").predict(X) == fitted.predict(X)).all()
    assert tracker.get(run.id).inputs["X"]["rows"] == len(X)


def test_artifacts_are_stored_with_the_run(registry, dataset):
    X, _ = dataset
    with mlops.run("exp", registry=registry) as run:
        mlops.log_artifact("notes.txt", "first try")
        digest = run.log_artifact("head.csv", X.head())
    stored = {a["name"]: a for a in Tracker(registry).get(run.id).artifacts}
    assert stored["notes.txt"]["kind"] == "text"
    assert registry.artifacts.get(digest, label="head.csv").startswith(b"mean radius")
    with (
        mlops.run("exp", registry=registry),
        pytest.raises(InvalidArgumentError, match="cannot store"),
    ):
        mlops.log_artifact("x", object())


TWO_WRITERS = """
import importlib, sys
import jupyter_mlops as mlops
from jupyter_mlops import Registry
run_module = importlib.import_module("jupyter_mlops.tracking.run")  # not the function `run`
run_module.FLUSH_POINTS = 500
registry = Registry(sys.argv[1])
with mlops.run("shared", registry=registry) as run:
    for step in range(20_000):
        run.log_metric("loss", step)
print(run.id)
"""


@pytest.mark.slow
def test_two_processes_logging_at_once_lose_nothing(tmp_path):
    home = str(tmp_path / "registry")
    Registry(home)
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", TWO_WRITERS, home],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [writer.communicate(timeout=300) for writer in writers]
    assert all(writer.returncode == 0 for writer in writers), [err for _, err in outputs]
    tracker = Tracker(Registry(home))
    for out, _ in outputs:
        points = tracker.history(int(out.strip()))
        assert [p["value"] for p in points] == list(range(20_000))


def test_verify_checks_run_artifacts_and_counts_them_as_referenced(registry, fitted):
    with mlops.run("exp", registry=registry) as run:
        run.log_model("clf", fitted)
        digest = run.log_artifact("notes.txt", "kept")
    report = registry.verify()
    assert report.ok and report.run_artifacts == 2 and report.unreferenced == []
    registry.artifacts.path(digest).write_bytes(b"changed")
    report = registry.verify()
    assert not report.ok and f"run {run.id} artifact notes.txt" in report.problems[0]


KILLED = """
import os, signal, sys
import jupyter_mlops as mlops
from jupyter_mlops import Registry
run = mlops.Tracker(Registry(sys.argv[1])).start("exp")
run.log_metric("loss", 1.0)
run.flush()
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_run_whose_process_died_shows_as_dead(tmp_path):
    home = str(tmp_path / "registry")
    subprocess.run([sys.executable, "-c", KILLED, home], check=False, timeout=120)
    tracker = Tracker(Registry(home))
    run = tracker.get(1)
    assert run.status == "dead" and run.metrics == {"loss": 1.0}
    with mlops.run("exp", registry=tracker.registry) as alive:
        assert tracker.get(alive.id).status == "running"
    assert [r.status for r in tracker.runs("exp")] == ["finished", "dead"]


KILLED_AFTER_FITTING = """
import os, signal, sys
from sklearn.dummy import DummyClassifier
from jupyter_mlops import Registry, Tracker
run = Tracker(Registry(sys.argv[1])).start("exp")
run.log_model("clf", DummyClassifier().fit([[0], [1]], [0, 1]))
run.flush()
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_run_that_did_not_finish_registers_only_when_asked(registry, fitted, tmp_path):
    tracker = Tracker(registry)
    with pytest.raises(ValueError, match="diverged"), mlops.run("exp", registry=registry) as run:
        run.log_model("clf", fitted)
        raise ValueError("diverged at step 40")
    with pytest.raises(
        UnfinishedRunError,
        match=r"^run 1 did not finish \(it failed with ValueError: diverged at step 40\), so its "
        r"model may be half-trained; .* with allow_failed=True\.$",
    ):
        tracker.register(run.id, "churn")
    assert registry.models() == []
    with mlops.run("exp", registry=registry) as going:
        going.log_model("clf", fitted)
        with pytest.raises(UnfinishedRunError, match="run 2 is still running"):
            tracker.register(going.id, "churn")
    assert registry.models() == []
    version = tracker.register(run.id, "churn", allow_failed=True)
    assert version.version == 1 and version.run_id == "1"
    subprocess.run(
        [sys.executable, "-c", KILLED_AFTER_FITTING, registry.location], check=False, timeout=120
    )
    with pytest.raises(UnfinishedRunError, match="its process ended before the run did"):
        tracker.register(3, "churn")


BAD_POINTS = [
    ({"key": "loss", "value": 0.5, "step": 2**63}, "beyond what a step holds"),
    ({"key": "loss", "value": 0.5, "step": 10**30}, "beyond what a step holds"),
    ({"key": "loss", "value": 0.5, "step": -(2**63) - 1}, "beyond what a step holds"),
    ({"key": "loss", "value": 0.5, "step": np.uint64(2**63)}, "beyond what a step holds"),
    ({"key": None, "value": 3}, "metric key None is None, not text"),
    ({"key": 7, "value": 3}, "metric key 7 is an int, not text"),
    ({"key": "a\nb", "value": 3}, "control character"),
    ({"key": "x" * 100_000, "value": 3}, "100,000 characters"),
    ({"key": "", "value": 3}, "is empty"),
]


@pytest.mark.backends("file")  # what is refused, refused before the store
@pytest.mark.parametrize(("point", "problem"), BAD_POINTS)
def test_a_bad_point_is_refused_alone_and_the_run_keeps_its_good_points(registry, point, problem):
    with mlops.run("exp", registry=registry) as run:
        run.log_metric("loss", 1.0, step=0)
        with pytest.raises(InvalidArgumentError, match=problem) as refused:
            run.log_metric(**point)
        assert "\n" not in str(refused.value) and len(str(refused.value)) < 300
        run.log_metric("loss", 0.5, step=1)
        run.flush()  # a later write is not spoiled by the refused point
        run.log_metric("loss", 0.25)
    record = Tracker(registry).get(run.id)
    assert record.status == "finished" and record.metrics == {"loss": 0.25}
    points = Tracker(registry).history(run.id)
    assert [(p["step"], p["value"]) for p in points] == [(0, 1.0), (1, 0.5), (2, 0.25)]


def test_a_bad_point_left_unhandled_fails_the_run_but_keeps_what_it_logged(registry):
    with (
        pytest.raises(InvalidArgumentError, match="beyond what a step holds"),
        mlops.run("exp", registry=registry) as run,
    ):
        run.log_metric("loss", 1.0)
        run.log_metric("loss", 0.5, step=2**63)
    record = Tracker(registry).get(run.id)
    assert record.status == "failed" and "beyond what a step holds" in record.error
    assert record.metrics == {"loss": 1.0}


def test_the_largest_step_is_stored_and_the_next_one_refused(registry):
    with mlops.run("exp", registry=registry) as run:
        run.log_metric("loss", 1.0, step=2**63 - 1)
        with pytest.raises(InvalidArgumentError, match="beyond what a step holds"):
            run.log_metric("loss", 0.5)
    assert Tracker(registry).history(run.id)[0]["step"] == 2**63 - 1


@pytest.mark.backends("file")  # what is refused, refused before the store
@pytest.mark.parametrize("tags", [{"": 1}, {"a\nb": 1}, {None: 1}])
def test_odd_run_tag_keys_are_refused(registry, tags):
    with pytest.raises(InvalidArgumentError, match="tag key"):
        Tracker(registry).start("exp", tags=tags)
    assert Tracker(registry).runs() == []
    with (
        mlops.run("exp", registry=registry) as run,
        pytest.raises(InvalidArgumentError, match="tag key"),
    ):
        run.set_tag(next(iter(tags)), "x")
    assert Tracker(registry).get(run.id).tags == {}


@pytest.mark.backends("file")  # what is refused, refused before the store
@pytest.mark.parametrize("top", [-1, 0, True, 2.5])
def test_top_is_a_number_of_runs(registry, top):
    with mlops.run("exp", registry=registry):
        pass
    with pytest.raises(InvalidArgumentError, match="is not a number of runs; give 1 or more"):
        Tracker(registry).runs(top=top)
    assert len(Tracker(registry).runs(top=1)) == 1


def test_a_model_the_run_could_not_store_is_named_with_the_reason(registry, dataset):
    from tests.registry.custom_model import ThresholdModel

    X, y = dataset
    custom = "tests.registry.custom_model.ThresholdModel"
    with mlops.run("exp", registry=registry) as run:
        with pytest.raises(UnsafeModelError, match=f"uses {custom}, which is not trusted"):
            run.log_model("clf2", ThresholdModel(14.0))
        run.log_model("clf", LogisticRegression(max_iter=5000).fit(X, y))
    tracker = Tracker(registry)
    assert "not_stored" in tracker.get(run.id).models["clf2"]
    with pytest.raises(InvalidArgumentError) as refused:
        tracker.register(run.id, "m", model="clf2")
    message = str(refused.value)
    assert f"run {run.id} fitted 'clf2' but did not store it: the model uses {custom}" in message
    assert "run.log_model('clf2', model, trust=[...])" in message and "\n" not in message
    assert "`registry.register(NAME, clf2, trust=[...])`" in message
    assert "%mlops" not in message and "jupyter-mlops" not in message
    assert registry.models() == []
    with mlops.run("exp", registry=registry) as again:
        again.log_model("clf2", ThresholdModel(14.0), trust=custom)  # one name, as a str
    version = tracker.register(again.id, "m", trust=custom)
    assert version.trusted_types == [custom]
    assert (registry.load("m", trust=custom).predict(X) == ThresholdModel(14.0).predict(X)).all()
