"""Deployments: a model server started in the foreground (`serve`) or as a process of its
own (`deploy`), recorded in the registry so any process can list and stop it.

`deploy` starts `python -m jupyter_mlops.serving` in a new session, passes the token and
a fresh nonce in its environment (never on a command line others can read), waits until
`/health` answers with that nonce, and if the server dies first raises with the server's
own last words from its log file. The server records itself: pid, machine, its process's
start time, the nonce's hash and a stop key (`processes` says why each is there).

`undeploy` signals a server only when this machine proves the pid is that server (same
machine, same process start time); otherwise it asks the server to stop at its URL,
authenticated by the stop key, or records a server proven gone as stopped, or refuses
with a sentence saying where it runs (the rule is in `processes`). A server stopped by
SIGTERM or Ctrl-C writes its buffered log rows, records itself stopped and exits 0.
A deployment this machine proves gone shows as dead.
"""

from __future__ import annotations

import html
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any, ClassVar

from jupyter_mlops.clock import utc_now
from jupyter_mlops.errors import ConflictError, MlopsError, NotFoundError, UsageError
from jupyter_mlops.registry import Registry
from jupyter_mlops.registry.capture import current_user
from jupyter_mlops.registry.records import RecordTable
from jupyter_mlops.serving import processes
from jupyter_mlops.store import deployments as sql

TOKEN_VARIABLE = "MLOPS_SERVE_TOKEN"
NONCE_VARIABLE = "MLOPS_SERVE_NONCE"
START_TIMEOUT = 60.0


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
    process_start: str | None = None  # None: recorded without /proc, or by an older server
    nonce_sha256: str | None = None
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
        gone = processes.known_gone(self.machine, self.pid, self.process_start)
        return "dead" if gone else "running"

    def __repr__(self) -> str:
        """As a terminal prints it: with the token, on the record `deploy` returns."""
        text = f"{self.ref} at {self.url} (pid {self.pid}, {self.status})"
        if self.token:
            text += f"\ntoken (shown once): {self.token}"
        return text

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """As IPython shows it: never with the token, which a notebook would save (`%mlops
        deploy` shows it once, in an output that is not saved)."""
        text = f"{self.ref} at {self.url} (pid {self.pid}, {self.status})"
        printer.text(text + ("\ntoken: in .token" if self.token else ""))

    @classmethod
    def from_row(cls, row: dict[str, Any], *, token: str | None = None) -> Deployment:
        fields = {k: row[k] for k in cls.__dataclass_fields__ if k in row and k != "token"}
        return cls(**fields, token=token)


class DeploymentList(RecordTable[Deployment]):
    """Deployments as a table; after `undeploy`, with a sentence for each one it found not
    running or had to kill."""

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

    def __init__(self, found: Iterable[Deployment] = (), *, notes: Iterable[str] = ()) -> None:
        super().__init__(found)
        self.notes = list(notes)

    def __str__(self) -> str:
        return "\n".join([super().__str__(), *self.notes])

    __repr__ = __str__

    def _repr_html_(self) -> str:
        notes = "".join(f"<p>{html.escape(note)}</p>" for note in self.notes)
        return super()._repr_html_() + notes

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
    return processes.new_secret()


def serve(
    registry: Registry,
    ref: str,
    *,
    host: str = "127.0.0.1",
    port: int = 8765,
    token: str,
    nonce: str | None = None,
) -> None:
    """Serve `ref` in this process until SIGTERM or Ctrl-C, recorded as a deployment.

    Either signal stops it gracefully (buffered log rows written), records it stopped and
    returns; a new nonce is made unless `deploy` passed the one it waits for.
    """
    import uvicorn

    from jupyter_mlops.serving.app import ModelServer, token_hash
    from jupyter_mlops.serving.limits import uvicorn_options

    version = registry.get(ref)
    nonce = nonce or processes.new_secret()
    stop_key = processes.new_secret()
    server = ModelServer(
        registry,
        ref,
        token_sha256=token_hash(token),
        nonce=nonce,
        stop_key_sha256=processes.digest(stop_key),
    )
    record = {
        "model": version.model,
        "ref": ref,
        "host": host,
        "port": port,
        "pid": os.getpid(),
        "machine": socket.gethostname(),
        "process_start": processes.process_start(os.getpid()),
        "nonce_sha256": processes.digest(nonce),
        "stop_key": stop_key,
        "token_sha256": token_hash(token),
        "started_at": utc_now(),
        "started_by": current_user(),
        "log_file": os.environ.get("MLOPS_SERVE_LOG"),
    }
    restore_signals = processes.raise_on_stop_signals()
    deployment_id = None
    try:
        with registry.db.write() as conn:
            deployment_id = sql.insert_deployment(conn, record)
        uvicorn.run(server.app, host=host, port=port, log_level="warning", **uvicorn_options())
    except processes.StopRequested:
        pass  # uvicorn re-raised the SIGTERM it shut down for (or it came before uvicorn ran)
    finally:
        if deployment_id is not None:
            with registry.db.write() as conn:
                sql.mark_stopped(conn, deployment_id, at=utc_now())
        restore_signals()


def deploy(
    registry: Registry, ref: str, *, host: str = "127.0.0.1", port: int = 8765
) -> Deployment:
    """Start a server for `ref` in its own process and session; wait until it answers."""
    registry.get(ref)
    running = _recorded(registry, model=None, running_only=True)
    if any(d.port == port and d.status == "running" for d in running):
        raise UsageError(f"port {port} is already served by a deployment; choose another --port.")
    token, nonce = new_token(), processes.new_secret()
    log_file = registry.home / "logs" / "servers" / f"{_file_name(ref)}-{port}.log"
    env = {**os.environ, TOKEN_VARIABLE: token, NONCE_VARIABLE: nonce}
    env["MLOPS_SERVE_LOG"] = str(log_file)
    command = [sys.executable, "-m", "jupyter_mlops.serving", "--home", str(registry.home)]
    command += [ref, "--host", host, "--port", str(port)]
    with _opened_log(log_file) as output:
        process = subprocess.Popen(
            command, stdout=output, stderr=output, env=env, start_new_session=True
        )
    url = f"http://{host}:{port}"
    _wait_until_healthy(process, url, nonce_sha256=processes.digest(nonce), log_file=log_file)
    for found in _recorded(registry, model=None, running_only=True):
        if found.pid == process.pid:
            return replace(found, token=token)
    raise MlopsError(f"the server for {ref} answers but did not record itself; see {log_file}.")


def _file_name(ref: str) -> str:
    return ref.replace("@", "-").replace(":", "-")


def _opened_log(log_file: Path) -> IO[bytes]:
    """The server's log file, opened to append; a home that cannot take it is the user's
    to fix (read-only, full, or a file where the directory goes)."""
    try:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        return open(log_file, "ab")  # the caller closes it
    except OSError as exc:
        raise UsageError(
            f"cannot write the server's log file {log_file} ({exc.strerror or exc}); make "
            f"{log_file.parent} a writable directory with space and deploy again."
        ) from None


def _wait_until_healthy(
    process: subprocess.Popen[bytes], url: str, *, nonce_sha256: str, log_file: Path
) -> None:
    """Wait until the server at `url` answers as the one just started (its nonce): not some
    other server already on that port."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            last = log_file.read_text(errors="replace").strip().splitlines()[-1:] or ["no output"]
            raise UsageError(
                f"the server exited with code {process.returncode} before answering: "
                f"{last[0]}; see {log_file}."
            )
        if processes.answers_as(url, nonce_sha256):
            return
        time.sleep(0.2)
    process.terminate()
    raise UsageError(
        f"the server did not answer {url}/health within {START_TIMEOUT:.0f} s; see {log_file}."
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
    """The record with what its running server reports: serving version, requests, errors
    (only when the server at its URL is this deployment, by its nonce)."""
    if found.stopped_at is not None or found.status != "running":
        return found
    if not processes.reachable_from_here(found.machine, found.host):
        return found  # that machine's loopback is not ours to ask
    health = processes.answers_as(found.url, found.nonce_sha256)
    if not health:
        return found  # starting, stopping, hung, or another server: shown without numbers
    return replace(
        found,
        version=health.get("version"),
        requests=health.get("requests"),
        errors=health.get("errors"),
    )


def undeploy(registry: Registry, ref: str) -> DeploymentList:
    """Stop every running deployment of `ref`, each by the rule in `processes` (a process
    is signalled only when this machine proves it is that server); returns the model's
    deployments with a sentence for each one found not running or killed.

    Raises `ConflictError`, saying where it runs, for one that cannot be stopped from here
    (after stopping the others).
    """
    model = ref.partition("@")[0].partition(":")[0]
    with registry.db.read() as conn:
        rows = sql.deployments_of(conn, model=model, running_only=True)
    stopping = [row for row in rows if row["ref"] == ref]
    if not stopping:
        raise NotFoundError(f"no running deployment of {ref}; list them with %mlops deployments.")
    notes, refusals = [], []
    for row in stopping:
        found = Deployment.from_row(row)
        try:
            note = processes.stop(found, stop_key=row.get("stop_key"))
        except ConflictError as refused:
            refusals.append(str(refused))
            continue
        with registry.db.write() as conn:
            sql.mark_stopped(conn, found.id, at=utc_now())
        notes += [note] if note else []
    if refusals:
        raise ConflictError(" ".join(refusals))
    return DeploymentList(deployments(registry, model=model), notes=notes)
