"""Servers of one shared registry on several machines: listed from another machine at the
address they recorded, stopped from there through their /shutdown, never by a pid. Two
machines on one box are two names ($MLOPS_HOSTNAME, refused when no host could have it); the
catalog is a real PostgreSQL, the servers real processes answering real HTTP."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from jupyter_mlops import Monitor, Registry
from jupyter_mlops.deploying import Deployment, deploy, deployments, processes, undeploy
from jupyter_mlops.errors import InvalidArgumentError
from tests.conftest import free_port, wait_for
from tests.postgres import Cluster

REF = "diagnosis@champion"
ELSEWHERE = "another-machine.example"
PASSWORD = "never-shown"
CLI = str(Path(sys.executable).parent / "jupyter-mlops")


@pytest.fixture(scope="module")
def shared(
    postgres: Cluster, tmp_path_factory: pytest.TempPathFactory, dataset, fitted
) -> Registry:
    """A shared registry whose URL holds a password, with diagnosis v1 as champion."""
    X, y = dataset
    url = postgres.url(postgres.new_schema(), password=PASSWORD)
    found = Registry(url, data_path=tmp_path_factory.mktemp("shared") / "data")
    found.register("diagnosis", fitted, X=X, y=y)
    found.promote("diagnosis", 1)
    return found


def network_address() -> str:
    """An address of this machine that other machines would reach it at, whatever its host
    name: the one its default route leaves from (finding it sends no packet), else the
    address its host name resolves to."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("198.51.100.1", 9))  # TEST-NET-2: reached by the default route only
            return str(probe.getsockname()[0])
        except OSError:  # no default route
            pass
    try:
        return str(socket.getaddrinfo(socket.gethostname(), None)[0][4][0])
    except OSError:
        pytest.skip("this machine has no default route and its host name does not resolve")


@pytest.fixture
def server(shared: Registry) -> Iterator[Deployment]:
    """A server of the shared registry on this machine, bound to an address of it that other
    machines would use."""
    started = deploy(shared, REF, host=network_address(), port=free_port())
    yield started
    if processes.process_start(started.pid) == started.process_start:  # a failed test's
        os.kill(started.pid, signal.SIGKILL)
        os.waitpid(started.pid, 0)


def exit_code(pid: int) -> int:
    """The exit code of our child `pid`, once it has exited."""
    status: list[int] = []

    def exited() -> bool:
        reaped, code = os.waitpid(pid, os.WNOHANG)
        status.append(code)
        return reaped != 0

    wait_for(exited, f"pid {pid} to exit", every=0.05)
    return os.waitstatus_to_exitcode(status[-1])


def stop_with(url: str, key: str) -> None:
    request = urllib.request.Request(
        f"{url}/shutdown", method="POST", headers={"Authorization": f"Bearer {key}"}
    )
    with urllib.request.urlopen(request, timeout=10):
        pass


def test_a_server_elsewhere_is_listed_with_what_it_serves_and_unreachable_once_gone(
    shared: Registry, server: Deployment, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert server.url == f"http://{network_address()}:{server.port}"
    command_line = Path(f"/proc/{server.pid}/cmdline").read_bytes().split(b"\0")
    assert b"--data-path" in command_line and PASSWORD.encode() not in b" ".join(command_line)
    env = {**os.environ, "MLOPS_HOSTNAME": ELSEWHERE}
    home = ["--home", shared.location, "--data-path", str(shared.home)]
    listed = subprocess.run(
        [CLI, *home, "deployments"], env=env, capture_output=True, text=True, timeout=60
    )
    assert listed.returncode == 0, listed.stderr
    [row] = [line.split() for line in listed.stdout.splitlines() if REF in line]
    assert row[1:3] == [REF, "1"] and server.url in row and "running" in row  # serves v1
    assert PASSWORD not in listed.stdout + listed.stderr

    os.kill(server.pid, signal.SIGKILL)  # the registry is not told
    os.waitpid(server.pid, 0)

    [here] = [d for d in deployments(shared) if d.id == server.id]
    assert here.status == "dead"  # this machine proves its process gone
    monkeypatch.setenv("MLOPS_HOSTNAME", ELSEWHERE)
    there = [d for d in deployments(shared) if d.id == server.id]
    assert [(d.status, d.version) for d in there] == [("unreachable from here", None)]
    assert "unreachable from here" in str(deployments(shared))


def test_undeploy_elsewhere_stops_the_server_with_its_stop_key_and_records_who(
    shared: Registry, server: Deployment, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLOPS_HOSTNAME", ELSEWHERE)
    with pytest.raises(urllib.error.HTTPError) as refused:
        stop_with(server.url, "not-the-stop-key")
    assert refused.value.code == 403
    [still] = [d for d in deployments(shared) if d.id == server.id]
    assert (still.status, still.version, still.stopped_by) == ("running", 1, None)

    [stopped] = undeploy(shared, server.id)

    assert exit_code(server.pid) == 0  # it shut down gracefully, as asked at /shutdown
    assert (stopped.status, stopped.stopped_by) == ("stopped", shared.db.role())
    [kept] = [d for d in deployments(shared) if d.id == server.id]
    assert (kept.version, kept.requests) == (1, 0)  # what the server said as it stopped
    assert shared.db.role() in str(deployments(shared))


def test_a_server_bound_to_every_interface_is_reached_at_its_machines_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MLOPS_HOSTNAME", "box-a.example")
    assert processes.published_address("0.0.0.0") == "box-a.example"
    assert processes.published_address("::") == "box-a.example"
    assert processes.published_address("10.0.0.7") == "10.0.0.7"
    assert processes.local_address("::") == "::1"


@pytest.mark.parametrize(
    "name",
    ["box/a", "box a", "box\x01a", "b" * 65, "x@y:1", 'evil";$(id)#'],
    ids=["slash", "space", "control", "long", "url", "shell"],
)
def test_a_machine_name_that_no_host_has_is_refused_in_one_sentence(
    name: str, shared: Registry, registry: Registry, dataset
) -> None:
    """$MLOPS_HOSTNAME goes into records and log file names: refused before a server starts
    or a log is written, by the command line as by Python."""
    env = {**os.environ, "MLOPS_HOSTNAME": name}
    port = str(free_port())
    for command in (["deploy", REF, "--port", port], ["serve", REF, "--port", port]):
        done = subprocess.run(
            [CLI, "--home", str(registry.home), *command],
            env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        message = done.stderr.strip()
        assert done.returncode == 2 and len(message.splitlines()) == 1, done.stderr
        assert message.startswith("jupyter-mlops: MLOPS_HOSTNAME") and "Traceback" not in message
        assert message.count(". ") == 0 and "set it to this machine's name" in message
    assert [d.id for d in deployments(registry)] == []  # no server was started
    X, _ = dataset
    logs_before = sorted(shared.home.rglob("*.parquet"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLOPS_HOSTNAME", name)
        with pytest.raises(InvalidArgumentError, match="MLOPS_HOSTNAME"):
            Monitor(shared).log_predictions(REF, X.iloc[:5])  # segments named by machine
    assert sorted(shared.home.rglob("*.parquet")) == logs_before


def test_two_machines_serving_an_alias_on_one_port_keep_a_log_each(
    shared: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A shared registry's data folder is every machine's: a server's log there is named by
    its machine too, so the same alias served on the same port by two machines (two names of
    this box, one after the other) writes two logs, not one both append to."""
    port, logs = free_port(), shared.home / "logs" / "servers"
    for machine in ("box-a", "box-b"):
        monkeypatch.setenv("MLOPS_HOSTNAME", machine)
        started = deploy(shared, REF, port=port)
        [stopped] = undeploy(shared, started.id)
        assert stopped.status == "stopped"
    names = {f"diagnosis-champion-{machine}-{port}.log" for machine in ("box-a", "box-b")}
    assert {p.name for p in logs.glob(f"*-{port}.log")} == names
