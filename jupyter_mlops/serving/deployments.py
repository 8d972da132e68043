"""Deployments: a model server started in the foreground (`serve`) or as a process of its
own (`deploy`), recorded in the registry so any process can list and stop it.

`deploy` starts `python -m jupyter_mlops.serving` in a new session, passes the token in
its environment (never on a command line others can read), waits for `/health`, and if
the server dies first raises with the server's own last words from its log file.
`undeploy` sends SIGTERM (the server writes its buffered log rows and exits) and waits.
A deployment whose process is gone shows as dead.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import suppress
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

from jupyter_mlops.clock import utc_now
from jupyter_mlops.errors import MlopsError, NotFoundError, UsageError
from jupyter_mlops.registry import Registry
from jupyter_mlops.registry.capture import current_user, process_gone
from jupyter_mlops.registry.records import RecordTable
from jupyter_mlops.store import deployments as sql

TOKEN_VARIABLE = "MLOPS_SERVE_TOKEN"
START_TIMEOUT = 60.0
STOP_TIMEOUT = 20.0


@dataclass(frozen=True)
class Deployment:
    id: int
    model: str
    ref: str
    host: str
    port: int
    pid: int
    machine: str
    started_at: datetime
    stopped_at: datetime | None
    log_file: str | None
    token: str | None = None  # only on the record `deploy` returns: shown once
    version: int | None = None  # what a running server says of itself on /health
    requests: int | None = None
    errors: int | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def status(self) -> str:
        if self.stopped_at is not None:
            return "stopped"
        return "dead" if process_gone(self.machine, self.pid) else "running"

    def __repr__(self) -> str:
        text = f"{self.ref} at {self.url} (pid {self.pid}, {self.status})"
        if self.token:
            text += f"\ntoken (shown once): {self.token}"
        return text

    @classmethod
    def from_row(cls, row: dict[str, Any], *, token: str | None = None) -> Deployment:
        fields = {k: row[k] for k in cls.__dataclass_fields__ if k in row and k != "token"}
        return cls(**fields, token=token)


class DeploymentList(RecordTable[Deployment]):
    columns: ClassVar[list[str]] = [
        "id",
        "ref",
        "version",
        "url",
        "pid",
        "status",
        "started (UTC)",
        "up",
        "requests",
        "errors",
    ]
    empty = "no deployments"

    def _rows(self) -> list[list[Any]]:
        now = utc_now()
        return [
            [
                d.id,
                d.ref,
                d.version,
                d.url,
                d.pid,
                d.status,
                d.started_at,
                _duration(now - d.started_at) if d.status == "running" else "",
                d.requests,
                d.errors,
            ]
            for d in self
        ]


def _duration(span: timedelta) -> str:
    seconds = int(span.total_seconds())
    days, seconds = divmod(seconds, 86_400)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    if days:
        return f"{days}d {hours}h"
    return f"{hours}h {minutes}m" if hours else f"{minutes}m {seconds}s"


def new_token() -> str:
    return secrets.token_urlsafe(24)


def serve(
    registry: Registry, ref: str, *, host: str = "127.0.0.1", port: int = 8765, token: str
) -> None:
    """Serve `ref` in this process until SIGTERM or Ctrl-C, recorded as a deployment."""
    import uvicorn

    from jupyter_mlops.serving.app import ModelServer, token_hash
    from jupyter_mlops.serving.limits import uvicorn_options

    version = registry.get(ref)
    server = ModelServer(registry, ref, token_sha256=token_hash(token))
    record = {
        "model": version.model,
        "ref": ref,
        "host": host,
        "port": port,
        "pid": os.getpid(),
        "machine": socket.gethostname(),
        "token_sha256": token_hash(token),
        "started_at": utc_now(),
        "started_by": current_user(),
        "log_file": os.environ.get("MLOPS_SERVE_LOG"),
    }
    with registry.db.write() as conn:
        deployment_id = sql.insert_deployment(conn, record)
    try:
        uvicorn.run(server.app, host=host, port=port, log_level="warning", **uvicorn_options())
    finally:
        with registry.db.write() as conn:
            sql.mark_stopped(conn, deployment_id, at=utc_now())


def deploy(
    registry: Registry, ref: str, *, host: str = "127.0.0.1", port: int = 8765
) -> Deployment:
    """Start a server for `ref` in its own process and session; wait until it answers."""
    registry.get(ref)
    running = _recorded(registry, model=None, running_only=True)
    if any(d.port == port and d.status == "running" for d in running):
        raise UsageError(f"port {port} is already served by a deployment; choose another --port.")
    token = new_token()
    logs_dir = registry.home / "logs" / "servers"
    logs_dir.mkdir(parents=True, exist_ok=True)
    log_file = logs_dir / f"{ref.replace('@', '-').replace(':', '-')}-{port}.log"
    env = {**os.environ, TOKEN_VARIABLE: token, "MLOPS_SERVE_LOG": str(log_file)}
    command = [sys.executable, "-m", "jupyter_mlops.serving", "--home", str(registry.home)]
    command += [ref, "--host", host, "--port", str(port)]
    with open(log_file, "ab") as output:
        process = subprocess.Popen(
            command, stdout=output, stderr=output, env=env, start_new_session=True
        )
    _wait_until_healthy(process, f"http://{host}:{port}/health", log_file)
    for found in _recorded(registry, model=None, running_only=True):
        if found.pid == process.pid:
            return replace(found, token=token)
    raise MlopsError(f"the server for {ref} answers but did not record itself; see {log_file}.")


def _wait_until_healthy(process: subprocess.Popen[bytes], url: str, log_file: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            last = log_file.read_text(errors="replace").strip().splitlines()[-1:] or ["no output"]
            raise UsageError(
                f"the server exited with code {process.returncode} before answering: "
                f"{last[0]}; see {log_file}."
            )
        try:
            with urllib.request.urlopen(url, timeout=1) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    process.terminate()
    raise UsageError(
        f"the server did not answer {url} within {START_TIMEOUT:.0f} s; see {log_file}."
    )


def deployments(
    registry: Registry, *, model: str | None = None, running_only: bool = False
) -> DeploymentList:
    """The recorded deployments, each running one with what its server reports of itself."""
    found = _recorded(registry, model=model, running_only=running_only)
    return DeploymentList(_with_health(d) for d in found)


def _recorded(registry: Registry, *, model: str | None, running_only: bool) -> list[Deployment]:
    """The deployments as the registry records them (no server is asked anything)."""
    with registry.db.read() as conn:
        rows = sql.deployments_of(conn, model=model, running_only=running_only)
    return [Deployment.from_row(row) for row in rows]


def _with_health(found: Deployment) -> Deployment:
    """The record with what its running server reports: serving version, requests, errors."""
    if found.stopped_at is not None or found.status != "running":
        return found
    if found.machine != socket.gethostname() and found.host in ("127.0.0.1", "localhost", "::1"):
        return found  # its loopback is not ours to ask
    try:
        with urllib.request.urlopen(f"{found.url}/health", timeout=1) as answer:
            health = json.loads(answer.read())
    except (OSError, ValueError):
        return found  # starting, stopping or hung: the table shows it without numbers
    return replace(
        found,
        version=health.get("version"),
        requests=health.get("requests"),
        errors=health.get("errors"),
    )


def undeploy(registry: Registry, ref: str) -> DeploymentList:
    """Stop every running deployment of `ref` (SIGTERM, then wait); returns them."""
    model = ref.partition("@")[0].partition(":")[0]
    recorded = _recorded(registry, model=model, running_only=True)
    stopping = [d for d in recorded if d.ref == ref]
    if not stopping:
        raise NotFoundError(f"no running deployment of {ref}; list them with %mlops deployments.")
    for found in stopping:
        if found.status == "running":
            os.kill(found.pid, signal.SIGTERM)
            _wait_for_exit(found)
        with registry.db.write() as conn:
            sql.mark_stopped(conn, found.id, at=utc_now())
    return deployments(registry, model=model)


def _wait_for_exit(found: Deployment) -> None:
    deadline = time.monotonic() + STOP_TIMEOUT
    while time.monotonic() < deadline and not process_gone(found.machine, found.pid):
        time.sleep(0.1)
        with suppress(ChildProcessError):  # reap it when it is our own child
            os.waitpid(found.pid, os.WNOHANG)
    if not process_gone(found.machine, found.pid):
        os.kill(found.pid, signal.SIGKILL)
