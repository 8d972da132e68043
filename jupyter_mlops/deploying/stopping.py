"""How `undeploy` stops one running deployment without touching any other process.

`stop` applies the first rule that fits, for one running deployment:

1. On this machine, with the recorded start: it is our server. SIGTERM (it writes its
   buffered log rows and records itself stopped), wait up to `STOP_TIMEOUT`, and SIGKILL
   only if that pid still has that start. A server whose log cannot be written retries
   for less than half that (`unwritten.RETRY_SECONDS`), then saves the rows elsewhere,
   so it is not killed holding them.
2. Its URL answers /health with its nonce: POST /shutdown with the stop key and wait
   until it no longer answers. This is how a server on another machine is stopped, at
   the address it recorded for other machines (never by a pid here). A loopback or
   wildcard address recorded on another machine is that machine's own, and is not asked
   from here.
3. On this machine, and its pid is free, a zombie or another process's: the server is
   gone. Nothing is signalled; the record is marked stopped, with a sentence saying so.
4. Otherwise nothing is stopped: `ConflictError` says where the deployment runs.

Each rule rests on a proof of who the process is: see processes.py.
"""

from __future__ import annotations

import os
import signal
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from contextlib import suppress

from jupyter_mlops.deploying.processes import (
    answers_as,
    is_ours,
    known_gone,
    on_this_machine,
    process_start,
    reachable_from_here,
)
from jupyter_mlops.deploying.records import Deployment
from jupyter_mlops.errors import ConflictError
from jupyter_mlops.registry.capture import process_gone

STOP_TIMEOUT = 20.0


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
        and reachable_from_here(found.machine, found.address or found.host)
        and answers_as(found.asked_url, found.nonce_sha256)
    ):
        _ask_to_stop(found, stop_key)
        return None
    if not signal_refused and known_gone(found.machine, found.pid, found.process_start):
        return _gone(found)
    raise ConflictError(_where(found, signal_refused=signal_refused))


def _ask_to_stop(found: Deployment, stop_key: str) -> None:
    request = urllib.request.Request(
        f"{found.asked_url}/shutdown",
        method="POST",
        headers={"Authorization": f"Bearer {stop_key}"},
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
    if not _wait_until(lambda: not answers_as(found.asked_url, found.nonce_sha256)):
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
        address = found.address or found.host
        asked = (
            "does not answer as itself from here"
            if reachable_from_here(found.machine, address)
            else f"{address} is an address only that machine can use"
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
