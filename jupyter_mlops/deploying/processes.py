"""Which process a deployment is, proved without touching any other process.

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
  can change what they serve (stopping.py applies these proofs).

A machine is named by `config.machine()` ($MLOPS_HOSTNAME, else the system's host name).
A server also records the address other machines reach it at (`published_address`): the
address it bound, or its machine's name when it bound every interface. On its own machine
a server is asked at the address it bound (`local_address`), elsewhere at that one.

A server learns of its own stop by SIGTERM (or Ctrl-C) in every case, and records it
itself (serving/foreground.py).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import secrets
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from jupyter_mlops.config import machine
from jupyter_mlops.registry.capture import process_gone

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


def on_this_machine(recorded: str) -> bool:
    """Whether a process recorded on machine `recorded` runs on this one."""
    return recorded == machine()


def is_ours(recorded: str, pid: int, start: str | None) -> bool:
    """True when the process holding `pid` here is the one that recorded `start`."""
    return on_this_machine(recorded) and start is not None and process_start(pid) == start


def known_gone(recorded: str, pid: int, start: str | None) -> bool:
    """True when this machine proves the recorded process gone: its pid is free or a
    zombie, or belongs to a process with another start. Elsewhere nothing is proven."""
    if not on_this_machine(recorded):
        return False
    if start is None:  # recorded without /proc, or before starts were recorded
        return process_gone(recorded, pid)
    return process_start(pid) != start


# asking a server over HTTP


def _ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def published_address(host: str) -> str:
    """The address other machines reach a server bound to `host` at: this machine's name
    when it binds every interface (0.0.0.0, ::), else the address it binds."""
    bound = _ip(host)
    return machine() if bound is not None and bound.is_unspecified else host


def local_address(host: str) -> str:
    """The address a server bound to `host` is asked at on its own machine: the loopback
    of its kind when it binds every interface, else the address it binds."""
    bound = _ip(host)
    if bound is None or not bound.is_unspecified:
        return host
    return "::1" if bound.version == 6 else "127.0.0.1"


def url_of(address: str, port: int) -> str:
    """`http://address:port`, an IPv6 address in brackets."""
    bound = _ip(address)
    shown = f"[{bound}]" if bound is not None and bound.version == 6 else address
    return f"http://{shown}:{port}"


def reachable_from_here(recorded: str, address: str) -> bool:
    """Whether a server recorded on machine `recorded` at `address` can be asked from here:
    a loopback or wildcard address recorded on another machine is that machine's own."""
    if on_this_machine(recorded):
        return True
    found = _ip(address)
    if found is None:
        return address.lower() != "localhost"
    return not (found.is_loopback or found.is_unspecified)


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
