"""Deployments: a model server started as a process of its own (`deploy`) or as this very
process (`serve`), recorded in the registry so any process can list and stop it. The server
is the program `python -m jupyter_mlops.serving`, started by its module name: nothing here
imports it.

`deploy` starts it in a new session, passes the token and a fresh nonce in its
environment (never on a command line others can read), waits until `/health` answers with
that nonce, and if the server dies first raises with the server's own last words from its
log file. The server records itself: pid, machine, its process's start time, the nonce's
hash and a stop key (`processes` says why each is there). `serve` replaces this process by
the server, which answers in the foreground until SIGTERM or Ctrl-C.

`undeploy` stops one deployment by its id, or every running deployment of a ref. It
signals a server only when this machine proves the pid is that server (same machine,
same process start time); otherwise it asks the server to stop at its URL,
authenticated by the stop key, or records a server proven gone as stopped, or refuses
with a sentence saying where it runs (the rule is in `processes`). A server stopped by
SIGTERM or Ctrl-C writes its buffered log rows, records itself stopped and exits 0; rows
its disk would not take are saved elsewhere and undeploy repeats what it said of them
(`unwritten`). A server that stopped but whose stop cannot be recorded (a full disk
under the registry) is reported as exactly that (`record_stop`, which the server calls
too), and shows as dead until an undeploy can record it. A deployment this machine
proves gone shows as dead; one on another machine (a shared registry's) is asked at its
address and shows as "unreachable from here" when it does not answer as itself, never as
stopped. A deployment on a shared registry starts its server on that very registry.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, NoReturn

from jupyter_mlops.clock import utc_now
from jupyter_mlops.config import machine
from jupyter_mlops.deploying import processes, server_logs, stopping, unwritten
from jupyter_mlops.deploying.records import COPIED, Deployment, DeploymentList
from jupyter_mlops.deploying.shadows import shadow_of
from jupyter_mlops.errors import (
    DEPLOYMENTS,
    ConflictError,
    InvalidArgumentError,
    MlopsError,
    NotFoundError,
    StorageError,
    UnavailableError,
    plain_reason,
)
from jupyter_mlops.registry import Registry, team
from jupyter_mlops.registry.capture import current_user
from jupyter_mlops.registry.locations import environment, options
from jupyter_mlops.registry.lookups import require_model
from jupyter_mlops.registry.refs import names_version, parse_ref
from jupyter_mlops.store import deployments as sql

TOKEN_VARIABLE = "MLOPS_SERVE_TOKEN"
NONCE_VARIABLE = "MLOPS_SERVE_NONCE"
SERVER_MODULE = "jupyter_mlops.serving"
START_TIMEOUT = 60.0


def new_token() -> str:
    return processes.new_secret()


def serve(
    registry: Registry,
    ref: str,
    *,
    host: str = "127.0.0.1",
    port: int = 8765,
    token: str,
    shadow: str | None = None,
) -> NoReturn:
    """Serve `ref` in the foreground: this process becomes its server, recorded as a
    deployment, until SIGTERM or Ctrl-C stops it gracefully (buffered log rows written,
    recorded stopped, exit code 0). A server that cannot start says why in one line on
    stderr and exits with the code of its kind of error."""
    check_port(port)
    machine()  # a name MLOPS_HOSTNAME gives is refused here, not once the server starts
    team.require_writable(registry.db)  # a server is recorded and logs: never a reader's
    shadow = shadow_of(registry, registry.watched(ref), shadow)
    env = {name: value for name, value in environment(registry).items() if name != NONCE_VARIABLE}
    env[TOKEN_VARIABLE] = token  # the server makes its own nonce
    command = _server_command(registry, ref, host=host, port=port, shadow=shadow)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, command, env)


def _server_command(
    registry: Registry,
    ref: str,
    *,
    host: str,
    port: int,
    shadow: str | None,
) -> list[str]:
    """The server's command line, on this very registry: a shared one's URL and data path
    (a URL holding a password reaches it through the environment `locations.environment`
    makes instead: a command line is anyone's to read)."""
    command = [sys.executable, "-m", SERVER_MODULE, *options(registry)]
    command += [ref, "--host", host, "--port", str(port)]
    return [*command, "--shadow", shadow] if shadow is not None else command


def check_port(port: object) -> int:
    """A TCP port a server can be asked at: a whole number from 1 to 65535 (0 would let the
    system choose one that nobody is told of; above 65535 wraps round to another)."""
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise InvalidArgumentError(
            f"port {port!r} is not a TCP port; give a number from 1 to 65535."
        )
    return port


def deploy(
    registry: Registry,
    ref: str,
    *,
    host: str = "127.0.0.1",
    port: int = 8765,
    shadow: str | None = None,
) -> Deployment:
    """Start a server for `ref` in its own process and session; wait until it answers.
    `shadow`: another ref of the same model, scoring every answered request off the
    answer path (`shadows` says which refs it may be)."""
    check_port(port)
    machine()  # a name MLOPS_HOSTNAME gives is refused here, not by the server it would start
    team.require_writable(registry.db)  # a server is recorded and logs: never a reader's
    ref = registry.watched(ref)  # a bare name serves the champion alias
    registry.get(ref)
    shadow = shadow_of(registry, ref, shadow)
    running = recorded(registry, model=None, running_only=True)
    if any(d.port == port and d.status == "running" for d in running if d.here):
        raise InvalidArgumentError(
            f"port {port} is already served by a deployment; choose another --port."
        )
    token, nonce = new_token(), processes.new_secret()
    log_file = server_logs.log_file(registry, ref, port)
    env = {**environment(registry), TOKEN_VARIABLE: token, NONCE_VARIABLE: nonce}
    env["MLOPS_SERVE_LOG"] = str(log_file)
    command = _server_command(registry, ref, host=host, port=port, shadow=shadow)
    with server_logs.opened(log_file) as output:
        process = subprocess.Popen(
            command, stdout=output, stderr=output, env=env, start_new_session=True
        )
    url = processes.url_of(processes.local_address(host), port)
    _wait_until_healthy(process, url, nonce_sha256=processes.digest(nonce), log_file=log_file)
    for found in recorded(registry, model=None, running_only=True):
        if found.pid == process.pid:
            return replace(found, token=token)
    raise UnavailableError(
        f"the server for {ref} answers but did not record itself; see {log_file}."
    )


def _wait_until_healthy(
    process: subprocess.Popen[bytes], url: str, *, nonce_sha256: str, log_file: Path
) -> None:
    """Wait until the server at `url` answers as the one just started (its nonce): not some
    other server already on that port."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            last = log_file.read_text(errors="replace").strip().splitlines()[-1:] or ["no output"]
            reason = last[0].removeprefix("jupyter-mlops: ").rstrip(" .")  # ended by "; see"
            raise UnavailableError(
                f"the server exited with code {process.returncode} before answering: "
                f"{reason}; see {log_file}."
            )
        if processes.answers_as(url, nonce_sha256):
            return
        time.sleep(0.2)
    process.terminate()
    raise UnavailableError(
        f"the server did not answer {url}/health within {START_TIMEOUT:.0f} s; see {log_file}."
    )


def deployments(
    registry: Registry, *, model: str | None = None, running_only: bool = False
) -> DeploymentList:
    """The recorded deployments, each running one with what its server reports of itself
    (every server asked at once, each within a second)."""
    found = recorded(registry, model=model, running_only=running_only)
    copied = [d for d in found if d.status == COPIED]
    notes = [f"{d.elsewhere()}: stop it there, and deploy again here." for d in copied]
    return DeploymentList(with_health(found, timeout=1.0), notes=notes)


def recorded(registry: Registry, *, model: str | None, running_only: bool) -> list[Deployment]:
    """The deployments as the registry records them (no server is asked anything); an
    unknown `model` is not found, with the closest name."""
    with registry.db.read() as conn:
        if model is not None:
            require_model(conn, model)
        rows = sql.deployments_of(conn, model=model, running_only=running_only)
    return [Deployment.from_row(row) for row in rows]


def with_health(found: Sequence[Deployment], *, timeout: float = 0.3) -> list[Deployment]:
    """The records with what their running servers report, every server asked at once,
    each within `timeout` seconds (one that does not answer in time: shown without
    numbers, and one on another machine as unreachable from here), so a fleet's overview
    never waits on its servers one by one, nor on a name slow to resolve, which a
    connection's timeout does not bound."""
    from concurrent.futures import ThreadPoolExecutor, wait

    asked = [d for d in found if d.stopped_at is None]
    if not asked:
        return list(found)
    pool = ThreadPoolExecutor(max_workers=min(16, len(asked)))
    futures = [pool.submit(_with_health, d, timeout) for d in asked]
    done, _ = wait(futures, timeout=timeout + 0.5)
    pool.shutdown(wait=False, cancel_futures=True)
    answered = {
        id(d): future.result() if future in done else replace(d, answered=False)
        for d, future in zip(asked, futures, strict=True)
    }
    return [answered.get(id(d), d) for d in found]


def _with_health(found: Deployment, timeout: float) -> Deployment:
    """The record with what its running server reports: serving version, requests, errors
    (only when the server at its URL is this deployment, by its nonce). One on another
    machine that cannot be asked from here, or does not answer as itself, is marked so:
    this machine cannot tell a stopped server from one it cannot reach."""
    if found.stopped_at is not None or found.status != "running":
        return found
    if not processes.reachable_from_here(found.machine, found.address or found.host):
        return replace(found, answered=False)  # that machine's loopback is not ours to ask
    health = processes.answers_as(found.asked_url, found.nonce_sha256, timeout=timeout)
    if not health:  # starting, stopping, hung, unreachable, or another server
        return replace(found, answered=False)
    return replace(
        found,
        version=health.get("version"),
        requests=health.get("requests"),
        errors=health.get("errors"),
        answered=True,
    )


def undeploy(registry: Registry, target: str | int) -> DeploymentList:
    """Stop deployment `target` (an id, as `deployments` lists them) or every running
    deployment of the ref `target`, each by the rule in `processes` (a process is signalled
    only when this machine proves it is that server); returns the deployments stopped,
    with a sentence for each one found not running or killed, or whose log rows were saved
    outside the registry.

    Raises `ConflictError`, saying where it runs, for one that cannot be stopped from here
    (one `migrate` copied from another registry is that one's to stop), and `StorageError`
    for one that stopped but whose stop could not be recorded (after stopping the others;
    the message carries the sentences too). A shared registry's role that may only read is
    refused before any server is stopped: the stop could not be recorded.
    """
    team.require_writable(registry.db)  # a stop is recorded: refused before any is made
    notes: list[str] = []
    failures: list[MlopsError] = []
    stopped: list[int] = []
    for row in _to_stop(registry, target):
        found = Deployment.from_row(row)
        try:
            note = stopping.stop(found, stop_key=row.get("stop_key"))
        except ConflictError as refused:
            failures.append(refused)
            continue
        notes += [note] if note else []
        notes += _left_behind(found)
        try:
            record_stop(registry, found.id, found.ref, by=current_user())
        except MlopsError as unrecorded:
            failures.append(unrecorded)
            continue
        stopped.append(found.id)
    if failures:
        raise _combined(failures, notes)
    everything = recorded(registry, model=None, running_only=False)
    return DeploymentList((d for d in everything if d.id in stopped), notes=notes)


def _combined(failures: list[MlopsError], notes: list[str]) -> MlopsError:
    """One error for the deployments not stopped or not recorded, followed by the notes:
    a `StorageError` when a stop could not be recorded for want of disk, else the kind of
    the first failure."""
    text = " ".join([*map(str, failures), *notes])
    first = next((f for f in failures if isinstance(f, StorageError)), failures[0])
    return StorageError(first.errno, text) if isinstance(first, StorageError) else type(first)(text)


def _to_stop(registry: Registry, target: str | int) -> list[dict[str, Any]]:
    """The running deployments `target` names: one by its id (a number), or all of a ref."""
    text = str(target)
    if not re.fullmatch(r"[0-9]+", text):
        with registry.db.read() as conn:
            rows = sql.deployments_of(conn, model=parse_ref(text).model, running_only=True)
        named = {text} if names_version(text) else {text, f"{text}@champion"}
        copied = [row for row in rows if row["ref"] in named and row["copied_from"]]
        rows = [row for row in rows if not row["copied_from"]]
        if not (stopping := [row for row in rows if row["ref"] in named]):  # bare: champion
            if copied:
                raise _not_ours(copied[0])
            running = sorted({str(row["ref"]) for row in rows})
            hint = f" (running: {', '.join(running)})" if running else ""
            raise NotFoundError(
                f"no running deployment of {text}{hint}; list them with ", DEPLOYMENTS, "."
            )
        return stopping
    if len(text) > 18:
        raise NotFoundError(f"no deployment {text}; list them with ", DEPLOYMENTS, ".")
    with registry.db.read() as conn:
        row = sql.deployment(conn, int(text))
    if row is None:
        raise NotFoundError(f"no deployment {text}; list them with ", DEPLOYMENTS, ".")
    if row["stopped_at"] is not None:
        raise NotFoundError(
            f"deployment {text} ({row['ref']}) is already stopped; list the running ones with ",
            DEPLOYMENTS,
            ".",
        )
    if row["copied_from"]:
        raise _not_ours(row)
    return [row]


def _not_ours(row: dict[str, Any]) -> ConflictError:
    found = Deployment.from_row(row)
    return ConflictError(f"{found.elsewhere()}, so it was not stopped; undeploy it there.")


def _left_behind(found: Deployment) -> list[str]:
    """What a server on this machine said, as it stopped, of log rows it saved elsewhere."""
    if found.nonce_sha256 is None or not processes.on_this_machine(found.machine):
        return []
    return unwritten.report(unwritten.tag_of(found.nonce_sha256))


def record_stop(
    registry: Registry,
    deployment_id: int,
    ref: str,
    *,
    final: dict[str, int] | None = None,
    by: str | None = None,
) -> None:
    """Mark a deployment stopped (with the server's last counters, from the server itself,
    and `by` whom, when known); a registry that cannot take it raises saying that the
    server has stopped and only the record of it is missing, and why."""
    try:
        with registry.db.write() as conn:
            sql.mark_stopped(conn, deployment_id, at=utc_now(), final=final, by=by)
    except MlopsError as exc:
        full = isinstance(exc, StorageError)
        why = f"{plain_reason(exc)} under {str(registry.home)!r}" if full else str(exc)
        text = (
            f"deployment {deployment_id} of {ref} has stopped, but its stop could not be "
            f"recorded ({why.rstrip('.')}); once the registry can be written, undeploy "
            f"{deployment_id} records it (until then deployments lists it as dead)."
        )
        if isinstance(exc, StorageError):
            raise StorageError(exc.errno, text) from None
        raise type(exc)(text) from None
