"""`serve`: one model server in this process until SIGTERM or Ctrl-C, recorded as a
deployment from its start to its stop.

The server records itself: pid, machine, its process's start time, the nonce's hash and a
stop key (deploying/processes.py says why each is there), and at its stop the last
counters it served. It learns of its stop by SIGTERM (or Ctrl-C) in every case: uvicorn
shuts down gracefully and then re-raises the signal, which `raise_on_stop_signals` turns
into `StopRequested`, so `serve` records the stop and returns instead of dying of the
signal.
"""

from __future__ import annotations

import os
import signal
import socket
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

import uvicorn

from jupyter_mlops.clock import utc_now
from jupyter_mlops.config import machine
from jupyter_mlops.deploying import check_port, processes
from jupyter_mlops.deploying.control import record_stop
from jupyter_mlops.deploying.shadows import shadow_of
from jupyter_mlops.errors import Spelled, UnavailableError
from jupyter_mlops.registry import Registry
from jupyter_mlops.registry.capture import current_user
from jupyter_mlops.serving.app import ModelServer
from jupyter_mlops.serving.limits import uvicorn_options
from jupyter_mlops.store import deployments as sql

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def serve(
    registry: Registry,
    ref: str,
    *,
    host: str = "127.0.0.1",
    port: int = 8765,
    token: str,
    nonce: str | None = None,
    shadow: str | None = None,
) -> None:
    """Serve `ref` in this process until SIGTERM or Ctrl-C, recorded as a deployment.

    Either signal stops it gracefully (buffered log rows written), records it stopped and
    returns; a new nonce is made unless `deploy` passed the one it waits for. `shadow`:
    another ref of the model, scoring every answered request off the answer path.
    """
    check_port(port)
    with listening(host, port) as listener:  # before anything is recorded
        _serve_on(
            listener, registry, ref, host=host, port=port, token=token, nonce=nonce, shadow=shadow
        )


def _serve_on(
    listener: socket.socket,
    registry: Registry,
    ref: str,
    *,
    host: str,
    port: int,
    token: str,
    nonce: str | None,
    shadow: str | None,
) -> None:
    ref = registry.watched(ref)  # a bare name serves the champion alias
    model = registry.get(ref).model
    shadow = shadow_of(registry, ref, shadow)
    nonce = nonce or processes.new_secret()
    stop_key = processes.new_secret()
    server = ModelServer(
        registry,
        ref,
        token_sha256=processes.digest(token),
        nonce=nonce,
        stop_key_sha256=processes.digest(stop_key),
        shadow=shadow,
    )
    where = {"model": model, "ref": ref, "host": host, "port": port, "shadow_ref": shadow}
    where["address"] = processes.published_address(host)
    record = {**where, **_this_process(nonce, stop_key), "token_sha256": processes.digest(token)}
    _run_recorded(registry, server, record, listener)


def listening(host: str, port: int) -> socket.socket:
    """A socket bound to `host`:`port` (IPv6 when the host has a colon, as uvicorn binds)
    for the server to accept on, or the one sentence saying why it cannot be: another
    program listens there, or this machine has no such address."""
    listener = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
    except (OSError, UnicodeError) as exc:
        listener.close()
        raise _unlistened(host, port, exc) from None
    return listener


def _unlistened(host: str, port: int, exc: Exception) -> UnavailableError:
    why = getattr(exc, "strerror", None) or str(exc)
    return UnavailableError(
        f"cannot serve at {host}:{port} ({why}), so nothing was started or recorded; stop "
        "what listens there or choose another port, and give a host this machine has (",
        Spelled(python="host=, port=", notebook="--host, --port", shell="--host, --port"),
        ").",
    )


def _this_process(nonce: str, stop_key: str) -> dict[str, Any]:
    """Who this server is, in the record undeploy reads: its pid with the proofs of it."""
    return {
        "pid": os.getpid(),
        "machine": machine(),
        "process_start": processes.process_start(os.getpid()),
        "nonce_sha256": processes.digest(nonce),
        "stop_key": stop_key,
        "started_at": utc_now(),
        "started_by": current_user(),
        "log_file": os.environ.get("MLOPS_SERVE_LOG"),
    }


def _run_recorded(
    registry: Registry, server: ModelServer, record: dict[str, Any], listener: socket.socket
) -> None:
    """Record the deployment, serve on `listener` until a stop signal, and record its stop
    with the server's last counters (a deployment never recorded is not recorded stopped)."""
    restore_signals = raise_on_stop_signals()
    deployment_id = None
    stopper = None  # who stopped it, when this process knows: whoever pressed Ctrl-C
    try:
        with registry.db.write() as conn:
            deployment_id = sql.insert_deployment(conn, record)
        config = uvicorn.Config(
            server.app,
            host=record["host"],
            port=record["port"],
            log_level="warning",
            **uvicorn_options(),
        )
        uvicorn.Server(config).run(sockets=[listener])
    except StopRequested as stop:  # uvicorn re-raised the signal it shut down for (or it
        # came before uvicorn ran); undeploy records who sent a SIGTERM
        stopper = current_user() if stop.signum == signal.SIGINT else None
    finally:
        restore_signals()
        if deployment_id is not None:
            final = server.final_counts()
            record_stop(registry, deployment_id, record["ref"], final=final, by=stopper)


class StopRequested(BaseException):
    """SIGTERM or SIGINT (`signum`) reached `serve`. A BaseException, so that no `except
    Exception` between the signal and `serve` takes it for an error."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def raise_on_stop_signals() -> Callable[[], None]:
    """Make SIGTERM and SIGINT raise `StopRequested` (once; later ones are ignored until
    the old handlers are back) and return the function that puts the old handlers back.

    uvicorn replaces these handlers while it serves, then restores them and re-raises the
    signal it received: that re-raise lands here instead of killing the process.
    """
    if threading.current_thread() is not threading.main_thread():
        return lambda: None  # signals reach the main thread only
    raised: list[int] = []

    def stop(signum: int, frame: FrameType | None) -> None:
        if not raised:
            raised.append(signum)
            raise StopRequested(signum)

    previous = {sig: signal.signal(sig, stop) for sig in STOP_SIGNALS}

    def restore() -> None:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    return restore
