"""Values no operation can use are refused in one sentence spelled for the caller, from
Python as from the command line: never a traceback from deep inside."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sklearn.linear_model import LogisticRegression

from jupyter_mlops import operations
from jupyter_mlops.errors import InvalidArgumentError, MlopsError, UnsafeModelError
from jupyter_mlops.monitoring import synthetic
from jupyter_mlops.registry import Registry
from jupyter_mlops.tracking import Tracker

CLI = str(Path(sys.executable).parent / "jupyter-mlops")


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Registry:
    found = Registry(tmp_path_factory.mktemp("refusals") / "registry")
    X = synthetic.features(600, seed=5)[synthetic.NUMERIC]
    y = synthetic.target(synthetic.features(600, seed=5))
    found.register("m", LogisticRegression(max_iter=5000).fit(X, y), X=X, y=y)
    found.promote("m", 1)
    with Tracker(found).run("e") as run:
        run.log_metric("loss", 1.0)
    return found


def shell(registry: Registry, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, MLOPS_HOME=str(registry.home), OMP_NUM_THREADS="1")
    return subprocess.run([CLI, *args], capture_output=True, text=True, env=env, timeout=120)


HUGE = "99999999999999999999"


@pytest.mark.parametrize(
    "words",
    [
        ["drift", "m@champion", "--window", f"{HUGE}d"],
        ["drift", "m@champion", "--every", "1000000d"],
        ["performance", "m@champion", "--window", f"{HUGE}h"],
        ["check", "m@champion", "--window", "1000000d"],
        ["drift", "m@champion", "--window", HUGE + "0000"],
        ["runs", "--top", HUGE],
    ],
    ids=["huge-window", "every-millennia", "huge-hours", "check-millennia", "rows", "top"],
)
def test_an_absurd_span_or_count_is_one_line_from_a_shell(
    registry: Registry, words: list[str]
) -> None:
    done = shell(registry, *words)
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr


def test_python_refusals_name_the_keyword(registry: Registry) -> None:
    cases = [
        (lambda: operations.runs(registry, top=0), "top=10"),
        (lambda: operations.runs(registry, top=10**30), "top=10"),
        (lambda: operations.gc(registry, older_than=float("nan")), "older_than=3600"),
        (lambda: operations.alert_log(registry, model="m", limit=-1), "limit=50"),
        (lambda: operations.alert_log(registry, model="m", limit=10**30), "limit=50"),
        (lambda: operations.remove_alert(registry, rule="x"), "Monitor().alerts()"),
        (lambda: operations.undeploy(registry, target="m@nothing"), "operations.deployments"),
        (lambda: operations.drift(registry, ref="m:1", every="1d", last=0), "last=3"),
        (lambda: operations.performance(registry, ref="m:1", last=0), "last=3"),
    ]
    for call, fix in cases:
        with pytest.raises(MlopsError) as refused:
            call()
        message = str(refused.value)
        assert fix in message and "--" not in message and "%mlops" not in message, message


def test_trust_that_is_no_name_is_refused(registry: Registry) -> None:
    X = synthetic.features(100, seed=6)[synthetic.NUMERIC]
    model = LogisticRegression(max_iter=5000).fit(
        X, synthetic.target(synthetic.features(100, seed=6))
    )
    with pytest.raises(InvalidArgumentError, match="not a name or a list of names"):
        registry.register("t", model, X=X, trust=5)  # type: ignore[arg-type]
    assert "t" not in registry.model_names()


def test_an_empty_alias_is_a_usage_error_not_a_missing_one(registry: Registry) -> None:
    done = shell(registry, "history", "m", "--alias", "")
    assert done.returncode == 2, done.stderr


def test_performance_without_true_values_names_what_each_face_has(
    registry: Registry, tmp_path: Path
) -> None:
    rows = synthetic.features(50, seed=7)[synthetic.NUMERIC]
    rows.to_csv(tmp_path / "rows.csv", index=False)
    done = shell(registry, "performance", "m:1", "--current", str(tmp_path / "rows.csv"))
    assert done.returncode == 2 and "--label-column NAME" in done.stderr
    assert "--y" not in done.stderr and "y=" not in done.stderr
    with pytest.raises(InvalidArgumentError) as refused:
        operations.performance(registry, ref="m:1", current=rows)
    assert "label_column='NAME'" in str(refused.value) and "y=y_true" in str(refused.value)


def test_a_pickle_given_to_register_is_refused_as_unsafe(
    registry: Registry, tmp_path: Path
) -> None:
    import pickle

    (tmp_path / "model.pkl").write_bytes(pickle.dumps({"not": "trusted"}))
    done = shell(registry, "register", "p", str(tmp_path / "model.pkl"))
    assert done.returncode == UnsafeModelError("").outcome.exit_code == 8, done.stderr
