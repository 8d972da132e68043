"""A registry whose write lock another real process holds: a POST waits for it in the
extension's pool of writers, not on the server's event loop nor in the pool of readers, so
the server and the reads of the API keep answering meanwhile, however many POSTs wait;
past `lock_timeout` the POST answers 503 naming the holder and the server's own setting. On a
shared registry the lock is PostgreSQL's, and the reads (the registry route's role too) still
never wait for it."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest

from jupyter_mlops.registry import Registry
from tests.postgres import Cluster

PROMOTE = {"version": 1, "alias": "champion", "reason": "back to the first"}
HOLD = {
    "file": """
import sys
from pathlib import Path
from jupyter_mlops.config import REGISTRY_FILE
from jupyter_mlops.store import Database, locks
database = Database(Path(sys.argv[1]) / REGISTRY_FILE)
with locks.exclusive(database.lock_path, timeout=10, what="the registry"):
    print("locked", flush=True)
    sys.stdin.readline()
print("released", flush=True)
""",
    "lake": """
import sys
from jupyter_mlops import Registry
with Registry(sys.argv[1], data_path=sys.argv[2]).db.write():
    print("locked", flush=True)
    sys.stdin.readline()
print("released", flush=True)
""",
}


@pytest.fixture
def holder(registry: Registry, backend: str) -> Iterator[subprocess.Popen[str]]:
    """A process holding the registry's write lock (a shared registry's: its PostgreSQL
    lock) until it reads a line."""
    given = [str(registry.home)]
    if registry.shared:
        given = [str(registry.location), *given]
    held = subprocess.Popen([sys.executable, "-c", HOLD[backend], *given],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)  # fmt: skip
    assert held.stdout is not None
    assert held.stdout.readline().strip() == "locked"
    yield held
    held.kill()
    held.wait()


async def until_a_write_waits_in(postgres: Cluster, *, seconds: float = 60) -> None:
    """Once a session of `postgres` waits for a lock (a shared registry's writer lock, a row
    lock), while the server under test goes on serving."""
    waiting = "SELECT count(*) FROM pg_locks WHERE NOT granted"
    deadline = time.monotonic() + seconds
    while postgres.execute(waiting)[0][0] == 0:
        assert time.monotonic() < deadline, f"waited {seconds} s for a write to wait"
        await asyncio.sleep(0.05)


def release(held: subprocess.Popen[str]) -> None:
    assert held.stdin is not None and held.stdout is not None
    held.stdin.write("go\n")
    held.stdin.flush()
    assert held.stdout.readline().strip() == "released"


@pytest.mark.parametrize("lock_timeout", [60.0])
async def test_a_waiting_post_leaves_the_server_answering(
    api: Any, jp_fetch: Any, holder: subprocess.Popen[str]
) -> None:
    waiting = asyncio.ensure_future(api("models/churn/promote", PROMOTE))
    assert (await jp_fetch("api", "status")).code == 200
    status, fleet = await api("models")
    assert status == 200 and {m["name"] for m in fleet["models"]} == {"churn", "fraud"}
    assert (await api("models/churn/aliases"))[1]["aliases"] == {"champion": 2}
    # the lock is still held, so the POST can only be waiting for it
    assert not waiting.done()
    release(holder)
    status, moved = await waiting
    assert status == 200 and moved["to_version"] == 1


@pytest.mark.backends("file", "lake")
@pytest.mark.parametrize("lock_timeout", [0.5])
async def test_a_post_past_the_lock_timeout_is_503_naming_the_holder(
    api: Any, holder: subprocess.Popen[str]
) -> None:
    status, refusal = await api("models/churn/promote", PROMOTE)
    assert (status, refusal["error"]) == (503, "busy")
    assert f"process {holder.pid}" in refusal["message"]
    assert refusal["message"].endswith(
        "stop that process or raise c.MlopsExtension.lock_timeout."
    )  # the server's own setting: it does not read MLOPS_LOCK_TIMEOUT
    assert (await api("models/churn/aliases"))[1]["aliases"] == {"champion": 2}


@pytest.mark.backends("file", "lake")
@pytest.mark.parametrize("lock_timeout", [60.0])
async def test_reads_never_queue_behind_writes_waiting_for_the_lock(
    api: Any, holder: subprocess.Popen[str], registry: Registry, request: pytest.FixtureRequest
) -> None:
    waiting = [
        asyncio.ensure_future(api("models/churn/promote", {**PROMOTE, "reason": f"try {n}"}))
        for n in range(8)  # twice the threads of a pool
    ]
    if registry.shared:  # PostgreSQL shows a write waiting for its lock: read once one does
        await until_a_write_waits_in(request.getfixturevalue("postgres"))
    for path in ("models", "models/churn/history", "alerts", "registry"):
        assert (await api(path))[0] == 200, path
    # every write is still waiting for the lock, so no read waited for one of them
    assert not any(post.done() for post in waiting)
    release(holder)
    answers = await asyncio.gather(*waiting)
    assert [status for status, _ in answers] == [200] * 8


async def test_a_request_while_the_server_stops_answers_503_not_a_bug(
    api: Any, jp_serverapp: Any
) -> None:
    (extension,) = jp_serverapp.extension_manager.extension_apps["jupyter_mlops.server"]
    extension.access.stop()  # what stopping the extension does first
    for status, refusal in (await api("models"), await api("models/churn/promote", PROMOTE)):
        assert (status, refusal["error"]) == (503, "unavailable")
        assert "the Jupyter server is stopping" in refusal["message"]
