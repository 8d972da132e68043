"""The gate and check-data from a shell, a notebook and the CI example's workflow: the
exit codes a pipeline reads (0 pass, 13 kept, 14 refused) and the same result everywhere."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from jupyter_mlops import Registry
from jupyter_mlops.cli import build_parser, main
from tests.conftest import ROOT

WORKFLOW = ROOT / "examples" / "ci" / "model-gate.yml"
CLI = str(Path(sys.executable).parent / "jupyter-mlops")


def workflow_commands() -> list[str]:
    steps = yaml.safe_load(WORKFLOW.read_text())["jobs"]["gate"]["steps"]
    return [s["run"] for s in steps if s.get("run", "").startswith("jupyter-mlops ")]


@pytest.mark.slow  # two real processes, each importing the package anew
def test_the_ci_workflow_parses_and_its_commands_pass_against_a_real_registry(
    churn_home, holdout, tmp_path
):
    document = yaml.safe_load(WORKFLOW.read_text())
    assert document["name"] == "model-gate" and document["jobs"]["gate"]["runs-on"]
    commands = workflow_commands()
    assert [shlex.split(c)[1] for c in commands] == ["check-data", "gate"]
    for command in commands:
        build_parser().parse_args(shlex.split(command)[1:])  # argparse exits 2 on a typo
    home = tmp_path / ".mlops"
    shutil.copytree(churn_home, home)
    Registry(home).promote("churn", 2, "challenger", reason="trained in CI")
    X, y = holdout
    (tmp_path / "data").mkdir()
    X.assign(churned=y).to_parquet(tmp_path / "data" / "holdout.parquet")
    X.assign(churned=y).to_parquet(tmp_path / "data" / "new.parquet")
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "MLOPS_HOME": str(home), "OMP_NUM_THREADS": "1", "PYTHONPATH": path}
    for command in commands:
        done = subprocess.run(
            [CLI, *shlex.split(command)[1:]], cwd=tmp_path, env=env, capture_output=True,
            text=True, timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
    assert (
        "gate churn: promote" in done.stdout and Registry(home).get("churn@champion").version == 1
    )


def test_the_command_line_exits_13_when_the_gate_keeps(churn, holdout, tmp_path, capsys):
    X, y = holdout
    X.assign(churned=y).to_parquet(tmp_path / "holdout.parquet")
    churn.promote("churn", 2, "champion")
    rows = str(tmp_path / "holdout.parquet")
    args = ["--home", str(churn.home), "gate", "churn", "--holdout", rows,
            "--target", "churned", "--metric", "accuracy"]  # fmt: skip
    assert main([*args, "--challenger", "1", "--promote"]) == 13
    assert "keep: the challenger is worse on accuracy" in capsys.readouterr().out
    assert churn.get("churn@champion").version == 2
    assert main([*args, "--challenger", "2", "--champion", "1", "--alpha", "0.01"]) == 0
    assert main([*args[:-2], "--metric", "r2", "--challenger", "3"]) == 2
    assert "choose one of accuracy, auc, f1, log_loss" in capsys.readouterr().err


def test_the_notebook_gates_variables_and_checks_a_dataframe(ipython, churn, holdout):
    X, y = holdout
    ipython.user_ns.update(X_hold=X, y_hold=y, frame=X.assign(churned=y))
    ipython.run_line_magic("mlops", f"connect {churn.home}")
    result = ipython.run_line_magic(
        "mlops", "gate churn --challenger 2 --holdout X_hold y_hold --metric auc --min-gain 0.01 "
        "--promote --reason 'better on May'",
    )  # fmt: skip
    assert result.promoted and "churn@champion: 1 -&gt; 2" in result._repr_html_()
    history = ipython.run_line_magic("mlops", "history churn")
    assert "better on May; gate on 1,000 held-out rows: auc" in str(history)
    same = ipython.run_line_magic(
        "mlops", "gate churn --challenger 1 --holdout frame --target churned --metric f1"
    )
    assert same.decision == "keep" and same.champion == 2
    checked = ipython.run_line_magic("mlops", "check-data frame --schema churn@champion")
    assert not checked.passed and "'churned'" not in str(checked) and "churned" in str(checked)
    ignored = ipython.run_line_magic(
        "mlops", "check-data frame --schema churn@champion --ignore churned"
    )
    assert ignored.passed
