"""The whole loop with no person: a served champion with its challenger in shadow, a
schedule's monitoring job that sees the world move, the alert's action retraining on the new
labelled log, the gate, the promotion, and the server serving the new version, each step in
the audit trail."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from crontab import CronTab
from sklearn.linear_model import LogisticRegression

from jupyter_mlops import Registry, operations
from jupyter_mlops.cli import main
from tests.automation.worlds import old_champion, world
from tests.conftest import ROOT, free_port, logged_ids, users_crontab, wait_for

MONITORING = str(ROOT / "examples" / "monitoring.ipynb")
RETRAINING = str(ROOT / "examples" / "retrain.ipynb")


def call(url: str, body: dict | None = None, *, token: str | None = None) -> dict:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = None if body is None else json.dumps(body).encode()
    with urllib.request.urlopen(urllib.request.Request(url, data, headers), timeout=30) as got:
        return json.loads(got.read())


def monitoring_job(registry: Registry, schedule: int, *, tmp_path: Path) -> int:
    """Run the schedule's job as cron runs its entry (`sh -c`); without crontab here, the
    runner as that entry calls it."""
    if shutil.which("crontab") is None:
        words = ["monitor", MONITORING, "-p", "model", "churn@champion", "-p", "window", "1d"]
        return main(["--home", str(registry.home), *words, "--schedule", str(schedule)])
    tag = f"jupyter-mlops schedule {schedule} {registry.home}"
    (command,) = [entry.command for entry in CronTab(user=True) if entry.comment == tag]
    cron = {"PATH": "/usr/bin:/bin", "HOME": str(Path.home()), "SHELL": "/bin/sh"}
    if "PYTHONPATH" in os.environ:  # a source tree under test, not the installed package
        cron["PYTHONPATH"] = os.environ["PYTHONPATH"]
    return subprocess.run(["sh", "-c", command], cwd=tmp_path, env=cron).returncode


@pytest.fixture
def own_crontab():
    """This user's crontab as it was, put back after the test."""
    if shutil.which("crontab") is None:
        yield
        return
    with users_crontab():
        yield


@pytest.mark.slow
def test_the_world_moves_and_the_loop_retrains_gates_promotes_and_serves(
    tmp_path, own_crontab, monkeypatch, capsys
):
    began = time.monotonic()
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    registry = old_champion(tmp_path / "registry")
    X, y = world(1_200, seed=3)
    registry.register("churn", LogisticRegression(C=0.1).fit(X, y), X=X, y=y)
    registry.promote("churn", 2, "challenger", reason="a regularised refit")
    deployment = operations.deploy(
        registry, ref="churn@champion", port=free_port(), shadow="churn@challenger"
    )
    try:
        operations.add_alert(
            registry,
            ref="churn@champion",
            expression="drift.share > 0.3",
            notify=[f"retrain:{RETRAINING}"],
        )
        made = operations.schedule(
            registry,
            notebook=MONITORING,
            parameters={"model": "churn@champion", "window": "1d"},
            every="1h",
            timeout="5m",
        )

        # the world moved: customers shifted, and what makes them churn changed
        moved, labels = world(900, seed=4, moved=True)
        ids = []
        for start in range(0, len(moved), 300):
            rows = moved.iloc[start : start + 300].to_dict("records")
            answer = call(f"{deployment.url}/predict", {"records": rows}, token=deployment.token)
            ids += answer["request_ids"]
        fed = call(
            f"{deployment.url}/feedback",
            {"request_ids": ids, "labels": labels.tolist()},
            token=deployment.token,
        )
        assert fed == {"received": 900, "unknown": 0}
        wait_for(lambda: len(logged_ids(registry.home, "churn")) == 900, "the log", seconds=30)
        wait_for(
            lambda: len(logged_ids(registry.home, "churn", "labels")) == 900, "labels", seconds=30
        )

        assert monitoring_job(registry, made.id, tmp_path=tmp_path) == 3
        monitored = next(j for j in operations.jobs(registry, model="churn") if j.kind == "monitor")
        assert (monitored.status, monitored.schedule_id) == ("alert", made.id)
        fired = operations.alert_log(registry, model="churn")[0]
        assert fired.kind == "fired" and "started `jupyter-mlops retrain churn" in fired.note

        def retrained():
            found = [j for j in operations.jobs(registry, model="churn") if j.kind == "retrain"]
            return found[0] if found and found[0].status != "running" else None

        job = wait_for(retrained, "the retraining the alert started", seconds=60, every=0.2)
        assert (job.status, job.exit_code, job.detail["version"]) == ("passed", 0, 3), job.message
        assert registry.get("churn@champion").version == 3
        health = wait_for(
            lambda: (h := call(f"{deployment.url}/health"))["version"] == 3 and h,
            "the server to serve version 3",
            seconds=30,
            every=0.1,
        )
        took = time.monotonic() - began
    finally:
        operations.undeploy(registry, target=deployment.id)
        operations.unschedule(registry, schedule=made.id)

    gate = job.detail["gate"]
    assert gate["passed"] and gate["challenger"] == 3 and gate["champion"] == 1
    moves = [(e.alias, e.to_version) for e in registry.history("churn")]
    assert moves == [("champion", 1), ("challenger", 2), ("challenger", 3), ("champion", 3)]
    challenger, champion = registry.history("churn")[-2:]
    assert challenger.reason.startswith(f"retrained by job {job.id}: rule ")
    assert "(drift.share > 0.3) fired in check" in challenger.reason
    assert champion.evidence["job"] == job.id and champion.evidence["gain"] == gate["gain"]
    assert "gate on" in champion.reason
    listed = str(operations.jobs(registry, model="churn"))
    assert "retrain" in listed and "monitor" in listed and "promoted" in listed
    with capsys.disabled():
        print(
            f"\nloop: {took:.1f} s end to end; gate {gate['metric']} "
            f"{gate['challenger_value']:.4f} vs {gate['champion_value']:.4f}, gain "
            f"{gate['gain']:+.4f} ({gate['ci_low']:+.4f} to {gate['ci_high']:+.4f}) on "
            f"{gate['rows']} rows; served version {health['version']}"
        )
