"""A registry on a disk that fills up under a running server (a real 64 MB tmpfs): what
unauthenticated clients are told, and what a stop keeps of the rows it could not write."""

from __future__ import annotations

import json
import re
import shutil
import urllib.request
from pathlib import Path

import pytest

from jupyter_mlops import Registry
from jupyter_mlops.deploying import deploy, deployments, undeploy
from jupyter_mlops.errors import StorageError
from jupyter_mlops.monitoring import logs
from jupyter_mlops.serving.app import ModelServer, token_hash
from tests.conftest import free_port, logged_ids
from tests.serving.test_app import TOKEN, call, records, serving
from tests.serving.test_hostile import wait_for

REF = "diagnosis@champion"


@pytest.fixture
def registry(disk, dataset, fitted) -> Registry:
    X, y = dataset
    found = Registry(disk.mount / "registry")
    found.register("diagnosis", fitted, X=X, y=y)
    found.promote("diagnosis", 1)
    return found


def predict(url: str, token: str, rows: list[dict]) -> list[str]:
    request = urllib.request.Request(
        f"{url}/predict",
        data=json.dumps({"records": rows}).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        return list(json.loads(answer.read())["request_ids"])


def test_a_full_disk_is_told_to_anyone_without_a_path_and_to_the_token_holder_with_it(
    registry: Registry, disk, dataset
) -> None:
    X, _ = dataset
    server = ModelServer(registry, REF, token_sha256=token_hash(TOKEN), log_rows=10)
    with serving(server, registry) as running:
        disk.fill(leave=0)
        statuses = [call(f"{running.url}/predict", records(X.iloc[:10]))[0] for _ in range(11)]
        assert statuses == [200] * 10 + [503]  # room for 100 rows while the log cannot be written
        status, refused = call(f"{running.url}/predict", records(X.iloc[:1]))
        assert status == 503
        assert refused["message"] == (
            "the predictions log of diagnosis cannot be written (the disk is full) and 100 rows "
            "wait; requests are answered again once it can be written."
        )
        health = call(f"{running.url}/health", token=None)[1]
        assert health["status"] == "degraded"
        assert health["reason"] == (
            "the predictions log cannot be written (the disk is full); 100 rows wait in memory "
            "and are retried"
        )
        problem = call(f"{running.url}/metadata")[1]["log_problem"]
        assert problem.startswith(
            f"the predictions log of diagnosis cannot be written under {registry.home / 'logs'} "
            f"(StorageError: cannot write the predictions log of diagnosis: the disk under "
        )
        disk.free()
        wait_for(
            lambda: call(f"{running.url}/health", token=None)[1]["status"] == "ok",
            "the log recovers",
        )
        assert call(f"{running.url}/metadata")[1]["log_problem"] is None
    assert len(logged_ids(registry.home, "diagnosis")) == 100


def test_a_stop_on_a_full_disk_saves_the_rows_elsewhere_and_says_it_stopped_unrecorded(
    registry: Registry, disk, dataset
) -> None:
    X, _ = dataset
    started = deploy(registry, REF, port=free_port())
    assert started.token
    disk.fill(leave=0)  # the log, the registry and the server's own stderr file: all full
    answered: list[str] = []
    for start in range(0, 500, 5):
        answered += predict(
            started.url, started.token, X.iloc[start : start + 5].to_dict("records")
        )

    with pytest.raises(StorageError) as unrecorded:
        undeploy(registry, REF)

    home = registry.home
    message = str(unrecorded.value)
    assert message.startswith(
        f"deployment 1 of {REF} has stopped, but its stop could not be recorded (the disk is "
        f"full under {str(home)!r}); once the registry can be written, undeploy 1 records it "
        "(until then deployments lists it as dead). 500 rows of the predictions log of "
        f"diagnosis could not be written under {home / 'logs'} (the disk is full): 500 were "
        "saved to "
    )
    [saved] = re.findall(r"500 were saved to (\S+)/logs; copy that folder into ", message)
    try:
        assert message.endswith(f"(cp -rn {saved}/logs {home}/) once it has room.")
        assert [d.status for d in deployments(registry)] == ["dead"]  # stopped, unrecorded
        assert logged_ids(Path(saved), "diagnosis") == sorted(answered)
        assert not logs.has_log(home, logs.PREDICTIONS, "diagnosis")

        disk.free()
        again = undeploy(registry, "1")  # records the stop now that the disk has room
        assert [(d.id, d.status) for d in again] == [(1, "stopped")]
        assert again.notes[0] == (
            f"deployment 1 of {REF} was not running (its process had exited); marked stopped."
        )
        assert again.notes[1:] == [message[message.index("500 rows") :]]  # until copied back
        shutil.copytree(Path(saved) / "logs", home / "logs", dirs_exist_ok=True)
        assert logged_ids(home, "diagnosis") == sorted(answered)
    finally:
        shutil.rmtree(saved)
