"""Deployments as JSON: what deploy, deployments and undeploy return, written strictly by
json.dumps and read back unchanged, with the token only where deploy hands it out."""

from __future__ import annotations

import json
from datetime import UTC
from typing import Any

from jupyter_mlops import Registry
from jupyter_mlops.deploying import deploy, deployments, undeploy
from jupyter_mlops.store import deployments as sql
from tests.conftest import free_port


def round_trip(result: Any) -> dict[str, Any]:
    text = json.dumps(result.to_dict(), allow_nan=False)
    data = json.loads(text)
    assert data == result.to_dict()
    return data


def test_deploy_deployments_and_undeploy_round_trip_through_json(registry: Registry) -> None:
    port = free_port()
    started = deploy(registry, "diagnosis@champion", port=port)
    try:
        fresh = round_trip(started)
        listed = round_trip(deployments(registry))
    finally:
        stopped = round_trip(undeploy(registry, started.id))
    with registry.db.read() as conn:
        stop_key = sql.deployment(conn, started.id)["stop_key"]

    assert fresh["token"] == started.token  # the one chance to read it
    assert fresh["url"] == f"http://127.0.0.1:{port}" and fresh["status"] == "running"
    assert fresh["ref"] == "diagnosis@champion" and fresh["pid"] == started.pid
    assert fresh["started_at"] == started.started_at.replace(tzinfo=UTC).isoformat()

    [running] = listed["deployments"]
    assert "token" not in running and running["status"] == "running"
    assert running["id"] == started.id and running["version"] == 1
    assert listed["notes"] == []

    [gone] = stopped["deployments"]
    assert gone["status"] == "stopped" and gone["stopped_at"] is not None
    assert "token" not in gone and gone["version"] == 1

    for data in (fresh, listed, stopped):
        assert stop_key not in json.dumps(data) and "stop_key" not in json.dumps(data)
