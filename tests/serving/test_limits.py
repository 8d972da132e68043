"""What one client may take of the server, on real sockets: a body over the limit is refused
while it arrives, slow or idle connections are closed by their deadlines, and a client that
goes away mid-body is one line in the server's log."""

from __future__ import annotations

import http.client
import json
import os
import re
import select
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from jupyter_mlops import Registry
from jupyter_mlops.deploying import TOKEN_VARIABLE
from jupyter_mlops.serving.app import ModelServer, token_hash
from jupyter_mlops.serving.validation import MAX_BYTES
from tests.conftest import ROOT, free_port, wait_for
from tests.serving.test_app import TOKEN, Running, call, records, serving

DEADLINE = 30.0  # seconds a test waits for the server to do what it must


def connect(running: Running) -> socket.socket:
    host, port = running.url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=DEADLINE)
    return sock


def head(path: str, *lines: str) -> bytes:
    fields = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", f"Authorization: Bearer {TOKEN}"]
    return ("\r\n".join([*fields, *lines]) + "\r\n\r\n").encode()


def answer_on(sock: socket.socket) -> tuple[int, dict]:
    response = http.client.HTTPResponse(sock)
    response.begin()
    return response.status, json.loads(response.read())


def test_a_body_without_a_length_is_refused_once_it_passes_the_limit(
    running: Running, dataset
) -> None:
    with connect(running) as sock:
        sock.sendall(head("/predict", "Transfer-Encoding: chunked"))
        chunk = b" " * 2**20
        for _ in range(MAX_BYTES // len(chunk) + 1):
            sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        # one chunk past the limit, and the body not finished (no last chunk): answered now
        status, answer = answer_on(sock)
    assert status == 413 and answer["error"] == "too_large", answer
    assert call(f"{running.url}/predict", records(dataset[0].iloc[:2]))[0] == 200


def test_a_body_claiming_more_than_the_limit_is_refused_before_it_is_read(
    running: Running,
) -> None:
    with connect(running) as sock:
        sock.sendall(head("/predict", f"Content-Length: {2**30}", "Content-Type: text/plain"))
        sock.sendall(b" " * 2**20)  # 1 MB of the gigabyte it claims; the rest never comes
        status, answer = answer_on(sock)
    assert status == 413 and answer["error"] == "too_large", answer
    with connect(running) as sock:  # unauthorised: refused before a byte of the body is read
        sock.sendall(head("/feedback", "Content-Length: 1000").replace(TOKEN.encode(), b"no"))
        assert answer_on(sock)[0] == 401


@pytest.fixture
def strict(tmp_path, dataset, fitted) -> Iterator[Running]:
    """The diagnosis server with deadlines of a second or two, so tests see them pass."""
    X, y = dataset
    registry = Registry(tmp_path / "registry")
    registry.register("diagnosis", fitted, X=X, y=y)
    registry.promote("diagnosis", 1)
    server = ModelServer(registry, "diagnosis@champion", token_sha256=token_hash(TOKEN))
    with serving(server, registry, header_seconds=1.0, body_seconds=1.5) as found:
        yield found


def closed_by_server(sock: socket.socket, trickle: bytes) -> bool:
    """Send `trickle` a byte at a time until the server closes the connection (True) or
    DEADLINE passes (False)."""
    deadline = time.monotonic() + DEADLINE
    position = 0
    while time.monotonic() < deadline:
        readable, _, _ = select.select([sock], [], [], 0.2)
        try:
            if readable and sock.recv(65536) == b"":
                return True
            if trickle:
                sock.send(trickle[position % len(trickle) : position % len(trickle) + 1])
                position += 1
        except (ConnectionResetError, BrokenPipeError):
            return True
    return False


def test_slow_and_idle_clients_are_cut_off_and_others_are_answered(
    strict: Running, dataset
) -> None:
    idle = [connect(strict) for _ in range(10)]
    slow_headers = [connect(strict) for _ in range(10)]
    for sock in slow_headers:
        sock.sendall(b"POST /predict HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    slow_body = [connect(strict) for _ in range(10)]
    for sock in slow_body:
        sock.sendall(head("/predict", "Content-Length: 100000"))
    status, answer = call(f"{strict.url}/predict", records(dataset[0].iloc[:2]))
    assert status == 200 and len(answer["predictions"]) == 2  # the slow ones hold nothing
    for sock in idle:
        assert closed_by_server(sock, b""), "an idle connection stays open"
    for sock in slow_headers:
        assert closed_by_server(sock, b"X-Slow: yes\r\n"), "slow headers go on"
    for sock in slow_body:
        assert closed_by_server(sock, b"{"), "a slow body goes on"
    for sock in idle + slow_headers + slow_body:
        sock.close()
    with connect(strict) as sock:  # headers over the limit: refused at once
        sock.sendall(head("/predict", "X-Big: " + "x" * 20_000, "Content-Length: 2") + b"{}")
        refused = http.client.HTTPResponse(sock)
        refused.begin()
        assert refused.status == 400
    assert call(f"{strict.url}/health", token=None)[1]["status"] == "ok"


def test_clients_that_go_away_mid_body_are_a_line_each_at_most_and_no_traceback(
    tmp_path: Path, dataset, fitted
) -> None:
    X, y = dataset
    registry = Registry(tmp_path / "registry")
    registry.register("diagnosis", fitted, X=X, y=y)
    registry.promote("diagnosis", 1)
    port = free_port()
    log = tmp_path / "server.log"
    env = {**os.environ, TOKEN_VARIABLE: TOKEN, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "jupyter_mlops.serving", "--home", str(registry.home)]
    with log.open("wb") as output:
        server = subprocess.Popen(
            [*command, "diagnosis@champion", "--port", str(port)],
            stdout=output,
            stderr=output,
            env=env,
            cwd=ROOT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: health_of(url) is not None, "the server answers", every=0.1)
        drops = 60
        for _ in range(drops):
            with socket.create_connection(("127.0.0.1", port), timeout=DEADLINE) as sock:
                sock.sendall(head("/predict", "Content-Length: 100000") + b'{"records": [')
        wait_for(
            lambda: (health_of(url) or {}).get("dropped") == drops, "every drop is seen", every=0.1
        )
        assert call(f"{url}/predict", records(X.iloc[:2]))[0] == 200
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=DEADLINE)
    text = log.read_text()
    assert "Traceback" not in text and "Exception" not in text, text[:2000]
    lines = [line for line in text.splitlines() if "went away" in line]
    assert 1 <= len(lines) <= drops, text[:2000]
    assert len(text.splitlines()) <= drops + 5, text[:2000]


def health_of(url: str) -> dict | None:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=5) as answer:
            return dict(json.loads(answer.read()))
    except OSError:
        return None


SERVER = """
import sys
import uvicorn
from jupyter_mlops import Registry
from jupyter_mlops.serving.app import ModelServer, token_hash
from jupyter_mlops.serving.limits import uvicorn_options
home, port, token, connections = sys.argv[1:]
server = ModelServer(Registry(home), "diagnosis@champion", token_sha256=token_hash(token))
options = {**uvicorn_options(), "limit_concurrency": int(connections)}
uvicorn.run(server.app, host="127.0.0.1", port=int(port), log_level="warning", **options)
"""


@contextmanager
def apart(tmp_path: Path, registry: Registry, *, connections: int) -> Iterator[tuple[int, Path]]:
    """The diagnosis server in a process of its own, as `serve` runs it but taking at most
    `connections`, its stderr in a file: (port, log file). Stopped by SIGTERM on the way
    out, so the file then holds all it will ever say."""
    port, log = free_port(), tmp_path / "server.log"
    command = [sys.executable, "-c", SERVER, str(registry.home), str(port), TOKEN]
    with log.open("wb") as output:
        server = subprocess.Popen(
            [*command, str(connections)],
            stdout=output,
            stderr=output,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            cwd=ROOT,
        )
    try:
        wait_for(lambda: responds(port), "it answers", every=0.1)
        yield port, log
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=DEADLINE)


@pytest.fixture
def diagnosis(tmp_path: Path, dataset, fitted) -> Registry:
    X, y = dataset
    registry = Registry(tmp_path / "registry")
    registry.register("diagnosis", fitted, X=X, y=y)
    registry.promote("diagnosis", 1)
    return registry


def responds(port: int) -> bool:
    """Whether something answers HTTP on `port` (any status)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=DEADLINE) as sock:
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            return sock.recv(100).startswith(b"HTTP/1.1 ")
    except OSError:
        return False


def predict_request(X) -> bytes:
    body = json.dumps({"records": X.iloc[:50].to_dict("records")}).encode()
    return head("/predict", f"Content-Length: {len(body)}") + body


def test_a_client_that_pipelines_requests_and_leaves_after_one_answer_is_no_traceback(
    tmp_path: Path, diagnosis: Registry, dataset
) -> None:
    pipelined = predict_request(dataset[0]) * 3
    with apart(tmp_path, diagnosis, connections=1000) as (port, log):
        for _ in range(10):
            with socket.create_connection(("127.0.0.1", port), timeout=DEADLINE) as sock:
                sock.sendall(pipelined)
                assert answer_on(sock)[0] == 200  # one answer read, then gone
        url = f"http://127.0.0.1:{port}"
        assert call(f"{url}/predict", records(dataset[0].iloc[:2]))[0] == 200
    text = log.read_text()  # all of it: the server finished its requests and exited
    assert "Traceback" not in text and "Exception" not in text, text[:2000]
    assert re.search(
        r"127\.0\.0\.1:\d+ went away before the answer to (2 requests|a request) it", text
    )
    assert len(text.splitlines()) <= 20, text[:2000]


def lines_of(log: Path, words: str) -> list[str]:
    return [line for line in log.read_text().splitlines() if words in line]


def test_uvicorns_warnings_are_a_line_a_second_with_the_count_of_those_left_out(
    tmp_path: Path, diagnosis: Registry
) -> None:
    sent = 0
    with apart(tmp_path, diagnosis, connections=1000) as (port, log):
        began = time.monotonic()
        while not any("more like it" in line for line in lines_of(log, "Invalid HTTP request")):
            assert time.monotonic() < began + DEADLINE, log.read_text()[:2000]
            with socket.create_connection(("127.0.0.1", port), timeout=DEADLINE) as sock:
                sock.sendall(b"GARBAGE\r\n\r\n")
                assert sock.recv(100).startswith(b"HTTP/1.1 400")  # answered: it was logged
            sent += 1
        took = time.monotonic() - began
    lines = lines_of(log, "Invalid HTTP request received.")
    assert len(lines) <= took + 2, (sent, took, lines[:5])
    [counted] = re.findall(r"\(and (\d+) more like it", "\n".join(lines))[:1]
    assert int(counted) >= 1


def test_requests_past_the_connection_limit_are_a_line_a_second_not_one_each(
    tmp_path: Path, diagnosis: Registry
) -> None:
    with apart(tmp_path, diagnosis, connections=1) as (port, log):  # each is one too many
        began = time.monotonic()
        for _ in range(200):
            with socket.create_connection(("127.0.0.1", port), timeout=DEADLINE) as sock:
                sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                assert sock.recv(100).startswith(b"HTTP/1.1 503")  # answered: it was logged
        took = time.monotonic() - began
    lines = lines_of(log, "Exceeded concurrency limit.")
    assert 1 <= len(lines) <= took + 2, (took, lines[:5])
