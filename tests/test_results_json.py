"""Every result has a JSON form: `to_dict()` gives data that json.dumps writes strictly
(no NaN, no infinity, no Python object) and json.loads gives back unchanged, holding what a
user reads in the result's text: the version, the alias moved, the features that drifted."""

from __future__ import annotations

import importlib
import json
import pkgutil
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
from sklearn.compose import make_column_transformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

import jupyter_mlops as mlops
from jupyter_mlops import Monitor, Registry, Tracker
from jupyter_mlops.jsonable import jsonable
from jupyter_mlops.monitoring import synthetic
from jupyter_mlops.monitoring.compaction import compact
from jupyter_mlops.registry.archiving import Archived
from jupyter_mlops.registry.integrity import Collected
from jupyter_mlops.viz.text import FigureSummary
from tests.conftest import free_port

DAY = pd.Timestamp("2026-11-20")
ROWS = 2_000  # predictions a day
SECRET = "s3cr3t-pa55"


def test_every_result_that_renders_has_a_json_form() -> None:
    """A class shown as HTML or as a frame is a result: it has `to_dict()` too."""
    found = pkgutil.walk_packages(mlops.__path__, f"{mlops.__name__}.")
    names = [m.name for m in found if not m.name.endswith(".__main__")]  # a program, run on import
    results = {
        kind
        for module in map(importlib.import_module, names)
        for kind in vars(module).values()
        if isinstance(kind, type)
        and kind.__module__ == module.__name__
        and (hasattr(kind, "_repr_html_") or hasattr(kind, "to_frame"))
    }
    assert len(results) > 20
    without = [f"{r.__module__}.{r.__name__}" for r in results if not hasattr(r, "to_dict")]
    assert sorted(without) == []


def as_json(result: Any) -> Any:
    """`result.to_dict()`, after checking that it is what JSON writes and reads back."""
    data = result.to_dict()
    assert isinstance(data, dict)
    assert json.loads(json.dumps(data, allow_nan=False)) == data
    return data


def churn_model(X: pd.DataFrame, y: pd.Series, *, C: float = 1.0) -> Pipeline:
    encode = make_column_transformer(
        (StandardScaler(), synthetic.NUMERIC),
        (OneHotEncoder(handle_unknown="ignore"), synthetic.CATEGORICAL),
    )
    return make_pipeline(encode, LogisticRegression(C=C, max_iter=1000)).fit(X, y)


@pytest.fixture(scope="module")
def registered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A registry with churn versions 1 and 2, each with held-out reference data."""
    home = tmp_path_factory.mktemp("json") / "registry"
    registry = Registry(home)
    X = synthetic.features(4_000, seed=1)
    y = synthetic.target(X)
    held_out = synthetic.features(2_000, seed=2)
    reference = (held_out, synthetic.target(held_out))
    for C, auc in [(1.0, 0.91), (0.5, 0.93)]:
        model = churn_model(X, y, C=C)
        registry.register("churn", model, X=X, y=y, metrics={"auc": auc}, reference=reference)
    return home


def copied(home: Path, tmp_path: Path) -> Registry:
    """A private copy of a registry, for a test that changes it."""
    shutil.copytree(home, tmp_path / "registry")
    return Registry(tmp_path / "registry")


def test_a_version_is_json_with_its_encoded_fields_decoded(registered: Path) -> None:
    registry = Registry(registered)
    data = as_json(registry.get("churn:2"))
    assert (data["ref"], data["model"], data["version"]) == ("churn:2", "churn", 2)
    assert data["metrics"] == {"auc": 0.93}
    assert data["task"] == "classifier" and data["positive_label"] == 1
    assert data["reference_source"] == "held-out" and data["reference_rows"] == 2_000
    assert data["reference"] == "held-out reference data (2,000 rows)"
    assert [c["name"] for c in data["schema"]][:2] == ["n0", "n1"]
    assert data["env"]["python"] == registry.get("churn:2").env["python"]
    assert isinstance(data["params"], dict) and isinstance(data["trusted_types"], list)
    assert not [key for key in data if key.endswith("_json")]

    versions = as_json(registry.versions("churn"))
    assert [row["version"] for row in versions["rows"]] == [1, 2]
    assert versions["rows"][1] == data
    models = as_json(registry.models())
    assert models["rows"][0]["name"] == "churn" and models["rows"][0]["latest"] == 2
    assert models["rows"][0]["aliases"] == {}


def test_alias_moves_and_version_changes_are_json(registered: Path, tmp_path: Path) -> None:
    registry = copied(registered, tmp_path)
    registry.promote("churn", 1, reason="first", evidence={"auc": 0.91})
    registry.promote("churn", 2, "challenger")
    registry.promote("churn", 2, reason="better")
    moved = as_json(registry.rollback("churn", reason="worse live"))
    assert (moved["alias"], moved["from_version"], moved["to_version"]) == ("champion", 2, 1)
    assert moved["action"] == "rollback" and moved["kind"] == "alias"
    assert as_json(registry.models())["rows"][0]["aliases"] == {"challenger": 2, "champion": 1}
    registry.remove_alias("churn", "challenger")
    archived = as_json(Archived(registry.archive("churn", 2, reason="superseded")))
    assert archived["version"] == 2 and archived["status"] == "archived"
    assert "superseded" in archived["note"]

    history = as_json(registry.history("churn"))["rows"]
    assert [(e["kind"], e["action"]) for e in history][-2:] == [
        ("alias", "remove"),
        ("version", "archive"),
    ]
    assert history[0]["evidence"] == {"auc": 0.91} and history[0]["to_version"] == 1
    assert history[-1]["version"] == 2 and history[-1]["detail"]["to"] == "archived"
    assert history[-1]["summary"] == "archived version 2"
    assert {key for e in history for key in e} >= {"moved_at", "moved_by", "from_version"}

    tagged = as_json(registry.tag("churn", 1, {"owner": "ana"}))
    assert tagged["tags"] == {"owner": "ana"} and tagged["aliases"] == ["champion"]
    fresh = synthetic.features(1_000, seed=3)
    changed = registry.set_reference("churn", 1, fresh, synthetic.target(fresh), reason="newer")
    assert as_json(changed)["reference_rows"] == 1_000
    assert as_json(registry.history("churn"))["rows"][-1]["kind"] == "version"


def test_a_comparison_an_integrity_check_and_a_clean_up_are_json(registered: Path) -> None:
    registry = Registry(registered)
    compared = as_json(registry.compare("churn", 1, 2))
    assert (compared["model"], compared["a"], compared["b"]) == ("churn", 1, 2)
    auc = next(row for row in compared["rows"] if row["name"] == "auc")
    assert auc["a"] == 0.91 and auc["b"] == 0.93 and auc["differs"]
    assert auc["delta"] == pytest.approx(0.02)
    verified = as_json(registry.verify())
    assert verified["ok"] and verified["versions"] == 2 and verified["problems"] == []
    assert as_json(Collected(registry.gc(dry_run=True), dry_run=True)) == {
        "dry_run": True,
        "files": [],
    }


def test_runs_and_their_comparison_are_json(tmp_path: Path) -> None:
    registry = Registry(tmp_path / "registry")
    for lr in (0.1, 0.2):
        with mlops.run("exp", registry=registry, tags={"fold": 1}) as run:
            mlops.log_params({"lr": lr})
            for step in range(3):
                run.log_metric("loss", lr / (step + 1))
    tracker = Tracker(registry)
    record = as_json(tracker.get(2))
    assert (record["id"], record["experiment"], record["status"]) == (2, "exp", "finished")
    assert record["params"] == {"lr": 0.2} and record["metrics"] == {"loss": pytest.approx(0.2 / 3)}
    assert record["tags"] == {"fold": "1"} and record["duration"] >= 0
    runs = as_json(tracker.runs("exp", sort="loss"))
    assert [row["id"] for row in runs["rows"]] == [2, 1] and runs["sort_key"] == "loss"
    compared = as_json(tracker.compare([1, 2]))
    lr = next(row for row in compared["rows"] if row["name"] == "lr")
    assert lr["values"] == [0.1, 0.2] and lr["differs"]


@pytest.fixture(scope="module")
def monitored(registered: Path, tmp_path_factory: pytest.TempPathFactory) -> Monitor:
    """churn version 1 as champion, with three days of logged predictions (the third day
    shifted) and labels: the first day's all, the second day's only those of class 0 (so
    its F1 and AUC are undefined), none for the third."""
    home = tmp_path_factory.mktemp("monitored") / "registry"
    shutil.copytree(registered, home)
    monitor = Monitor(Registry(home))
    monitor.registry.promote("churn", 1)
    for day in range(3):
        X = synthetic.features(ROWS, shifted=day == 2, seed=10 + day)
        times = DAY + pd.Timedelta(days=day) + pd.to_timedelta(np.arange(ROWS) * 40, "s")
        for half in (slice(0, ROWS // 2), slice(ROWS // 2, ROWS)):  # two segments a day
            logged = monitor.log_predictions("churn", X.iloc[half], timestamps=times[half])
            y = synthetic.target(X.iloc[half]).to_numpy()
            known = y == 0 if day == 1 else np.full(len(y), day == 0)
            if known.any():
                monitor.log_labels("churn", logged["__request_id__"][known], y[known])
    return monitor


def test_drift_is_json_with_its_prediction_multivariate_and_statistics(
    monitored: Monitor,
) -> None:
    shifted = synthetic.features(3_000, shifted=True, seed=7)
    report = monitored.drift("churn@champion", shifted, save=False)
    data = as_json(report)
    assert report.drifted and data["drifted"] == report.drifted
    assert data["share"] == pytest.approx(report.share) and data["version"] == 1
    assert data["named"] == report.named and data["rows"] == 3_000
    features = {f["feature"]: f for f in data["features"] if f["test"] not in ("missing",)}
    worst = features[report.drifted[0]]
    assert worst["drifted"] and worst["statistics"]["psi"]["statistic"] > 0.1
    assert data["prediction"]["feature"] == "__prediction__"
    assert isinstance(data["prediction"]["drifted"], bool)
    assert data["multivariate"]["auc"] > 0.55 and data["multivariate"]["drifted"]
    assert data["values"]["drift.count"] == len(report.drifted)
    assert data["schema"] == [] and isinstance(data["notes"], list)


def test_drift_windows_and_drift_history_are_json(monitored: Monitor, tmp_path: Path) -> None:
    monitor = Monitor(copied(monitored.registry.home, tmp_path))
    timeline = as_json(monitor.drift_windows("churn@champion", every="1d"))  # stored
    assert timeline["every"] == "1d" and len(timeline["reports"]) == 3
    assert timeline["reports"][0]["window_start"] == "2026-11-20T00:00:00+00:00"
    assert not timeline["reports"][0]["drifted"] and timeline["reports"][2]["drifted"]
    history = as_json(monitor.history("churn"))
    assert history["model"] == "churn" and history["feature"] is None
    assert [check["window"] for check in history["checks"]] == [
        "2026-11-20",
        "2026-11-21",
        "2026-11-22",
    ]
    last = history["checks"][-1]
    assert last["version"] == 1 and last["rows"] == ROWS
    assert last["drifted"] == timeline["reports"][2]["drifted"]
    assert {row["check_id"] for row in history["rows"]} == {
        c["check_id"] for c in history["checks"]
    }
    one = as_json(monitor.history("churn", feature="prediction"))
    assert one["feature"] == "prediction" and {r["feature"] for r in one["rows"]} == {"prediction"}


def test_performance_is_json_with_an_undefined_metric_as_null(monitored: Monitor) -> None:
    report = monitored.performance("churn@champion", window="1d", save=False)
    data = as_json(report)
    by_day = {(m["window_start"], m["metric"]): m for m in data["metrics"]}
    first = by_day["2026-11-20T00:00:00+00:00", "accuracy"]
    assert 0.5 < first["value"] < 1 and first["ci_low"] < first["value"] < first["ci_high"]
    assert first["rows"] == ROWS and first["estimated"] is False
    undefined = by_day["2026-11-21T00:00:00+00:00", "f1"]
    assert undefined["value"] is None and undefined["ci_low"] is None
    assert "undefined" in undefined["note"]
    assert data["unlabelled"] > 0 and data["window"] == "1d"

    estimated = as_json(monitored.estimate("churn@champion", window="1d", save=False))
    guesses = [m for m in estimated["metrics"] if m["estimated"]]
    assert {m["metric"] for m in guesses} >= {"accuracy", "auc"}
    assert all(0 <= m["value"] <= 1 for m in guesses if m["value"] is not None)
    assert estimated["values"]["estimated.accuracy"] == pytest.approx(
        [m for m in guesses if m["metric"] == "accuracy"][-1]["value"]
    )


def test_alert_rules_a_check_and_the_alert_log_are_json(monitored: Monitor, tmp_path: Path) -> None:
    monitor = Monitor(copied(monitored.registry.home, tmp_path))
    target = f"webhook:http://ana:{SECRET}@127.0.0.1:{free_port()}/hook"  # nothing listens
    rule = as_json(monitor.add_alert("churn@champion", "drift.share > 0.1", notify=[target]))
    assert rule["expression"] == "drift.share > 0.1" and rule["state"] == "ok"
    assert rule["ref"] == "churn@champion" and rule["notify"] == [rule["notify"][0]]
    assert "ana:" in rule["notify"][0] and SECRET not in json.dumps(rule)
    assert as_json(monitor.alerts("churn"))["rows"] == [rule]

    shifted = synthetic.features(3_000, shifted=True, seed=8)
    checked = monitor.check("churn@champion", shifted, multivariate=False)
    data = as_json(checked)
    assert SECRET not in json.dumps(data)
    assert data["check_id"] == checked.check_id and data["version"] == 1
    assert [a["expression"] for a in data["alerts"]] == ["drift.share > 0.1"]
    assert data["alerts"][0]["kind"] == "fired" and data["firing"] == ["drift.share > 0.1"]
    assert data["failed_deliveries"][0]["delivered"] is False
    assert data["failed_deliveries"][0]["error"] and data["recoveries"] == []
    assert data["values"]["drift.share"] == pytest.approx(checked.drift.share)
    assert data["drift"]["drifted"] == checked.drift.drifted
    assert data["evaluations"][0]["state"] == "firing"
    assert data["evaluations"][0]["rule"]["notify"] == rule["notify"]

    log = as_json(monitor.alert_log("churn"))["rows"]
    assert [(e["kind"], e["delivered"]) for e in log] == [("fired", False)]
    assert log[0]["values"] == {"drift.share": pytest.approx(checked.drift.share)}
    assert log[0]["targets"] == rule["notify"] and SECRET not in json.dumps(log)
    assert as_json(monitor.remove_alert(rule["id"]))["id"] == rule["id"]


def test_drift_settings_compactions_and_figures_are_json(
    monitored: Monitor, tmp_path: Path
) -> None:
    monitor = Monitor(copied(monitored.registry.home, tmp_path))
    settings = monitor.configure("churn", "n0", test="psi", threshold=0.3)
    assert json.loads(json.dumps(jsonable(settings), allow_nan=False)) == {
        "n0": {"test": "psi", "threshold": 0.3}
    }
    merged = as_json(compact(monitor.registry.home, "churn"))["rows"]
    predictions = [m for m in merged if m["kind"] == "predictions"]
    assert [(m["day"], m["files_before"], m["files_after"], m["rows"]) for m in predictions] == [
        (day, 2, 1, ROWS) for day in ("2026-11-20", "2026-11-21", "2026-11-22")
    ]
    labels = [m for m in merged if m["kind"] == "labels"]  # logged today: one day of them
    assert [(m["files_before"], m["files_after"]) for m in labels] == [(4, 1)]

    days = pd.date_range(DAY, periods=3, freq="D")
    figure = go.Figure(go.Scatter(x=days, y=[0.9, float("nan"), 0.8], name="auc"))
    figure.update_layout(title="auc per day")
    summary = as_json(FigureSummary(figure))
    assert summary["title"] == "auc per day"
    trace = summary["traces"][0]
    assert (trace["trace"], trace["points"], trace["last_y"]) == ("auc", 3, 0.8)
    assert trace["first_x"].startswith("2026-11-20")
    assert "auc per day" in repr(FigureSummary(figure))  # a terminal's view of the same figure
