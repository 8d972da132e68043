"""`jupyter-mlops` from a shell: the same operations as the magics, with exit codes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import skops.io

from jupyter_mlops import Registry

CLI = str(Path(sys.executable).parent / "jupyter-mlops")


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CLI, *args], capture_output=True, text=True, env=env, timeout=120)


def test_register_promote_rollback_from_the_shell(tmp_path, fitted, dataset, subprocess_env):
    X, y = dataset
    model_file = tmp_path / "model.skops"
    skops.io.dump(fitted, model_file)
    data_file = tmp_path / "train.parquet"
    X.assign(target=y).to_parquet(data_file)

    first = cli(
        "register",
        "churn",
        str(model_file),
        "--data",
        str(data_file),
        "--target",
        "target",
        "--metrics",
        "auc=0.9",
        env=subprocess_env,
    )
    assert first.returncode == 0, first.stderr
    assert "churn" in first.stdout
    assert cli("register", "churn", str(model_file), env=subprocess_env).returncode == 0
    assert cli("promote", "churn", "1", "--reason", "first", env=subprocess_env).returncode == 0
    assert cli("promote", "churn", "2", env=subprocess_env).returncode == 0
    rolled = cli("rollback", "churn", "--reason", "bad", env=subprocess_env)
    assert rolled.returncode == 0
    assert "2 -> 1" in rolled.stdout
    history = cli("history", "churn", env=subprocess_env)
    assert history.stdout.count("promote") == 2 and "rollback" in history.stdout

    registry = Registry(subprocess_env["MLOPS_HOME"])
    version = registry.get("churn:1")
    assert version.data_rows == len(X) and [c["name"] for c in version.schema] == list(X.columns)
    assert registry.get("churn@champion").version == 1
    assert cli("verify", env=subprocess_env).returncode == 0


def test_errors_are_one_line_on_stderr_with_exit_code_1(subprocess_env):
    missing = cli("show", "nothing", env=subprocess_env)
    assert missing.returncode == 1
    assert missing.stderr.strip().count("\n") == 0
    assert "no model named 'nothing'" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_verify_fails_the_job_when_an_artifact_is_corrupt(fitted, subprocess_env):
    registry = Registry(subprocess_env["MLOPS_HOME"])
    version = registry.register("m", fitted)
    registry.artifacts.path(version.artifact_sha256).write_bytes(b"corrupt")
    result = cli("verify", env=subprocess_env)
    assert result.returncode == 1
    assert "m version 1" in result.stdout


def test_runs_from_the_shell(subprocess_env):
    import jupyter_mlops as mlops

    registry = Registry(subprocess_env["MLOPS_HOME"])
    for auc in (0.8, 0.9):
        with mlops.run("exp", registry=registry) as run:
            run.log_metric("val_auc", auc)
    listed = cli("runs", "exp", "--sort", "val_auc", env=subprocess_env)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[1].split()[0] == "2" and lines[2].split()[0] == "1"  # best first
    assert "val_auc" in cli("compare-runs", "1", "2", env=subprocess_env).stdout
    assert "finished" in cli("run", "2", env=subprocess_env).stdout
    missing = cli("run", "7", env=subprocess_env)
    assert missing.returncode == 1 and "no run 7" in missing.stderr
