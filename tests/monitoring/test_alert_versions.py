"""Alert rules read against the features of the version a check finds, from a shell."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from jupyter_mlops import Registry
from jupyter_mlops.commands.monitoring import ALERT_FIRED_EXIT

CLI = str(Path(sys.executable).parent / "jupyter-mlops")


def _rows(count: int, *, seed: int, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(count, 3)), columns=["age", "income", "calls"])
    return X.assign(calls=X.calls + shift)


@pytest.fixture
def cli(tmp_path: Path):
    env = dict(os.environ, MLOPS_HOME=str(tmp_path / "registry"))
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([CLI, *args], capture_output=True, text=True, env=env, timeout=300)

    return run


@pytest.fixture
def churn(tmp_path: Path) -> Registry:
    """churn version 1 takes age, income and calls; version 2 only age and income."""
    registry = Registry(tmp_path / "registry")
    X = _rows(3_000, seed=1)
    y = (X.age + X.income > 0).astype(int)
    registry.register("churn", LogisticRegression().fit(X, y), X=X, y=y)
    without_calls = X[["age", "income"]]
    registry.register("churn", LogisticRegression().fit(without_calls, y), X=without_calls, y=y)
    registry.promote("churn", 1)
    return registry


def test_a_rule_on_a_feature_the_new_champion_lacks_is_unknown_not_firing(
    churn: Registry, cli, tmp_path: Path
) -> None:
    shifted = tmp_path / "shifted.parquet"
    _rows(2_000, seed=2, shift=3.0).to_parquet(shifted)
    assert cli("alert", "add", "churn@champion", "psi.calls > 0.2").returncode == 0
    fired = cli("check", "churn@champion", "--current", str(shifted), "--strict")
    assert fired.returncode == ALERT_FIRED_EXIT, fired.stderr
    assert "1 alert fired" in fired.stdout

    assert cli("promote", "churn", "2").returncode == 0
    healthy = cli("check", "churn@champion", "--current", str(shifted), "--strict")
    assert healthy.returncode == 0, healthy.stdout + healthy.stderr
    assert "0 rules firing" in healthy.stdout
    assert (
        "rule 1 (psi.calls > 0.2) is unknown, so it neither fires nor recovers (psi.calls: a "
        "statistic of the feature calls, which churn:2 does not have); remove it (alert "
        "remove 1)" in healthy.stdout
    )
    listed = cli("alert", "list", "churn")
    assert "unknown" in listed.stdout and "firing" not in listed.stdout
    assert [line for line in cli("alert", "log", "churn").stdout.splitlines() if "fired" in line]

    # the champion going back to version 1 reads the rule again: it last fired, so it is
    # still firing (no second alert), and --strict fails on it
    assert cli("rollback", "churn").returncode == 0
    again = cli("check", "churn@champion", "--current", str(shifted), "--strict")
    assert again.returncode == ALERT_FIRED_EXIT
    assert "0 alerts fired, 0 recovered, 1 rule firing" in again.stdout
    assert "still firing" in again.stdout


def test_alert_add_refuses_names_no_check_produces(churn: Registry, cli) -> None:
    cases = [
        ("psi.__target__ > 0.1", "'psi.__target__'", None),  # the true value is no input
        ("psi.__targe__ > 0.1", "'psi.__targe__'", None),
        ("chi2.age < 0.01", "'chi2.age'", None),  # age is a number: no chi-squared of it
        ("ks.calsl > 0.2", "'ks.calsl'", "'ks.calls'"),
    ]
    for rule, refused, suggested in cases:
        added = cli("alert", "add", "churn@champion", rule)
        assert added.returncode == 2, rule
        message = added.stderr.strip()
        assert f"names {refused}, which no check produces" in message and "\n" not in message
        assert "__target__'?" not in message
        if suggested is not None:
            assert f"did you mean {suggested}?" in message
    assert "no alert rules" in cli("alert", "list", "churn").stdout


def test_alert_add_refuses_metrics_of_another_task(tmp_path: Path) -> None:
    from sklearn.linear_model import LinearRegression

    from jupyter_mlops import Monitor
    from jupyter_mlops.errors import InvalidArgumentError

    registry = Registry(tmp_path / "tasks")
    X = _rows(500, seed=3)
    labels = np.arange(len(X)) % 3
    registry.register("prices", LinearRegression().fit(X, X.age * 2), X=X, y=X.age * 2)
    registry.register("churn", LogisticRegression().fit(X, labels % 2), X=X, y=labels % 2)
    registry.register("segments", LogisticRegression().fit(X, labels), X=X, y=labels)
    monitor = Monitor(registry)
    readable = {  # what the hint offers: what that model's kind reads
        "prices:1": "use drift.share, mae, rmse, psi.<feature>, ...",
        "churn:1": "use drift.share, accuracy, f1, auc, psi.<feature>, ...",
        "segments:1": "use drift.share, accuracy, f1, f1_macro, psi.<feature>, ...",
    }
    refused = [
        ("prices:1", "auc < 0.7"),
        ("prices:1", "accuracy < 0.5"),
        ("prices:1", "estimated.accuracy < 0.8"),
        ("churn:1", "mae > 1"),
        ("churn:1", "f1_macro < 0.5"),
        ("segments:1", "auc < 0.7"),
        ("segments:1", "estimated.f1 < 0.7"),
    ]
    for ref, rule in refused:
        with pytest.raises(InvalidArgumentError) as told:
            monitor.add_alert(ref, rule)
        assert "which no check of this model produces" in str(told.value), (ref, rule)
        assert readable[ref] in str(told.value), (ref, rule)
    for ref, rule in [
        ("prices:1", "mae > 1"),
        ("churn:1", "auc < 0.7"),
        ("segments:1", "f1_macro < 0.5"),
        ("segments:1", "f1 < 0.5"),
    ]:
        assert monitor.add_alert(ref, rule).expression == rule
