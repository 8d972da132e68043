"""Which process a deployment is, and how to stop it without touching any other process.

A deployment record names a pid on a machine, and a pid is not a name: once a server
exits, its number can be given to any process, and on another machine the number means
nothing here. So each server records, besides its pid, two proofs of who it is and a key:

- `process_start`: this machine's boot id and the server process's start time in clock
  ticks (field 22 of /proc/<pid>/stat). The process holding that pid is the server only
  while its start is the recorded one; a pid that is free, a zombie or another process's
  start proves the server gone.
- `nonce_sha256`: the hash of a random nonce the server reports at `GET /health`. The
  nonce grants nothing (it says "I am deployment n" and nothing else), so /health stays
  open; whoever finds it at a URL knows that URL is still that deployment.
- `stop_key`: a random key the server accepts at `POST /shutdown` (the server keeps only
  its hash). Whoever can read the registry can stop its servers, as whoever can write it
  can change what they serve.

`stop` applies the first rule that fits, for one running deployment:

1. On this machine, with the recorded start: it is our server. SIGTERM (it writes its
   buffered log rows and records itself stopped), wait up to `STOP_TIMEOUT`, and SIGKILL
   only if that pid still has that start. A server whose log cannot be written retries
   for less than half that (`unwritten.RETRY_SECONDS`), then saves the rows elsewhere,
   so it is not killed holding them.
2. Its URL answers /health with its nonce: POST /shutdown with the stop key and wait
   until it no longer answers. This is how a server on another machine is stopped. A
   loopback or wildcard address recorded on another machine is that machine's own, and
   is not asked from here.
3. On this machine, and its pid is free, a zombie or another process's: the server is
   gone. Nothing is signalled; the record is marked stopped, with a sentence saying so.
4. Otherwise nothing is stopped: `ConflictError` says where the deployment runs.

A server learns of its own stop by SIGTERM (or Ctrl-C) in every case: uvicorn shuts down
gracefully and then re-raises the signal, which `raise_on_stop_signals` turns into
`StopRequested`, so `serve` records the stop and returns instead of dying of the signal.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import os
import secrets
import signal
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from jupyter_mlops.errors import ConflictError
from jupyter_mlops.registry.capture import process_gone

if TYPE_CHECKING:
    from jupyter_mlops.serving.records import Deployment

STOP_TIMEOUT = 20.0
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
_PROC = Path("/proc")


def new_secret() -> str:
    """A random value nobody can guess (tokens, nonces, stop keys)."""
    return secrets.token_urlsafe(24)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


# who a process is


def process_start(pid: int) -> str | None:
    """`<boot id>:<start ticks>` of live process `pid` on this machine; None when the pid is
    free or a zombie, or where there is no /proc."""
    try:
        stat = (_PROC / str(pid) / "stat").read_text()
        boot = (_PROC / "sys" / "kernel" / "random" / "boot_id").read_text().strip()
    except OSError:
        return None
    fields = stat.rpartition(")")[2].split()  # the name in parentheses may hold spaces
    if fields[0] in ("Z", "X"):  # exited, not yet reaped
        return None
    return f"{boot}:{fields[19]}"


def on_this_machine(machine: str) -> bool:
    return machine == socket.gethostname()


def is_ours(machine: str, pid: int, start: str | None) -> bool:
    """True when the process holding `pid` here is the one that recorded `start`."""
    return on_this_machine(machine) and start is not None and process_start(pid) == start


def known_gone(machine: str, pid: int, start: str | None) -> bool:
    """True when this machine proves the recorded process gone: its pid is free or a
    zombie, or belongs to a process with another start. Elsewhere nothing is proven."""
    if not on_this_machine(machine):
        return False
    if start is None:  # recorded without /proc, or before starts were recorded
        return process_gone(machine, pid)
    return process_start(pid) != start


# asking a server over HTTP


def reachable_from_here(machine: str, host: str) -> bool:
    """Whether the address a server bound can be asked from here: a loopback or wildcard
    address recorded on another machine is that machine's own."""
    if on_this_machine(machine):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host.lower() != "localhost"
    return not (address.is_loopback or address.is_unspecified)


def answers_as(url: str, nonce_sha256: str | None, *, timeout: float = 1.0) -> dict[str, Any]:
    """What the server at `url` reports at /health when it is the one with this nonce's
    hash; an empty dict when it is not, or does not answer."""
    if nonce_sha256 is None:
        return {}
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=timeout) as answer:
            health = json.loads(answer.read())
    except (OSError, ValueError):
        return {}
    nonce = health.get("nonce") if isinstance(health, dict) else None
    if not isinstance(nonce, str) or not hmac.compare_digest(digest(nonce), nonce_sha256):
        return {}
    return health


# the server's side of a stop


class StopRequested(BaseException):
    """SIGTERM or SIGINT reached `serve`. A BaseException, so that no `except Exception`
    between the signal and `serve` takes it for an error."""


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


# undeploy's side


def stop(found: Deployment, *, stop_key: str | None) -> str | None:
    """Stop one running deployment by the first rule that fits (see the module docstring).

    Returns a sentence when the server was found gone or had to be killed, None when it
    stopped as asked; raises `ConflictError` when it cannot be stopped from here.
    """
    if is_ours(found.machine, found.pid, found.process_start):
        try:
            os.kill(found.pid, signal.SIGTERM)
        except ProcessLookupError:
            return None  # it exited on its own a moment ago
        except PermissionError:
            return _over_http(found, stop_key=stop_key, signal_refused=True)
        return _wait_or_kill(found)
    return _over_http(found, stop_key=stop_key)


def _wait_or_kill(found: Deployment) -> str | None:
    def gone() -> bool:
        with suppress(ChildProcessError):  # reap it when it is our own child
            os.waitpid(found.pid, os.WNOHANG)
        return not is_ours(found.machine, found.pid, found.process_start)

    if _wait_until(gone):
        return None
    if is_ours(found.machine, found.pid, found.process_start):
        os.kill(found.pid, signal.SIGKILL)
    return (
        f"deployment {found.id} of {found.ref} (pid {found.pid}) did not stop within "
        f"{STOP_TIMEOUT:.0f} s of SIGTERM and was killed; rows it had not yet logged are lost."
    )


def _over_http(
    found: Deployment, *, stop_key: str | None, signal_refused: bool = False
) -> str | None:
    """Rules 2 to 4: ask the server at its URL, or prove it gone, or say where it runs."""
    if (
        stop_key is not None
        and reachable_from_here(found.machine, found.host)
        and answers_as(found.url, found.nonce_sha256)
    ):
        _ask_to_stop(found, stop_key)
        return None
    if not signal_refused and known_gone(found.machine, found.pid, found.process_start):
        return _gone(found)
    raise ConflictError(_where(found, signal_refused=signal_refused))


def _ask_to_stop(found: Deployment, stop_key: str) -> None:
    request = urllib.request.Request(
        f"{found.url}/shutdown", method="POST", headers={"Authorization": f"Bearer {stop_key}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=5):
            pass
    except urllib.error.HTTPError as exc:
        raise ConflictError(
            f"deployment {found.id} of {found.ref} refused to stop at {found.url}/shutdown "
            f"(HTTP {exc.code}): it is not the server this registry recorded there; stop it "
            f"on {found.machine}."
        ) from None
    except OSError:
        pass  # it may close the connection as it goes: what counts is that it goes
    if not _wait_until(lambda: not answers_as(found.url, found.nonce_sha256)):
        raise ConflictError(
            f"deployment {found.id} of {found.ref} was asked to stop at {found.url} and still "
            f"answers after {STOP_TIMEOUT:.0f} s; undeploy again once its requests finish."
        )


def _gone(found: Deployment) -> str:
    if process_gone(found.machine, found.pid) or process_start(found.pid) is None:
        whose = "its process had exited"
    else:
        whose = f"pid {found.pid} now belongs to another process, which was not signalled"
    return f"deployment {found.id} of {found.ref} was not running ({whose}); marked stopped."


def _where(found: Deployment, *, signal_refused: bool) -> str:
    """The one sentence of a refusal: where the deployment runs and what to do."""
    what = f"deployment {found.id} of {found.ref} (pid {found.pid}, {found.url})"
    if signal_refused:
        return (
            f"{what} runs as another user and does not answer as itself at its URL, so it "
            "was not stopped; undeploy it as that user."
        )
    if not on_this_machine(found.machine):
        asked = (
            "does not answer as itself from here"
            if reachable_from_here(found.machine, found.host)
            else f"{found.host} is an address only that machine can use"
        )
        return (
            f"{what} runs on {found.machine} and {asked}, so it was not stopped; "
            f"undeploy it on {found.machine}."
        )
    return (
        f"{what} was recorded without its process's start time and does not answer as "
        f"itself, so pid {found.pid} is not known to be its server and was not signalled; "
        f"if it is, stop it (kill {found.pid}) and undeploy again."
    )


def _wait_until(done: Callable[[], bool], timeout: float = STOP_TIMEOUT) -> bool:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)
    return True
