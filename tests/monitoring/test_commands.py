"""Monitoring from a cell (`%mlops drift ...`) and from a shell (`jupyter-mlops check ...`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from IPython.core.interactiveshell import InteractiveShell

from jupyter_mlops import Monitor
from jupyter_mlops.commands.monitoring import ALERT_FIRED_EXIT
from jupyter_mlops.errors import InvalidArgumentError
from jupyter_mlops.monitoring import synthetic
from jupyter_mlops.monitoring.report import DriftReport
from jupyter_mlops.registry import display

CLI = str(Path(sys.executable).parent / "jupyter-mlops")


@pytest.fixture
def shell(ipython: InteractiveShell, monitor: Monitor) -> InteractiveShell:
    ip = ipython
    ip.run_cell(f"%mlops connect {monitor.registry.home}")
    ip.user_ns.update(
        df_last_week=synthetic.features(20_000, shifted=True, seed=61),
        df_calm=synthetic.features(20_000, seed=62),
    )
    return ip


def cell(shell: InteractiveShell, line: str) -> object:
    result = shell.run_cell(line)
    result.raise_error()
    return result.result


def test_the_monitoring_story_from_cells(shell: InteractiveShell) -> None:
    cell(shell, "report = %mlops drift churn@champion --current df_last_week")
    report = shell.user_ns["report"]
    assert sorted(report.drifted) == sorted(synthetic.SHIFTED)
    assert "DRIFT" in report._repr_html_() and "multivariate" in repr(report)
    cell(shell, '%mlops alert add churn@champion "drift.share > 0.3 or auc < 0.85"')
    cell(shell, '%mlops alert add churn@champion "drift.share > 0.2"')
    rules = cell(shell, "%mlops alert list churn")
    assert [r.expression for r in rules] == ["drift.share > 0.3 or auc < 0.85", "drift.share > 0.2"]
    calm = cell(shell, "%mlops check churn@champion --current df_calm --no-multivariate")
    assert calm.alerts == []
    result = shell.run_cell(
        "%mlops check churn@champion --current df_last_week --no-multivariate --fail"
    )
    assert not result.success
    assert "alert rules fire for churn@champion: drift.share > 0.2" in str(result.error_in_exec)
    history = cell(shell, "%mlops drift-history churn --feature n0")
    assert list(history.to_frame()["drifted"]) == [True, False, True]
    figure = cell(shell, "%mlops drift-history churn --plot")
    assert {trace.name for trace in figure.data} >= {"n0", "c0"}
    cell(shell, "%mlops drift-config churn --feature n0 --test ks --threshold 0.01")
    again = cell(shell, "%mlops drift churn@champion --current df_calm --no-multivariate")
    assert again.feature("n0").test == "ks"


def test_all_tests_shows_every_test_it_ran(shell: InteractiveShell) -> None:
    line = "%mlops drift churn@champion --current df_calm --no-multivariate --no-save"
    usual, every = cell(shell, line), cell(shell, f"{line} --all-tests")
    assert isinstance(usual, DriftReport) and isinstance(every, DriftReport)
    assert header(usual) == [*BEFORE, "psi", "js", "chi2", "unseen", "note"]
    assert header(every) == [*BEFORE, "psi", "js", "ks", "wasserstein", "chi2", "unseen", "note"]
    n0 = every.feature("n0")
    assert n0.test == "psi"  # 20,000 rows: PSI decides, KS and Wasserstein are shown beside it
    row = next(line for line in repr(every).splitlines() if line.startswith("n0 "))
    for test in ("psi", "js", "ks", "wasserstein"):
        assert display.cell(n0.statistics[test][0]) in row.split()
    assert "<th>wasserstein</th>" in every._repr_html_()
    assert "<th>wasserstein</th>" not in usual._repr_html_()


BEFORE = ["feature", "test", "statistic", "p-value", "threshold", "verdict", "rows"]


def header(report: DriftReport) -> list[str]:
    return next(line for line in repr(report).splitlines() if line.startswith("feature")).split()


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("%mlops drift churn@champion --current nothing_here", "nothing_here"),
        ("%mlops drift churn@champion --current df_calm --window 3x", "cannot read the window"),
        ("%mlops drift nobody@champion --current df_calm", "nobody"),
        ('%mlops alert add churn@champion "auc <"', "ends too early"),
        ("%mlops alert remove 99", "no alert rule 99"),
        ("%mlops performance churn@champion", "no predictions of churn are logged yet"),
        ("%mlops drift churn@champion --current df_calm --test chi3", "unknown drift test"),
    ],
)
def test_misuse_is_one_line(shell: InteractiveShell, line: str, message: str) -> None:
    result = shell.run_cell(line)
    assert not result.success
    text = str(result.error_in_exec)
    assert message in text and "\n" not in text


def test_check_from_a_shell_exits_non_zero_when_an_alert_fires(
    monitor: Monitor, tmp_path: Path
) -> None:
    env = dict(os.environ, MLOPS_HOME=str(monitor.registry.home))
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    synthetic.features(20_000, seed=63).to_parquet(tmp_path / "calm.parquet")
    synthetic.features(20_000, shifted=True, seed=64).to_parquet(tmp_path / "shifted.parquet")

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([CLI, *args], capture_output=True, text=True, env=env, timeout=300)

    drift = cli("drift", "churn@champion", "--current", str(tmp_path / "shifted.parquet"))
    assert drift.returncode == 0, drift.stderr
    assert "6 of 25 features drifted" in drift.stdout
    assert cli("alert", "add", "churn@champion", "drift.share > 0.2").returncode == 0
    calm = cli("check", "churn@champion", "--current", str(tmp_path / "calm.parquet"))
    assert calm.returncode == 0, calm.stderr
    shifted = cli("check", "churn@champion", "--current", str(tmp_path / "shifted.parquet"))
    assert shifted.returncode == ALERT_FIRED_EXIT, shifted.stderr
    assert "1 alert fired" in shifted.stdout
    still = cli("check", "churn@champion", "--current", str(tmp_path / "shifted.parquet"))
    assert still.returncode == 0 and "1 rule firing" in still.stdout
    strict = cli(
        "check", "churn@champion", "--current", str(tmp_path / "shifted.parquet"), "--strict"
    )
    assert strict.returncode == ALERT_FIRED_EXIT
    missing = cli("drift", "churn@champion", "--current", str(tmp_path / "nope.parquet"))
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1


@pytest.mark.parametrize(
    "line",
    [
        "%mlops drift churn@champion --window 0",
        "%mlops drift churn@champion --window 00",
        "%mlops drift churn@champion --window '0 rows'",
        "%mlops drift churn@champion --window 0d",
        "%mlops drift churn@champion --every 0",
        "%mlops drift churn@champion --current df_calm --window 0",
        "%mlops check churn@champion --window 0",
        "%mlops performance churn@champion --window 0",
        "%mlops estimate churn@champion --window 0h",
        "%mlops performance churn@champion --last 0",
        "%mlops drift churn@champion --every 1d --last 0",
    ],
)
def test_a_window_of_nothing_is_refused_in_every_form(
    shell: InteractiveShell, monitor: Monitor, line: str
) -> None:
    """0 is never read as no window (the whole log, every window)."""
    monitor.log_predictions("churn@champion", synthetic.features(300, seed=65))
    result = shell.run_cell(line)
    assert not result.success
    text = str(result.error_in_exec)
    assert ("is empty" in text or "positive count" in text) and "\n" not in text, text


def test_a_window_of_nothing_is_refused_from_a_shell(monitor: Monitor) -> None:
    monitor.log_predictions("churn@champion", synthetic.features(300, seed=66))
    env = dict(os.environ, MLOPS_HOME=str(monitor.registry.home))
    for command in ("drift", "check", "performance"):
        done = subprocess.run(
            [CLI, command, "churn@champion", "--window", "0"],
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
        )
        assert done.returncode == 2 and done.stderr.count("\n") == 1, (command, done.stderr)
        assert "a window of 0 is empty" in done.stderr


def test_a_window_of_nothing_is_refused_from_python(monitor: Monitor) -> None:
    monitor.log_predictions("churn@champion", synthetic.features(300, seed=67))
    calls = [
        lambda: monitor.drift("churn@champion", window=0),
        lambda: monitor.check("churn@champion", window="0 rows"),
        lambda: monitor.performance("churn@champion", window="0d"),
        lambda: monitor.drift_windows("churn@champion", every=0),
    ]
    for call in calls:
        with pytest.raises(InvalidArgumentError, match="is empty; give a positive span"):
            call()


def test_every_notify_target_given_is_kept(
    shell: InteractiveShell, monitor: Monitor, tmp_path: Path
) -> None:
    """`--notify` repeated keeps each target, in a cell as in a shell, not only the last."""
    notebook = tmp_path / "retrain.ipynb"
    notebook.write_text("{}")
    hook = "webhook:http://127.0.0.1:9/x"
    rule = cell(
        shell,
        f'%mlops alert add churn@champion "drift.share > 0.9" --notify {hook} '
        f"--notify retrain:{notebook}",
    )
    assert rule.notify == [hook, f"retrain:{notebook}"]
    other = hook.replace("/x", "/y")
    added = ["alert", "add", "churn@champion", "rows > 1", "--notify", hook, "--notify", other]
    done = subprocess.run(
        [CLI, "--home", str(monitor.registry.home), *added],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert f"notifies {hook} {other}" in done.stdout
