"""Every operation's result is JSON: `to_dict()` of what each one returns, on a real
registry, survives `json.dumps(..., allow_nan=False)` and `json.loads` unchanged."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from jupyter_mlops import operations
from jupyter_mlops.monitoring import synthetic
from jupyter_mlops.operations.registering import registration
from jupyter_mlops.registry import Registry
from jupyter_mlops.tracking import Tracker

# what no JSON walk can take: the model object itself, and a server in this process
NOT_RECORDS = {
    "load": "returns the model object",
    "serve": "serves until stopped",
    "logged": "returns the logged rows as a DataFrame",
    "job_notebook": "writes a job's executed notebook out and returns its path",
    "registry_at": "returns the Registry object itself",
}
# what edits the user's own crontab or trains a model, walked where that is set up
ELSEWHERE = {
    "schedule": "tests/automation/test_schedules.py (ScheduleList.to_dict round trip)",
    "schedules": "tests/automation/test_schedules.py",
    "unschedule": "tests/automation/test_schedules.py",
    "run_schedule": "tests/server/test_jobs_routes.py (answered as JSON)",
    "retrain": "returns a Job, as monitor_job does",
    "migrate": "tests/operations/test_migrate.py (Migration.to_dict round trip)",
    "adopt_data_path": "needs a shared registry: tests/team/test_copies.py (to_dict round trip)",
}


def rows(count: int, *, seed: int, shifted: bool = False) -> tuple[pd.DataFrame, pd.Series]:
    """Numeric synthetic features and their true labels."""
    X = synthetic.features(count, shifted=shifted, seed=seed)
    return X[synthetic.NUMERIC], synthetic.target(X)


@pytest.fixture(scope="module")
def walked(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Each operation's result, by operation name, on one registry built as a user would."""
    registry = Registry(tmp_path_factory.mktemp("walk") / "registry")
    found: dict[str, Any] = {}
    for name, step in scenario(registry, tmp_path_factory.mktemp("files")):
        found[name] = step()
    return found


def scenario(registry: Registry, files: Path) -> list[tuple[str, Callable[[], Any]]]:
    """(operation, call) in the order a user would run them."""
    (train, y_train), (held, y_held) = rows(1_500, seed=1), rows(500, seed=2)
    model = LogisticRegression(max_iter=500).fit(train, y_train)
    given = registration(model, data=[train, y_train], reference=[held, y_held])
    now, y_now = rows(400, seed=3, shifted=True)
    timed = now.assign(t=pd.date_range("2024-03-01", periods=len(now), freq="15min", tz="UTC"))
    one_class = timed.assign(label=y_now.iloc[0])  # AUC is undefined on it: null
    with Tracker(registry).run("walk") as run:
        run.log_metric("loss", float("nan"), step=0)
        run.log_metric("loss", 0.5, step=1)
        run.log_model("clf", model)
    ops, r, n = operations, registry, run.id
    return [
        ("register", lambda: ops.register(r, name="m", given=given)),
        ("register_run", lambda: ops.register_run(r, run=n, name="m", force=True)),
        ("set_reference", lambda: ops.set_reference(r, model="m", version=1, X=held, y=y_held)),
        ("models", lambda: ops.models(r)),
        ("versions", lambda: ops.versions(r, model="m")),
        ("show", lambda: ops.show(r, ref="m:1")),
        ("promote", lambda: ops.promote(r, model="m", version=1, reason="first")),
        ("promote_again", lambda: ops.promote(r, model="m", version=2, reason="better")),
        ("promote_unchanged", lambda: ops.promote(r, model="m", version=2, reason="again")),
        ("rollback", lambda: ops.rollback(r, model="m", reason="worse", expect=2, to=1,
                                          evidence={"via": "script"})),
        ("plan_promote", lambda: ops.plan_promote(r, model="m", version=2)),
        ("plan_rollback", lambda: ops.plan_rollback(r, model="m")),  # refused: nothing to undo
        ("plan_archive", lambda: ops.plan_archive(r, model="m", version=1)),  # refused: champion
        ("audit", lambda: ops.audit(r, model="m", limit=5)),
        ("tag", lambda: ops.tag(r, model="m", version=1, tags={"team": "growth"})),
        ("describe", lambda: ops.describe(r, model="m", description="churn")),
        ("history", lambda: ops.history(r, model="m")),
        ("compare", lambda: ops.compare(r, model="m", a=1, b=2)),
        ("verify", lambda: ops.verify(r)),
        ("gc", lambda: ops.gc(r, dry_run=True)),
        ("runs", lambda: ops.runs(r, experiment="walk")),
        ("run", lambda: ops.run(r, run=n)),
        ("run_history", lambda: ops.run_history(r, run=n)),
        ("compare_runs", lambda: ops.compare_runs(r, runs=[n, n], show_all=True)),
        ("drift", lambda: ops.drift(r, ref="m@champion", current=now)),
        ("distributions", lambda: ops.distributions(r, ref="m@champion", feature="n0",
                                                    current=now)),
        ("drift_windows", lambda: ops.drift(r, ref="m:1", current=timed, every="1d",
                                            time_column="t")),
        ("drift_history", lambda: ops.drift_history(r, model="m")),
        ("drift_history_again", lambda: ops.drift_history(r, model="m", limit=1)),
        ("drift_config", lambda: ops.drift_config(r, model="m", test="ks")),
        ("performance", lambda: ops.performance(r, ref="m:1", current=one_class,
                                                label_column="label", time_column="t")),
        ("estimate", lambda: ops.estimate(r, ref="m:1", current=now)),
        ("metric_history", lambda: ops.metric_history(r, model="m")),
        ("predict", lambda: ops.predict(r, ref="m:1", rows=now)),
        ("predict_to_file", lambda: ops.predict(r, ref="m:1", rows=now,
                                                output=files / "scored.parquet")),
        ("add_alert", lambda: ops.add_alert(r, ref="m@champion", expression="drift.share > 0")),
        ("alerts", lambda: ops.alerts(r)),
        ("check", lambda: ops.check(r, ref="m@champion", current=now)),
        ("alert_log", lambda: ops.alert_log(r, model="m")),
        ("alert_log_again", lambda: ops.alert_log(r, limit=5)),  # every model's
        ("aliases", lambda: ops.aliases(r, model="m")),
        ("fleet", lambda: ops.fleet(r)),
        ("remove_alert", lambda: ops.remove_alert(r, rule=1)),
        ("compact", lambda: ops.compact(r, model="m")),
        ("unalias", lambda: ops.unalias(r, model="m", alias="champion")),
        ("gate", lambda: ops.gate(r, model="m", challenger=2, champion=1, X=held, y=y_held,
                                  metric="accuracy")),
        ("check_data", lambda: ops.check_data(r, ref="m:1", data=now)),
        ("register_again", lambda: ops.register(r, name="m", given=given, force=True)),
        ("deploy", lambda: deployed(r, now)),
        ("deployments", lambda: ops.deployments(r)),
        ("undeploy", lambda: ops.undeploy(r, target="m@live")),
        ("compare_live", lambda: ops.compare_live(r, model="m", window="1d", champion="live",
                                                  challenger=3)),
        ("monitor_job", lambda: ops.monitor_job(r, notebook=job_notebook(files),
                                                parameters={"model": "m@live"})),
        ("jobs", lambda: ops.jobs(r, model="m")),
        ("archive", lambda: ops.archive(r, model="m", version=2, reason="retired")),
    ]  # fmt: skip


def job_notebook(files: Path) -> Path:
    """A one-cell monitoring notebook a job runs."""
    kernel = {"name": "python3", "display_name": "Python 3", "language": "python"}
    made = nbformat.v4.new_notebook(metadata={"kernelspec": kernel})
    made.cells = [nbformat.v4.new_code_cell("model = ''", metadata={"tags": ["parameters"]})]
    nbformat.write(made, files / "monitoring.ipynb")
    return files / "monitoring.ipynb"


def deployed(registry: Registry, rows: pd.DataFrame) -> Any:
    """m@live served with version 3 in shadow, after one request both scored."""
    operations.promote(registry, model="m", version=1, alias="live")
    started = operations.deploy(registry, ref="m@live", port=free_port(), shadow="m:3")
    request = urllib.request.Request(
        f"{started.url}/predict",
        data=json.dumps({"records": rows.iloc[:3].to_dict("records")}).encode(),
        headers={"Authorization": f"Bearer {started.token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as answer:
        assert answer.status == 200
    return started


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_walk_calls_every_operation(walked: dict[str, Any]) -> None:
    again = ("_windows", "_to_file", "_again", "_unchanged")
    called = {next((name.removesuffix(s) for s in again if name.endswith(s)), name)
              for name in walked}  # fmt: skip
    assert called | set(NOT_RECORDS) | set(ELSEWHERE) == set(operations.__all__)


def test_every_result_round_trips_through_strict_json(walked: dict[str, Any]) -> None:
    for name, result in walked.items():
        data = result.to_dict()
        assert isinstance(data, dict), name
        text = json.dumps(data, allow_nan=False)
        assert json.loads(text) == data, name


def test_the_json_holds_what_a_client_reads(walked: dict[str, Any]) -> None:
    assert walked["register"].to_dict()["version"] == 1
    assert walked["promote_again"].to_dict()["to_version"] == 2
    unchanged = walked["promote_unchanged"].to_dict()
    assert (unchanged["kind"], unchanged["changes"]) == ("unchanged", False)
    assert walked["rollback"].to_dict()["evidence"] == {
        "via": "script", "undoes_event": walked["promote_again"].id
    }  # fmt: skip
    assert walked["plan_promote"].to_dict()["from_version"] == 1
    assert walked["plan_archive"].to_dict()["refusal_kind"] == "conflict"
    assert [row["action"] for row in walked["audit"].to_dict()["rows"]][:1] == ["rollback"]
    assert [m["name"] for m in walked["models"].to_dict()["rows"]] == ["m"]
    drifted = walked["drift"].to_dict()
    assert drifted["drifted"] and set(drifted["drifted"]) <= set(synthetic.NUMERIC)
    assert walked["check"].to_dict()["alerts"], "the rule fired"
    assert [row["model"] for row in walked["alert_log_again"].to_dict()["rows"]] == ["m"]
    assert walked["aliases"].to_dict() == {"model": "m", "aliases": {"champion": 1}}
    assert len(walked["drift_history_again"].to_dict()["checks"]) == 1
    assert "token" in walked["deploy"].to_dict()
    assert all("token" not in d for d in walked["deployments"].to_dict()["deployments"])


def test_an_undefined_metric_is_null(walked: dict[str, Any]) -> None:
    metrics = walked["performance"].to_dict()["metrics"]
    auc = [m for m in metrics if m["metric"] == "auc"]
    assert auc and all(m["value"] is None for m in auc)
    points = walked["run_history"].to_dict()["points"]
    assert [p["value"] for p in points if p["step"] == 0] == [None]
    assert [p["value"] for p in points if p["step"] == 1] == [0.5]
