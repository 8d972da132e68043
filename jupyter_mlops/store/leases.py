"""Leases: work only one process anywhere may do at a time, held until a deadline.

A lease is a row of `leases`: its name (`compaction:churn`), the owner holding it (a
token of one process's one claim), that owner's machine and process, and when it expires.
It is claimed, renewed and released by writes of the registry, which take turns under the
registry's writer lock, so of two claims the second sees the first. Nothing else vouches
for a holder: a holder that dies keeps its lease until it expires, and a living one renews
it before each step of its work and stops when a renewal finds it was taken. An owner may
renew a lease that expired while nobody claimed it: nothing happened meanwhile.

Times are naive UTC from one clock: a shared catalog's PostgreSQL server's (the machines of a
team may disagree on the time), a registry file's machine's own.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import duckdb

from jupyter_mlops.clock import utc_now
from jupyter_mlops.config import machine
from jupyter_mlops.store import lake_reads
from jupyter_mlops.store.backends import Store
from jupyter_mlops.store.lake import LakeDatabase


@dataclass(frozen=True)
class Lease:
    """Who holds the lease `name`, from which machine and process, until when."""

    name: str
    owner: str
    host: str
    pid: int
    expires_at: datetime

    def live(self, now: datetime | None = None) -> bool:
        return self.expires_at > (now or utc_now())


def new_owner() -> str:
    """A token no other claim, in this process or any other on any machine, holds."""
    return f"{machine()}:{os.getpid()}:{uuid.uuid4().hex}"


def claim(store: Store, name: str, *, owner: str, seconds: float) -> Lease:
    """Claim `name` for `owner` for `seconds`, and return the lease as it then stands:
    `owner`'s, unless another owner holds it and it has not expired (that owner's)."""
    with store.write() as conn:
        held = _held(conn, name)
        at = now(store)
        if held is not None and held.owner != owner and held.live(at):
            return held
        mine = Lease(name, owner, machine(), os.getpid(), at + timedelta(seconds=seconds))
        if held is None:
            conn.execute(
                "INSERT INTO leases VALUES (?, ?, ?, ?, ?, ?)",
                [name, owner, mine.host, mine.pid, at, mine.expires_at],
            )
        else:
            conn.execute(
                "UPDATE leases SET owner = ?, host = ?, pid = ?, claimed_at = ?, expires_at = ? "
                "WHERE name = ?",
                [owner, mine.host, mine.pid, at, mine.expires_at, name],
            )
        return mine


def renew(store: Store, lease: Lease, *, seconds: float) -> Lease | None:
    """`lease` extended to `seconds` from now; None when its owner lost it (another
    claimed it once it had expired, or it was released)."""
    with store.write() as conn:
        held = _held(conn, lease.name)
        if held is None or held.owner != lease.owner:
            return None
        until = now(store) + timedelta(seconds=seconds)
        conn.execute(
            "UPDATE leases SET expires_at = ? WHERE name = ? AND owner = ?",
            [until, lease.name, lease.owner],
        )
        return Lease(lease.name, lease.owner, held.host, held.pid, until)


def release(store: Store, lease: Lease) -> None:
    """Give `lease` up (nothing, when its owner no longer holds it)."""
    with store.write() as conn:
        conn.execute("DELETE FROM leases WHERE name = ? AND owner = ?", [lease.name, lease.owner])


def holder(store: Store, name: str) -> Lease | None:
    """The lease `name` while it lives; None when nobody holds it or it expired."""
    with store.read() as conn:
        held = _held(conn, name)
    return held if held is not None and held.live(now(store)) else None


def now(store: Store) -> datetime:
    """The time on the clock leases are judged by."""
    return lake_reads.server_time(store) if isinstance(store, LakeDatabase) else utc_now()


def _held(conn: duckdb.DuckDBPyConnection, name: str) -> Lease | None:
    row = conn.execute(
        "SELECT name, owner, host, pid, expires_at FROM leases WHERE name = ?", [name]
    ).fetchone()
    return None if row is None else Lease(row[0], row[1], row[2], int(row[3]), row[4])
