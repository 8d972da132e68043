"""Retraining as a job, run from the shell as a scheduler or an alert runs it: a condition
that does not hold, a notebook that registers nothing, a challenger no better than the
champion, and the labelled log a training notebook reads."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from jupyter_mlops import Registry, operations
from jupyter_mlops.cli import main
from jupyter_mlops.errors import InvalidArgumentError
from tests.automation.worlds import log_labelled, old_champion, world
from tests.conftest import ROOT, wait_for

NOTEBOOK = str(ROOT / "examples" / "retrain.ipynb")


@pytest.fixture(scope="module")
def calm_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The old world's champion and a labelled log of the same, unmoved world."""
    home = tmp_path_factory.mktemp("retrain") / "registry"
    log_labelled(old_champion(home), 900, seed=5, moved=False)
    return home


@pytest.fixture
def calm(calm_home: Path, tmp_path: Path) -> Registry:
    return Registry(shutil.copytree(calm_home, tmp_path / "registry"))


def retrain(registry: Registry, *words: str) -> int:
    return main(["--home", str(registry.home), "retrain", "churn", *words])


def test_a_condition_that_does_not_hold_retrains_nothing_and_says_the_numbers(calm, capsys):
    code = retrain(calm, "--notebook", NOTEBOOK, "--when", "drift.share > 0.5")
    (job,) = operations.jobs(calm, model="churn")
    assert code == 0 and (job.kind, job.status, job.exit_code) == ("retrain", "passed", 0)
    assert "is not > 0.5: no retraining" in job.message and job.message in capsys.readouterr().out
    assert job.output_sha256 is None  # the notebook never ran
    condition = job.detail["condition"]
    assert condition["expression"] == "drift.share > 0.5" and condition["holds"] is False
    assert job.detail["checks"] == [condition["check"]]  # the check is the job's
    assert [v.version for v in calm.versions("churn")] == [1]


@pytest.mark.slow
def test_a_challenger_equal_to_the_champion_up_to_noise_keeps_the_champion(calm, capsys):
    """Refitted on the same world, the new version is no better: the gate keeps the
    champion (exit 13), the new version stays the challenger, and both say why."""
    assert retrain(calm, "--notebook", NOTEBOOK, "--min-gain", "0.01") == 13
    (job,) = operations.jobs(calm, model="churn")
    assert (job.status, job.exit_code, job.detail["version"]) == ("kept", 13, 2)
    gate = job.detail["gate"]
    assert gate["decision"] == "keep" and gate["why"] in job.message
    assert gate["rows"] == 300 and gate["metric"] == "auc"  # the held-out third of 900 rows
    assert calm.get("churn@champion").version == 1 and calm.get("churn@challenger").version == 2
    (move,) = [e for e in calm.history("churn") if e.alias == "challenger"]
    assert move.reason.startswith(f"retrained by job {job.id}: no condition")
    assert move.evidence["job"] == job.id and move.evidence["data"]["training_rows"] == 600
    assert calm.get("churn:2").job_id == job.id
    assert f"job {job.id}" in str(operations.versions(calm, model="churn"))
    capsys.readouterr()


@pytest.mark.slow
def test_a_notebook_that_registers_nothing_fails_the_job_saying_so(calm, write_notebook):
    empty = write_notebook("train.ipynb", "model = 'x'\nwindow = '1d'")
    assert retrain(calm, "--notebook", str(empty)) == 10
    (job,) = operations.jobs(calm, model="churn")
    assert job.status == "failed" and "registered no version of churn" in job.message
    assert "challenger" not in calm.get("churn:1").aliases


def test_the_logged_rows_carry_their_labels(calm):
    every = operations.logged(calm, ref="churn")
    labelled = operations.logged(calm, ref="churn@champion", window="1d", labelled=True)
    assert len(every) == len(labelled) == 900
    assert {"x0", "__request_id__", "__prediction__", "__label__"} <= set(labelled.columns)
    assert set(labelled["__label__"].astype(int)) == {0, 1}
    assert len(operations.logged(calm, ref="churn", window="100 rows")) == 100


def test_a_retraining_an_alert_started_leaves_no_zombie_behind(tmp_path):
    """The process an alert's `retrain:` action starts is reaped when it ends (here at once:
    its registry has no such model), not kept as a zombie until the kernel exits."""
    from jupyter_mlops.monitoring import actions

    said = actions.start(
        actions.checked(f"retrain:{NOTEBOOK}"),
        registry=Registry(tmp_path / "registry"),
        model="churn",
        reason="a test",
    )
    pid = int(said.split("as process ")[1].split()[0])
    wait_for(lambda: not Path(f"/proc/{pid}").exists(), "the ended retraining to be reaped")
    assert "no model named 'churn'" in (tmp_path / "registry" / actions.OUTPUT).read_text()


def test_a_gate_the_retraining_could_not_run_is_refused_before_its_notebook_runs(
    calm, tmp_path, capsys
):
    """Each refused at once, in the shell's spelling, with nothing recorded or moved (the
    notebook would train for nothing, register a version and move the challenger)."""
    X, y = world(300, seed=9)
    strings = tmp_path / "h_str.parquet"
    X.assign(churned=y.astype(str)).to_parquet(strings)  # '0'/'1' for the classes 0/1
    refusals = {
        ("--metric", "rmse"): "metric 'rmse' does not fit churn, whose champion is a "
        "classifier; choose one of accuracy, auc, f1, log_loss, e.g. --metric accuracy.",
        ("--live", "7d", "--holdout", str(strings), "--target", "churned"): "a live gate "
        "(--live 7d) compares the requests a shadow deployment scored, and held-out rows "
        "(--holdout FILE --target COLUMN) were given too",
        ("--live", "0d"): "a window of '0d' is empty",
        ("--min-gain", "-1"): "minimum gain -1.0 is not a number of 0 or more; give one in "
        "the metric's units, e.g. --min-gain 0.01.",
        ("--reason", "a\x01"): "reason 'a\\x01' contains a control character",
        ("--holdout", str(strings), "--target", "churned"): f"the --target column 'churned' "
        f"of {strings} holds values that are not classes of churn's champion (version 1): "
        "'0', '1' (its classes: 0, 1)",
        ("--target", "churned"): "--target 'churned' names the column of true values of "
        "--holdout, but no --holdout was given",
    }
    for words, said in refusals.items():
        assert retrain(calm, "--notebook", NOTEBOOK, *words) == 2, words
        err = capsys.readouterr().err
        assert said in err and len(err.strip().splitlines()) == 1, (words, err)
    with pytest.raises(InvalidArgumentError, match=r"e\.g\. metric='accuracy'\.$"):
        operations.retrain(calm, model="churn", notebook=NOTEBOOK, metric="r2")
    assert operations.jobs(calm) == [] and [v.version for v in calm.versions("churn")] == [1]
    assert calm.get("churn:1").aliases == ["champion"]


def test_an_alert_retrains_with_a_notebook_whose_path_has_spaces_and_quotes(calm, tmp_path):
    """The `retrain:` target is one target, path and all, from `alert add` to the command
    the firing check starts (here refused at once: the notebook is gone by then)."""
    notebook = tmp_path / "rt new 'q'.ipynb"
    shutil.copy(NOTEBOOK, notebook)
    home = str(calm.home)
    target = f"retrain:{notebook}"
    added = ["alert", "add", "churn@champion", "drift.share >= 0", "--notify", target]
    assert main(["--home", home, *added]) == 0
    assert [rule.notify for rule in operations.alerts(calm, model="churn")] == [[target]]
    notebook.unlink()
    assert main(["--home", home, "check", "churn@champion"]) == 3
    (fired,) = operations.alert_log(calm, model="churn")
    assert fired.targets == (target,) and fired.delivered and fired.error is None
    assert "--notebook '/" in fired.note and "rt new '\"'\"'q'\"'\"'.ipynb'" in fired.note
    pid = int(fired.note.split("as process ")[1].split()[0])
    wait_for(lambda: not Path(f"/proc/{pid}").exists(), "the retraining to end")
    said = (calm.home / "jobs" / "retraining.log").read_text()
    assert f"notebook {str(notebook)!r} does not exist" in said


SLOW_TRAINING = "import time\nopen(started, 'w').close()\ntime.sleep(600)"


@pytest.mark.slow
def test_a_second_retraining_names_the_first_and_sigterm_stops_it_as_monitor_is_stopped(
    calm, write_notebook, tmp_path
):
    started = tmp_path / "started"
    slow = write_notebook("train.ipynb", f"model = window = ''\nstarted = {str(started)!r}",
                          SLOW_TRAINING)  # fmt: skip
    other = write_notebook("other.ipynb", "model = window = ''")
    words = [sys.executable, "-m", "jupyter_mlops.cli", "--home", str(calm.home), "retrain"]
    runner = subprocess.Popen(
        [*words, "churn", "--notebook", str(slow)], stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        wait_for(started.exists, "the training notebook to start", seconds=60)
        (first,) = operations.jobs(calm)
        second = operations.retrain(calm, model="churn", notebook=other)
        runner.send_signal(signal.SIGTERM)
        assert runner.wait(timeout=60) == 143
        said = runner.stderr.read().strip()
    finally:
        runner.kill()
        runner.wait()
    assert (second.status, second.exit_code) == ("skipped", 12)
    assert second.message == (
        f"skipped: another retraining of churn is still running (job {first.id}, started "
        f"{first.started_at:%Y-%m-%d %H:%M:%S} UTC, pid {runner.pid} on {socket.gethostname()})"
    )
    stopped = operations.jobs(calm)[1]
    assert (stopped.id, stopped.status, stopped.exit_code) == (first.id, "stopped", 143)
    assert stopped.message.startswith("stopped by SIGTERM: the runner killed the notebook")
    assert said == f"jupyter-mlops: {stopped.title()}; {stopped.message}"
    assert list((calm.home / "jobs" / "work").iterdir()) == []  # its folder went with it


TWICE = """\
import numpy as np, pandas as pd
from sklearn.linear_model import LogisticRegression
from jupyter_mlops import Registry
rng = np.random.default_rng(7)
X = pd.DataFrame({f"x{i}": rng.normal(size=600) for i in range(3)})
y = pd.Series((X.x0 - X.x1 + rng.normal(size=600) > 0).astype(int), name="churned")
for C in (1.0, 0.01):
    model_ = LogisticRegression(C=C).fit(X[:400], y[:400])
    Registry().register(model, model_, X=X[:400], y=y[:400], reference=(X[400:], y[400:]))"""


@pytest.mark.slow
def test_a_notebook_registering_two_versions_gates_the_last_and_a_repeat_says_so(
    calm, write_notebook
):
    twice = write_notebook("twice.ipynb", "model = window = ''", TWICE)
    job = operations.retrain(calm, model="churn", notebook=twice)
    assert job.detail["versions"] == [2, 3] and job.detail["gate"]["challenger"] == 3
    assert "registered churn versions 2 and 3; gated the last, 3" in job.message
    again = operations.retrain(calm, model="churn", notebook=twice)
    assert (again.status, again.exit_code, again.detail["repeated"]) == ("failed", 10, [2, 3])
    assert again.message == (
        "the notebook registered nothing new: what it trained is identical to churn versions "
        "2 and 3 (same params, data, metrics and model), so no version was stored and there "
        "is nothing to gate; retrain on new data or change what it trains"
    )
    assert [v.version for v in calm.versions("churn")] == [1, 2, 3]
