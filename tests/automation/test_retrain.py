"""Retraining as a job, run from the shell as a scheduler or an alert runs it: a condition
that does not hold, a notebook that registers nothing, a challenger no better than the
champion, and the labelled log a training notebook reads."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from jupyter_mlops import Registry, operations
from jupyter_mlops.cli import main
from tests.automation.worlds import log_labelled, old_champion
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
        home=tmp_path / "registry",
        model="churn",
        reason="a test",
    )
    pid = int(said.split("as process ")[1].split()[0])
    wait_for(lambda: not Path(f"/proc/{pid}").exists(), "the ended retraining to be reaped")
    assert "no model named 'churn'" in (tmp_path / "registry" / actions.OUTPUT).read_text()
