"""Every route of the REST API on a real server and registry, answering as the contract
with the JupyterLab panel says (its filters and limits too); POSTs change the registry."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from jupyter_mlops import __version__
from jupyter_mlops.monitoring.health import HEALTHS
from jupyter_mlops.registry import Registry
from tests.conftest import recorded_user


async def test_the_registry_route_says_where_and_that_it_exists(api: Any, home: Path) -> None:
    status, found = await api("registry")
    assert status == 200
    assert found == {"home": str(home), "shared": False, "exists": True, "data_path": None,
                     "role": None, "version": __version__}  # fmt: skip
    assert os.environ["MLOPS_HOME"] == str(home)  # kernels started now open the same registry


@pytest.mark.backends("file", "lake")
async def test_models_lists_the_fleet_with_health_and_filters(api: Any) -> None:
    status, fleet = await api("models")
    assert status == 200 and fleet["total"] == 2
    churn, fraud = sorted(fleet["models"], key=lambda m: m["name"])
    assert churn["aliases"] == {"champion": 2} and churn["latest"] == 2
    assert churn["last_check"]["version"] == 2 and churn["health"] in HEALTHS
    assert fraud["health"] == "never checked" and fraud["last_check"] is None
    _, named = await api("models", name="FRA")
    assert [m["name"] for m in named["models"]] == ["fraud"]
    assert named["filters"] == {"name": "FRA", "health": None}
    _, unchecked = await api("models", health="never checked")
    assert [m["name"] for m in unchecked["models"]] == ["fraud"]


@pytest.mark.backends("file", "lake")
async def test_versions_aliases_and_history_of_a_model(api: Any) -> None:
    _, versions = await api("models/churn/versions")
    assert [(v["version"], v["aliases"]) for v in versions["rows"]] == [(1, []), (2, ["champion"])]
    assert versions["rows"][1]["metrics"]["auc"] == 0.9
    assert await api("models/churn/aliases") == (
        200,
        {"model": "churn", "aliases": {"champion": 2}},
    )
    assert await api("models/fraud/aliases") == (200, {"model": "fraud", "aliases": {}})
    _, history = await api("models/churn/history", alias="champion")
    moves = [(r["from_version"], r["to_version"], r["reason"]) for r in history["rows"]]
    assert moves == [(None, 1, "first model"), (1, 2, "better AUC")]


async def test_checks_give_the_drift_history_of_a_feature_and_the_newest_checks(api: Any) -> None:
    _, every = await api("models/churn/checks")
    assert len(every["checks"]) == 2 and every["feature"] is None
    _, newest = await api("models/churn/checks", limit="1")
    assert [c["check_id"] for c in newest["checks"]] == [every["checks"][-1]["check_id"]]
    _, one = await api("models/churn/checks", feature="n0")
    assert one["feature"] == "n0" and {r["feature"] for r in one["rows"]} == {"n0"}


async def test_deployments_and_alerts_of_every_model_or_one(api: Any) -> None:
    assert await api("deployments") == (200, {"deployments": [], "notes": []})
    assert await api("deployments", model="churn") == (200, {"deployments": [], "notes": []})
    status, alerts = await api("alerts")
    assert status == 200
    assert [(a["model"], a["kind"]) for a in alerts["rows"]] == [("churn", "fired")]
    assert alerts["rows"][0]["values"]["drift.share"] > 0.1
    assert (await api("alerts", model="fraud"))[1] == {"rows": []}
    assert len((await api("alerts", model="churn", limit="1"))[1]["rows"]) == 1


async def test_plans_say_what_an_action_would_change_or_why_it_is_refused(api: Any) -> None:
    status, promote = await api("models/churn/plan", {"action": "promote", "version": 1})
    assert status == 200 and promote["allowed"] and promote["alias"] == "champion"
    assert (promote["from_version"], promote["to_version"]) == (2, 1)
    _, rollback = await api("models/churn/plan", {"action": "rollback", "alias": "champion"})
    assert rollback["allowed"] and rollback["to_version"] == 1
    _, archive = await api("models/churn/plan", {"action": "archive", "version": 2})
    assert not archive["allowed"] and archive["refusal_kind"] == "conflict"
    assert "champion" in archive["refusal"]
    # a plan changes nothing
    assert await api("models/churn/aliases") == (
        200,
        {"model": "churn", "aliases": {"champion": 2}},
    )


@pytest.mark.backends("file", "lake")
async def test_promote_rollback_and_archive_change_the_registry(
    api: Any, registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLOPS_USER", "ana")
    challenger = {"version": 1, "alias": "challenger", "reason": "try it"}
    status, moved = await api("models/churn/promote", challenger)
    assert status == 200 and (moved["alias"], moved["to_version"]) == ("challenger", 1)
    status, back = await api("models/churn/rollback", {"reason": "worse", "expect": 2})
    assert status == 200 and (back["from_version"], back["to_version"]) == (2, 1)
    status, archived = await api("models/fraud/archive", {"version": 1, "reason": "retired"})
    assert status == 200 and archived["status"] == "archived"
    assert dict(registry.model_aliases("churn")) == {"champion": 1, "challenger": 1}
    assert registry.get("fraud:1").status == "archived"
    newest = registry.history("churn", "champion")[-1]
    assert (newest.reason, newest.moved_by) == ("worse", recorded_user(registry, "ana"))


async def test_a_move_says_whether_the_sidebar_or_another_client_made_it(
    api: Any, jp_fetch: Any, registry: Registry
) -> None:
    status, moved = await api("models/churn/promote", {"version": 1, "reason": "try it"})
    assert status == 200 and moved["evidence"] == {"via": "rest api"}  # a token names no one
    assert moved["moved_by"]  # the core's: MLOPS_USER, else the OS user
    answer = await jp_fetch(
        "mlops/api/models/churn/rollback", method="POST", raise_error=False,
        body=json.dumps({"reason": "worse", "to": 2}),
        headers={"X-Mlops-Client": "jupyterlab-sidebar"},
    )  # fmt: skip
    back = json.loads(answer.body)
    assert answer.code == 200 and set(back["evidence"]) == {"via", "undoes_event"}
    trail = registry.history("churn", "champion")
    assert [(e.evidence or {}).get("via") for e in trail[-2:]] == ["rest api", "jupyterlab"]


async def test_a_move_is_refused_when_mlops_user_would_forge_the_history(
    api: Any, registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    for user in ("ana\n2026-01-01 champion 1 -> 9 by admin", "\x1b[2Jana", "ana\u202enimda"):
        monkeypatch.setenv("MLOPS_USER", user)
        status, refusal = await api("models/churn/promote", {"version": 1, "reason": "try"})
        assert (status, refusal["error"]) == (400, "usage"), user
        assert refusal["message"].startswith("MLOPS_USER=") and "unset it" in refusal["message"]
    assert registry.model_aliases("churn") == {"champion": 2}


async def test_a_promote_to_where_the_alias_points_records_nothing(api: Any) -> None:
    status, unmoved = await api("models/churn/promote", {"version": 2, "reason": "again"})
    assert status == 200 and (unmoved["kind"], unmoved["changes"]) == ("unchanged", False)
    assert unmoved["note"] == (
        "churn@champion points at version 2 already; nothing changed, so no move was recorded."
    )
    _, history = await api("models/churn/history", alias="champion")
    assert [r["reason"] for r in history["rows"]] == ["first model", "better AUC"]
    _, planned = await api("models/churn/plan", {"action": "rollback"})
    status, back = await api("models/churn/rollback", {"reason": "worse", "to": 1})
    assert planned["to_version"] == 1 and status == 200 and back["to_version"] == 1
