"""Deployments as a user runs them: started in the background, listed, stopped, found dead."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from IPython.core.interactiveshell import InteractiveShell

from jupyter_mlops import Monitor, Registry
from jupyter_mlops.deploying import deploy, deployments, undeploy
from jupyter_mlops.errors import (
    InvalidArgumentError,
    MlopsError,
    NotFoundError,
    UnavailableError,
)
from jupyter_mlops.registry.capture import process_gone
from tests.conftest import closed, free_port, logged_ids, wait_for

CLI = str(Path(sys.executable).parent / "jupyter-mlops")


def predict(url: str, token: str, rows: list[dict]) -> dict:
    request = urllib.request.Request(
        f"{url}/predict",
        data=json.dumps({"records": rows}).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read())


def test_deploy_predict_undeploy_and_nothing_answered_is_lost(registry: Registry, dataset) -> None:
    X, _ = dataset
    started = deploy(registry, "diagnosis@champion", port=free_port())
    try:
        assert started.status == "running" and started.token
        ids = []
        for start in range(0, 60, 6):
            ids += predict(
                started.url, started.token, X.iloc[start : start + 6].to_dict("records")
            )["request_ids"]
        with pytest.raises(urllib.error.HTTPError):
            predict(started.url, started.token, [{"not": "a feature"}])
        [listed] = deployments(registry)
        assert (listed.status, listed.version, listed.requests, listed.errors) == (
            "running",
            1,
            10,
            1,
        )
        assert "diagnosis@champion" in str(deployments(registry))
    finally:
        stopped = undeploy(registry, "diagnosis")  # a bare name: what serves its champion
    assert [d.status for d in stopped] == ["stopped"]
    assert stopped.notes == []  # stopped by SIGTERM in time, not found gone nor killed
    [kept] = deployments(registry)  # a stopped server keeps what it served and its counters
    assert (kept.status, kept.version, kept.requests, kept.errors) == ("stopped", 1, 10, 1)
    shown = deployments(registry).to_frame().iloc[0]
    assert (shown["version"], shown["requests"], shown["errors"]) == (1, 10, 1)
    assert shown["up"].endswith("s")  # how long it served, until it stopped
    logged = Monitor(registry).drift("diagnosis@champion", window="1d", multivariate=False)
    assert logged.rows == len(ids) == 60
    assert logged.extra_columns == []  # the log's own columns are not taken for inputs


def test_a_killed_server_shows_as_dead(registry: Registry) -> None:
    started = deploy(registry, "diagnosis@champion", port=free_port())
    os.kill(started.pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while deployments(registry)[0].status != "dead" and time.monotonic() < deadline:
        with __import__("contextlib").suppress(ChildProcessError):
            os.waitpid(started.pid, os.WNOHANG)
        time.sleep(0.1)
    assert deployments(registry)[0].status == "dead"
    stopped = undeploy(registry, started.id)  # found gone: marked stopped, when unknown
    assert "was not running (its process had exited); marked stopped" in stopped.notes[0]
    shown = deployments(registry).to_frame().iloc[0]
    assert (shown["status"], shown["up"]) == ("stopped", "")  # not until it was noticed


def test_a_server_that_cannot_start_says_why_and_records_nothing(
    registry: Registry, subprocess_env: dict[str, str]
) -> None:
    """A port another program listens on, in the background and in the foreground: one
    sentence naming the address and why, and no deployment recorded as if it had served."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(UnavailableError) as refused:
            deploy(registry, "diagnosis@champion", port=port)
        foreground = subprocess.run(
            [sys.executable, "-m", "jupyter_mlops.cli", "--home", str(registry.home),
             "serve", "diagnosis@champion", "--port", str(port), "--token", "t"],
            capture_output=True, text=True, env=subprocess_env, timeout=120,
        )  # fmt: skip
    message = str(refused.value)
    assert re.match(r"the server exited with code \d+ before answering: cannot serve at ", message)
    assert f"127.0.0.1:{port} (Address already in use), so nothing was started" in message
    assert foreground.returncode == 9, foreground.stderr
    said = foreground.stderr.strip()
    assert said.startswith(f"jupyter-mlops: cannot serve at 127.0.0.1:{port} (Address already")
    assert "\n" not in said and "--host, --port" in said
    assert len(deployments(registry)) == 0


def test_a_version_without_recorded_inputs_is_not_deployed(registry: Registry, fitted) -> None:
    registry.register("bare", fitted)  # registered without X
    registry.promote("bare", 1)
    with pytest.raises(UnavailableError, match="registered without X") as refused:
        deploy(registry, "bare@champion", port=free_port())
    assert "to serve it; see " in str(refused.value)  # one sentence, not "serve it.; see"
    assert ".;" not in str(refused.value)
    assert [d.status for d in deployments(registry, model="bare")] == []


def test_deploy_from_a_cell(ipython: InteractiveShell, registry: Registry) -> None:
    shell = ipython
    shell.run_cell(f"%mlops connect {registry.home}")
    port = free_port()
    started = shell.run_cell(f"d = %mlops deploy diagnosis@champion --port {port}")
    started.raise_error()
    try:
        deployed = shell.user_ns["d"]
        assert deployed.token and deployed.token not in repr(deployed) + str(deployed)
        assert "token (shown once)" in deployed.announce()
        listed = shell.run_cell("%mlops deployments").result
        assert [d.status for d in listed] == ["running"] and listed[0].port == port
    finally:
        shell.run_cell("%mlops undeploy diagnosis@champion").raise_error()
    again = shell.run_cell("%mlops undeploy diagnosis@champion")
    assert "no running deployment of diagnosis@champion" in str(again.error_in_exec)


def test_batch_scoring_from_a_cell_is_logged_like_served(
    ipython: InteractiveShell, registry: Registry, dataset, fitted
) -> None:
    X, _ = dataset
    shell = ipython
    shell.run_cell(f"%mlops connect {registry.home}")
    shell.user_ns["batch"] = X.iloc[:40]
    scored = shell.run_cell("%mlops predict diagnosis@champion batch").result
    assert scored["__prediction__"].tolist() == fitted.predict(X.iloc[:40]).tolist()
    assert scored["__score__"].tolist() == pytest.approx(fitted.predict_proba(X.iloc[:40])[:, 1])
    unlogged = shell.run_cell("%mlops predict diagnosis@champion batch --no-log").result
    assert len(unlogged) == 40
    logged = Monitor(registry).drift("diagnosis@champion", window="1d", multivariate=False)
    assert logged.rows == 40


def test_sigterm_during_load_keeps_every_answered_request(registry: Registry, dataset) -> None:
    import threading
    import urllib.error

    X, _ = dataset
    started = deploy(registry, "diagnosis@champion", port=free_port())
    rows = X.iloc[:2].to_dict("records")
    answered: list[str] = []
    done = threading.Event()

    def client() -> None:
        while not done.is_set():
            try:
                answered.extend(predict(started.url, started.token or "", rows)["request_ids"])
            except (urllib.error.URLError, ConnectionError, OSError):
                if done.is_set() or process_gone(started.machine, started.pid):
                    return
                time.sleep(0.01)

    clients = [threading.Thread(target=client) for _ in range(4)]
    for thread in clients:
        thread.start()
    wait_for(lambda: len(answered) >= 40, "20 answered requests")
    undeploy(registry, "diagnosis@champion")  # SIGTERM while the clients are sending
    done.set()
    for thread in clients:
        thread.join(timeout=30)
    assert len(answered) > 20
    assert set(answered) <= set(logged_ids(registry.home, "diagnosis"))


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_serve_in_the_foreground_stopped_by_a_signal_is_recorded_stopped_and_exits_0(
    registry: Registry, subprocess_env: dict[str, str], dataset, stop: signal.Signals
) -> None:
    X, _ = dataset
    port = free_port()
    env = {**subprocess_env, "MLOPS_SERVE_TOKEN": "a-token"}
    command = [CLI, "serve", "diagnosis@champion", "--port", str(port)]
    server = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while [d.version for d in deployments(registry)] != [1] and server.poll() is None:
            assert time.monotonic() < deadline, "the server did not answer within 60 s"
            time.sleep(0.1)
        ids = predict(f"http://127.0.0.1:{port}", "a-token", X.iloc[:3].to_dict("records"))
        server.send_signal(stop)
        _, errors = server.communicate(timeout=60)
    finally:
        if server.poll() is None:
            server.kill()
    assert server.returncode == 0, errors
    assert [d.status for d in deployments(registry)] == ["stopped"]
    assert set(ids["request_ids"]) <= set(logged_ids(registry.home, "diagnosis"))


def test_a_home_that_cannot_take_the_server_log_is_one_sentence(registry: Registry) -> None:
    servers = registry.home / "logs" / "servers"
    servers.parent.mkdir(parents=True, exist_ok=True)
    servers.write_text("not a directory")
    with pytest.raises(InvalidArgumentError) as refused:
        deploy(registry, "diagnosis@champion", port=free_port())
    message = str(refused.value)
    assert message.startswith(f"cannot write the server's log file {servers}/diagnosis-champion-")
    assert message.endswith(f"make {servers} a writable directory with space and deploy again.")
    assert deployments(registry) == []


def test_a_read_only_home_cannot_deploy_and_says_so_in_one_sentence(disk, dataset, fitted) -> None:
    X, y = dataset
    registry = Registry(disk.mount / "registry")
    registry.register("diagnosis", fitted, X=X, y=y)
    registry.promote("diagnosis", 1)
    disk.read_only()
    try:
        with pytest.raises(MlopsError) as refused:
            deploy(registry, "diagnosis@champion", port=free_port())
        assert deployments(registry) == []
    finally:
        disk.writable()
    message = str(refused.value)
    assert "\n" not in message and "Traceback" not in message
    assert "read-only" in message or "writable" in message
    assert refused.value.outcome.exit_code == 9  # unavailable, as the README's table says


def test_undeploy_an_id_stops_that_deployment_alone_and_shows_only_it(
    ipython: InteractiveShell, registry: Registry, subprocess_env: dict[str, str]
) -> None:
    ref = "diagnosis@champion"
    from_a_notebook = deploy(registry, ref, port=free_port())
    from_a_shell = deploy(registry, ref, port=free_port())
    try:
        done = subprocess.run(
            [CLI, "undeploy", str(from_a_shell.id)],
            env=subprocess_env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        assert from_a_shell.url in done.stdout and from_a_notebook.url not in done.stdout
        statuses = {d.id: d.status for d in deployments(registry)}
        assert statuses == {from_a_notebook.id: "running", from_a_shell.id: "stopped"}

        shell = ipython
        shell.run_cell(f"%mlops connect {registry.home}")
        stopped = shell.run_cell(f"%mlops undeploy {from_a_notebook.id}").result
        assert [(d.id, d.status) for d in stopped] == [(from_a_notebook.id, "stopped")]
        again = shell.run_cell(f"%mlops undeploy {from_a_notebook.id}")
        assert str(again.error_in_exec) == (
            f"deployment {from_a_notebook.id} ({ref}) is already stopped; list the running ones "
            "with %mlops deployments."
        )
        with pytest.raises(NotFoundError, match=r"^no deployment 99; list them with"):
            undeploy(registry, 99)
    finally:
        for running in deployments(registry, running_only=True):
            undeploy(registry, running.id)


@pytest.mark.parametrize("port", [0, -1, 65536, 70000, True])
def test_a_port_outside_1_to_65535_is_refused_before_anything_starts(
    registry: Registry, port: object
) -> None:
    with pytest.raises(
        InvalidArgumentError, match="is not a TCP port; give a number from 1 to 65535"
    ):
        deploy(registry, "diagnosis@champion", port=port)  # type: ignore[arg-type]
    assert deployments(registry) == []


def test_the_command_line_shows_the_token_once_and_a_printed_record_never(
    registry: Registry, subprocess_env: dict[str, str]
) -> None:
    home = str(registry.home)
    refused = subprocess.run(
        [CLI, "--home", home, "deploy", "diagnosis@champion", "--port", "70000"],
        capture_output=True,
        text=True,
        env=subprocess_env,
    )
    assert refused.returncode == 2 and "65535" in refused.stderr
    started = subprocess.run(
        [CLI, "--home", home, "deploy", "diagnosis@champion", "--port", str(free_port())],
        capture_output=True,
        text=True,
        env=subprocess_env,
    )
    try:
        assert started.returncode == 0, started.stderr
        [token] = [line.split(": ")[1] for line in started.stdout.splitlines() if "token" in line]
        [listed] = deployments(registry)
        assert token not in repr(listed) + str(listed)
        wrong = subprocess.run(
            [CLI, "--home", home, "undeploy", "diagnosis:1"],
            capture_output=True,
            text=True,
            env=subprocess_env,
        )
        assert wrong.returncode == 4 and "running: diagnosis@champion" in wrong.stderr
    finally:
        undeploy(registry, "diagnosis@champion")


@pytest.mark.parametrize("kind", ["file", "shared"])
def test_a_model_and_alias_of_the_longest_names_deploy_each_to_a_log_of_its_own(
    kind: str,
    tmp_path: Path,
    dataset,
    fitted,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A 128-character name and alias make a ref longer than a file name may be: its server's
    log keeps the start of both and a hash of the whole, so two such refs differing only at
    their end, served on one port in turn, never share a log. A shared registry's log names
    its machine too, the longest name a machine may have within the limit as well."""
    X, y = dataset
    machine = "h" * 64
    monkeypatch.setenv("MLOPS_HOSTNAME", machine)
    location = request.getfixturevalue("lake_url") if kind == "shared" else tmp_path / "file"
    registry = Registry(location, data_path=tmp_path / "shared" if kind == "shared" else None)
    name, port, logs = "m" * 128, free_port(), []
    registry.register(name, fitted, X=X, y=y)
    for alias in ("a" * 127 + "1", "a" * 127 + "2"):
        registry.promote(name, 1, alias)
        started = deploy(registry, f"{name}@{alias}", port=port)
        try:
            assert predict(started.url, started.token, X.iloc[:1].to_dict("records"))
        finally:
            assert [d.status for d in undeploy(registry, f"{name}@{alias}")] == ["stopped"]
        assert started.log_file is not None
        logs.append(Path(started.log_file))
    assert logs[0] != logs[1] and all(log.is_file() for log in logs)
    named = f"{machine}-" if kind == "shared" else ""
    shape = rf"m{{40,}}-a{{40,}}-[0-9a-f]{{12}}-{named}{port}\.log"  # each's start, a hash
    assert all(len(log.name) <= 255 and re.fullmatch(shape, log.name) for log in logs), logs
    assert len(logged_ids(registry.home, name)) == 2
    closed(registry)
