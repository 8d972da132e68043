"""A rule a check cannot evaluate is unknown, not firing: what it says, and what it does to
alerts and `--strict` once it is known again; the rules `alert add` refuses as unreadable."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from IPython.core.error import UsageError as IPythonUsageError
from IPython.core.interactiveshell import InteractiveShell
from sklearn.linear_model import LogisticRegression

from jupyter_mlops import Monitor, Registry
from tests.monitoring.test_alerts import Receiver

CLI = str(Path(sys.executable).parent / "jupyter-mlops")
RULE = "drift.share > 0.3 or auc < 0.85"


def _rows(count: int, *, seed: int, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(count, 3)), columns=["age", "income", "calls"])
    return X.assign(calls=X.calls + shift)


def _truth(X: pd.DataFrame) -> pd.Series:
    return (X.age + X.income > 0).astype(int)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """c12 has two binary classifiers of age, income and calls; version 1 is champion."""
    registry = Registry(tmp_path / "registry")
    X = _rows(3_000, seed=1)
    registry.register("c12", LogisticRegression().fit(X, _truth(X)), X=X, y=_truth(X))
    registry.register("c12", LogisticRegression(C=0.5).fit(X, _truth(X)), X=X, y=_truth(X))
    registry.promote("c12", 1)
    return registry.home


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


def test_a_promoted_champion_without_labels_leaves_the_rule_unknown_and_strict_passes(
    ipython: InteractiveShell,
    home: Path,
) -> None:
    shell = ipython
    shell.run_cell(f"%mlops connect {home}")
    shell.user_ns.update(Xs=_rows(2_000, seed=2, shift=3.0), Xc=_rows(2_000, seed=3))

    def run(line: str) -> object:
        outcome = shell.run_cell(line)
        if outcome.error_in_exec is not None:
            raise outcome.error_in_exec
        return shell.user_ns.get("out")

    run(f'%mlops alert add c12@champion "{RULE}"')
    fired = run("out = %mlops check c12@champion --current Xs")
    assert "1 alert fired, 0 recovered, 1 rule firing" in repr(fired)

    run("%mlops promote c12 2")
    healthy = run("out = %mlops check c12@champion --current Xc --strict --fail")
    shown = repr(healthy)
    assert "0 alerts fired, 0 recovered, 0 rules firing" in shown
    assert "still firing" not in shown
    assert (
        f"rule 1 ({RULE}) is unknown, so it neither fires nor recovers "
        "(auc: no labels came with the rows this check read)." in shown
    )
    assert [r.state for r in run("out = %mlops alert list c12")] == ["unknown"]
    assert [e.kind for e in run("out = %mlops alert log c12")] == ["fired"]

    # drift again on the new champion: known again, after firing it is still firing (no
    # new alert), and --strict fails on it
    with pytest.raises(IPythonUsageError, match="alert rules fire for c12@champion"):
        run("out = %mlops check c12@champion --current Xs --strict --fail")
    assert [e.kind for e in run("out = %mlops alert log c12")] == ["fired"]
    assert [r.state for r in run("out = %mlops alert list c12")] == ["firing"]


def test_a_known_outcome_is_compared_with_the_last_known_state(
    home: Path, receiver: Receiver
) -> None:
    monitor = Monitor(Registry(home))
    monitor.add_alert("c12@champion", "auc < 0.85", notify=[receiver.url])
    X = _rows(2_000, seed=4)
    good, bad = _truth(X), 1 - _truth(X)  # labels the model gets right, and all wrong

    def check(y: pd.Series | None) -> tuple[str, str, bool]:
        result = monitor.check("c12@champion", X, y=y, multivariate=False)
        (evaluation,) = result.evaluations
        event = evaluation.alert.kind if evaluation.alert else ""
        return evaluation.state, event, result.fails(strict=True)

    steps = [
        (good, ("ok", "", False)),
        (None, ("unknown", "", False)),  # unknown from ok, then holding: it fires
        (bad, ("firing", "fired", True)),
        (None, ("unknown", "", False)),  # entering unknown sends nothing, strict passes
        (bad, ("firing", "", True)),  # still firing: no second alert
        (None, ("unknown", "", False)),
        (good, ("ok", "recovered", False)),
        (None, ("unknown", "", False)),
        (good, ("ok", "", False)),  # unknown from ok, not holding: nothing to say
    ]
    assert [check(y) for y, _ in steps] == [expected for _, expected in steps]
    assert [m["event"] for m in receiver.received] == ["fired", "recovered"]
    assert [e.kind for e in monitor.alert_log("c12")] == ["recovered", "fired"]


def test_the_note_of_an_unknown_rule_says_why_for_what_each_name_is(tmp_path: Path) -> None:
    registry = Registry(tmp_path / "registry")
    X = _rows(2_000, seed=5)
    classes = pd.Series(np.arange(len(X)) % 3, index=X.index)
    registry.register("seg", LogisticRegression().fit(X, classes), X=X, y=classes)
    narrow = X[["age", "income"]]
    registry.register("seg", LogisticRegression().fit(narrow, _truth(X)), X=narrow, y=_truth(X))
    registry.promote("seg", 1)
    monitor = Monitor(registry)
    monitor.add_alert("seg@champion", "f1_macro < 0.5")
    monitor.add_alert("seg@champion", "psi.calls > 0.2")
    monitor.add_alert("seg@champion", "f1 < 0.5")
    registry.promote("seg", 2)

    current = _rows(500, seed=6)[["age", "income"]]
    result = monitor.check("seg@champion", current, y=np.zeros(500, dtype=int))
    assert [e.state for e in result.evaluations] == ["unknown"] * 3
    notes = "\n".join(result.notes)
    assert (
        "rule 1 (f1_macro < 0.5) is unknown, so it neither fires nor recovers (f1_macro: a "
        "metric of a classifier of more than two classes, which seg:2 is not (it is a binary "
        "classifier)); remove it (alert remove 1) and add one on this version's names." in notes
    )
    assert (
        "(psi.calls: a statistic of the feature calls, which seg:2 does not have); "
        "remove it (alert remove 2)" in notes
    )
    assert (
        "rule 3 (f1 < 0.5) is unknown, so it neither fires nor recovers "
        "(f1: undefined: no label is the positive class 1)." in notes
    )
    assert "no such feature" not in notes


@pytest.fixture
def cli(home: Path):
    env = dict(os.environ, MLOPS_HOME=str(home))

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([CLI, *args], capture_output=True, text=True, env=env, timeout=300)

    return run


def test_alert_add_refuses_infinite_numbers_and_a_flag_read_as_a_statistic(cli) -> None:
    refused = [
        ("rows > 1e999", "holds the number 1e999, which is past the largest a check can read"),
        ("auc < 0.8 or rows < -1" + "0" * 400, "would be -infinity; write a finite one"),
        ("drift.prediction > 0.1", "compares drift.prediction, a flag (1: the predictions"),
        ("0.5 < drift.prediction", "as if it were a statistic"),
        ("drift.prediction == 2", "read it alone ('drift.prediction', 'not drift.prediction')"),
        ("drift.prediction != 0", "or as '== 1' or '== 0'"),
    ]
    for rule, reason in refused:
        added = cli("alert", "add", "c12@champion", rule)
        message = added.stderr.strip()
        assert added.returncode == 2 and reason in message and "\n" not in message, rule
    accepted = [
        "drift.prediction",
        "not drift.prediction",
        "drift.prediction == 1",
        "0 == drift.prediction",
    ]
    for rule in accepted:
        assert cli("alert", "add", "c12@champion", rule).returncode == 0, rule
    listed = cli("alert", "list", "c12").stdout
    assert "drift.prediction == 1" in listed and "1e999" not in listed


@pytest.mark.parametrize(
    ("rule", "outage"), [("missing.age > 0.1", np.nan), ("infinite.age > 0.1", np.inf)]
)
def test_a_rule_on_a_share_the_reference_never_has_recovers_and_fires_again(
    home: Path, receiver: Receiver, rule: str, outage: float
) -> None:
    monitor = Monitor(Registry(home))
    monitor.add_alert("c12@champion", rule, notify=[receiver.url])
    calm = _rows(1_000, seed=7)
    bad = calm.assign(age=calm.age.where(calm.index >= 600, outage))

    def check(rows: pd.DataFrame) -> tuple[str, str, float | None]:
        result = monitor.check("c12@champion", rows, multivariate=False)
        (evaluation,) = result.evaluations
        assert "gave no value" not in "\n".join(result.notes)
        event = evaluation.alert.kind if evaluation.alert else ""
        return evaluation.state, event, evaluation.values[rule.split()[0]]

    assert [check(rows) for rows in (bad, calm, calm, bad)] == [
        ("firing", "fired", pytest.approx(0.6)),
        ("ok", "recovered", 0.0),
        ("ok", "", 0.0),
        ("firing", "fired", pytest.approx(0.6)),
    ]
    assert [m["event"] for m in receiver.received] == ["fired", "recovered", "fired"]


def test_an_unknown_statistic_of_a_feature_says_what_its_rows_lacked(home: Path) -> None:
    monitor = Monitor(Registry(home))
    monitor.add_alert("c12@champion", "psi.age > 0.2")
    rows = _rows(500, seed=8).assign(age=np.nan)
    result = monitor.check("c12@champion", rows, multivariate=False)
    assert [e.state for e in result.evaluations] == ["unknown"]
    notes = "\n".join(result.notes)
    assert "(psi.age: no values in the current data (all missing))." in notes
    assert "gave no value" not in notes
