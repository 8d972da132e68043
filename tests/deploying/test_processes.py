"""What undeploy may stop: a process proven to be the server, a server that answers as
itself at its URL, and nothing else (real servers, real bystander processes, real HTTP)."""

from __future__ import annotations

import ipaddress
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from jupyter_mlops import Registry
from jupyter_mlops.clock import utc_now
from jupyter_mlops.deploying import deploy, deployments, processes, undeploy
from jupyter_mlops.errors import ConflictError
from jupyter_mlops.store import deployments as sql
from tests.conftest import free_port, logged_ids

REF = "diagnosis@champion"
ELSEWHERE = "elsewhere.example"

# a process of ours with nothing to do with serving, which survives SIGTERM and notes each
BYSTANDER = """
import signal, sys, time
signal.signal(signal.SIGTERM, lambda *_: open(sys.argv[1], "a").write("SIGTERM\\n"))
print("ready", flush=True)
while True:
    time.sleep(1)
"""


@dataclass
class Bystander:
    process: subprocess.Popen[str]
    received: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def untouched(self) -> bool:
        """Still running, and never sent SIGTERM."""
        return self.process.poll() is None and not self.received.exists()


@pytest.fixture
def bystander(tmp_path: Path) -> Iterator[Bystander]:
    received = tmp_path / "bystander-signals.txt"
    process = subprocess.Popen(
        [sys.executable, "-c", BYSTANDER, str(received)], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None and process.stdout.readline().strip() == "ready"
    yield Bystander(process, received)
    process.kill()
    process.wait()


def routable_address() -> str:
    """An address of this machine that is not loopback: what another machine would use."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # chooses a source address; sends nothing
            address = str(probe.getsockname()[0])
        except OSError:
            address = "127.0.0.1"
    if ipaddress.ip_address(address).is_loopback:
        pytest.skip("this machine has no address but loopback")
    return address


def row_of(registry: Registry, deployment_id: int) -> dict[str, Any]:
    with registry.db.read() as conn:
        rows = sql.deployments_of(conn, model=None, running_only=False)
    return next(row for row in rows if row["id"] == deployment_id)


def moved(registry: Registry, deployment_id: int, **changes: Any) -> None:
    """Replace a server's record by one that says `changes` (through the store, as a
    server writes its record): the original is closed, a copy with the changes opened."""
    row = row_of(registry, deployment_id)
    copy = {k: v for k, v in row.items() if k not in ("id", "stopped_at", "copied_from")}
    with registry.db.write() as conn:
        sql.mark_stopped(conn, deployment_id, at=utc_now())
        sql.insert_deployment(conn, {**copy, **changes})


def recorded(registry: Registry, **fields: Any) -> None:
    """A deployment record with no server behind it, as an older server wrote them."""
    record = {
        "model": "diagnosis",
        "ref": REF,
        "host": "127.0.0.1",
        "port": free_port(),
        "machine": socket.gethostname(),
        "token_sha256": "0" * 64,
        "started_at": utc_now(),
        "started_by": "someone",
        **fields,
    }
    with registry.db.write() as conn:
        sql.insert_deployment(conn, record)


def exit_code(pid: int, timeout: float = 30.0) -> int:
    """The exit code of our child `pid`, once it has exited."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        reaped, status = os.waitpid(pid, os.WNOHANG)
        if reaped:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.05)
    raise AssertionError(f"pid {pid} did not exit within {timeout} s")


def post(url: str, *, token: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body or {}).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read())


def test_a_crashed_servers_pid_held_by_another_process_is_not_signalled(
    registry: Registry, bystander: Bystander
) -> None:
    crashed = deploy(registry, REF, port=free_port())
    os.kill(crashed.pid, signal.SIGKILL)
    assert exit_code(crashed.pid) == -signal.SIGKILL  # reaped: its pid is anyone's now
    moved(registry, crashed.id, pid=bystander.pid)  # and the bystander has it
    assert [d.status for d in deployments(registry, running_only=True)] == ["dead"]

    stopped = undeploy(registry, REF)

    assert stopped.notes == [
        f"deployment 2 of {REF} was not running (pid {bystander.pid} now belongs to another "
        "process, which was not signalled); marked stopped."
    ]
    assert bystander.untouched()
    assert [(d.id, d.status) for d in stopped] == [(2, "stopped")]  # what was stopped, alone


def test_a_server_on_another_machine_is_stopped_over_http_never_signalled_here(
    registry: Registry, bystander: Bystander, dataset
) -> None:
    X, _ = dataset
    started = deploy(registry, REF, host=routable_address(), port=free_port())
    assert started.token
    try:
        rows = {"records": X.iloc[:5].to_dict("records")}
        ids = post(f"{started.url}/predict", token=started.token, body=rows)["request_ids"]
        with pytest.raises(urllib.error.HTTPError) as refused:  # the token does not stop it
            post(f"{started.url}/shutdown", token=started.token)
        assert refused.value.code == 403
        moved(registry, started.id, machine=ELSEWHERE, pid=bystander.pid)

        stopped = undeploy(registry, REF)

        assert stopped.notes == []
        assert exit_code(started.pid) == 0  # it shut down gracefully, as on SIGTERM
    finally:  # a failure leaves no server behind (and kills nothing that reused its pid)
        if processes.is_ours(started.machine, started.pid, started.process_start):
            os.kill(started.pid, signal.SIGKILL)
    assert bystander.untouched()
    assert set(ids) <= set(logged_ids(registry.home, "diagnosis"))
    assert [(d.id, d.status) for d in stopped] == [(2, "stopped")]


@pytest.mark.parametrize("bound", ["loopback", "routable"])
def test_a_server_on_another_machine_that_cannot_be_asked_is_refused_saying_where(
    registry: Registry, bystander: Bystander, bound: str
) -> None:
    host = "127.0.0.1" if bound == "loopback" else routable_address()
    recorded(registry, machine=ELSEWHERE, host=host, pid=bystander.pid)
    why = {
        "loopback": "127.0.0.1 is an address only that machine can use",
        "routable": "does not answer as itself from here",
    }[bound]
    with pytest.raises(ConflictError) as refused:
        undeploy(registry, REF)
    assert str(refused.value).startswith(f"deployment 1 of {REF} (pid {bystander.pid}, ")
    assert str(refused.value).endswith(
        f"runs on {ELSEWHERE} and {why}, so it was not stopped; undeploy it on {ELSEWHERE}."
    )
    assert bystander.untouched()
    # not stopped, as far as anyone knows: it is only not to be asked from here
    assert [d.status for d in deployments(registry)] == ["unreachable from here"]


def test_a_record_without_a_start_time_is_not_signalled_on_this_machine(
    registry: Registry, bystander: Bystander
) -> None:
    recorded(registry, pid=bystander.pid)  # by a server older than process start times
    with pytest.raises(ConflictError, match=rf"stop it \(kill {bystander.pid}\) and undeploy"):
        undeploy(registry, REF)
    assert bystander.untouched()
