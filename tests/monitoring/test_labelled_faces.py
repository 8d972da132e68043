"""Labelled current data scored from a shell and from a cell, as from Python."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from IPython.core.interactiveshell import InteractiveShell

from jupyter_mlops import Monitor
from jupyter_mlops.monitoring import synthetic
from tests.conftest import logged_ids

CLI = str(Path(sys.executable).parent / "jupyter-mlops")


def labelled_rows(rows: int = 600) -> pd.DataFrame:
    X = synthetic.features(rows, seed=71)
    times = pd.date_range("2024-03-01", periods=rows, freq="15min", tz="UTC")
    return X.assign(t=times, churned=synthetic.target(X))


@pytest.fixture
def shell_cli(monitor: Monitor):
    env = dict(os.environ, MLOPS_HOME=str(monitor.registry.home), OMP_NUM_THREADS="1")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([CLI, *args], capture_output=True, text=True, env=env, timeout=300)

    return run


def test_performance_and_estimate_of_a_file_from_a_shell(
    monitor: Monitor, shell_cli, tmp_path: Path
) -> None:
    data = labelled_rows()
    data.to_parquet(tmp_path / "cur.parquet")
    expected = monitor.performance(
        "churn@champion",
        data.drop(columns=["churned"]),
        y=data["churned"],
        time_column="t",
        save=False,
    )
    args = ["churn@champion", "--current", str(tmp_path / "cur.parquet"), "--time-column", "t"]
    done = shell_cli("performance", *args, "--label-column", "churned")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == repr(expected).strip()
    estimated = shell_cli("estimate", *args)
    assert estimated.returncode == 0, estimated.stderr
    assert "2024-03-0" in estimated.stdout
    unlabelled = shell_cli("performance", *args)
    assert unlabelled.returncode == 2 and unlabelled.stderr.count("\n") == 1
    assert "--label-column NAME" in unlabelled.stderr
    wrong = shell_cli("performance", *args, "--label-column", "label")
    assert wrong.returncode == 2 and "'label' is not a column of" in wrong.stderr


def test_a_check_of_a_file_scores_its_label_column(
    monitor: Monitor, shell_cli, tmp_path: Path
) -> None:
    data = labelled_rows(2_000)
    data.to_parquet(tmp_path / "cur.parquet")
    assert shell_cli("alert", "add", "churn@champion", "accuracy < 0.99").returncode == 0
    done = shell_cli(
        "check",
        "churn@champion",
        "--current",
        str(tmp_path / "cur.parquet"),
        "--label-column",
        "churned",
        "--fail",  # what %mlops check needs to fail a papermill run is the default here
    )
    assert done.returncode == 3, done.stderr
    assert "accuracy < 0.99" in done.stdout and "churned" not in done.stdout


def test_predict_from_a_shell_prints_writes_and_logs(
    monitor: Monitor, shell_cli, tmp_path: Path
) -> None:
    rows = synthetic.features(50, seed=72)
    rows.to_csv(tmp_path / "batch.csv", index=False)
    expected = monitor.predict("churn@champion", rows, log=False)
    printed = shell_cli("predict", "churn@champion", str(tmp_path / "batch.csv"), "--no-log")
    assert printed.returncode == 0, printed.stderr
    assert len(printed.stdout.splitlines()) == 51 and "__prediction__" in printed.stdout
    assert logged_ids(monitor.registry.home, "churn") == []
    out = tmp_path / "out.parquet"
    batch = str(tmp_path / "batch.csv")
    written = shell_cli("predict", "churn@champion", batch, "--output", str(out))
    assert written.returncode == 0, written.stderr
    assert "50 predictions of churn@champion written to" in written.stdout
    found = pd.read_parquet(out)
    assert list(found["__prediction__"]) == list(expected["__prediction__"])
    assert logged_ids(monitor.registry.home, "churn") == sorted(found["__request_id__"])
    nowhere = shell_cli(
        "predict", "churn@champion", str(tmp_path / "batch.csv"), "--output", "out.json"
    )
    assert nowhere.returncode == 2 and "not of a kind jupyter-mlops writes" in nowhere.stderr


@pytest.fixture
def shell(ipython: InteractiveShell, monitor: Monitor) -> InteractiveShell:
    ip = ipython
    ip.run_cell(f"%mlops connect {monitor.registry.home}")
    data = labelled_rows()
    ip.user_ns.update(cur=data, X_cur=data.drop(columns=["churned"]), y_cur=data["churned"])
    return ip


def test_performance_of_a_dataframe_from_a_cell(shell: InteractiveShell) -> None:
    by_column = shell.run_cell(
        "%mlops performance churn@champion --current cur --time-column t --label-column churned"
    )
    by_column.raise_error()
    by_variable = shell.run_cell(
        "%mlops performance churn@champion --current X_cur --y y_cur --time-column t"
    )
    by_variable.raise_error()
    assert repr(by_column.result) == repr(by_variable.result)
    assert "accuracy" in repr(by_column.result)
    alone = shell.run_cell("%mlops performance churn@champion --y y_cur")
    assert not alone.success and "no --current was given" in str(alone.error_in_exec)


def test_a_time_column_of_no_times_is_one_sentence_and_no_warning(
    shell_cli, tmp_path: Path
) -> None:
    synthetic.features(40, seed=73).assign(t=[f"soon {i}" for i in range(40)]).to_csv(
        tmp_path / "badtime.csv", index=False
    )
    args = ["--current", str(tmp_path / "badtime.csv"), "--time-column", "t", "--window", "1d"]
    done = shell_cli("drift", "churn@champion", *args)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "Warning" not in done.stderr, done.stderr
    assert "holds values that are not times" in done.stderr
