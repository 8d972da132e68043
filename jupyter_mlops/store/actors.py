"""Who a change is recorded as, where the database knows better than the process.

A registry file records the user the process names ($MLOPS_USER, else the system's user).
On a shared catalog anyone could name anyone, so every user column a write fills holds the
PostgreSQL role that write logged in as: the one thing a team member cannot claim falsely.
A shared catalog's write registers its role here for as long as it runs (`acting`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import duckdb

# every column that records who did something
USER_COLUMNS = frozenset(
    {"created_by", "moved_by", "changed_by", "started_by", "stopped_by", "updated_by"}
)
_acting: dict[int, str] = {}  # id of a write's connection -> the role it writes as


@contextmanager
def acting(conn: duckdb.DuckDBPyConnection, role: str) -> Iterator[None]:
    """While this runs, the user columns `conn` writes hold `role`."""
    _acting[id(conn)] = role
    try:
        yield
    finally:
        _acting.pop(id(conn), None)


def stamped(conn: duckdb.DuckDBPyConnection, record: dict[str, Any]) -> dict[str, Any]:
    """`record` with its user columns holding the role `conn` writes as, where it has one."""
    role = _acting.get(id(conn))
    if role is None:
        return record
    return {key: role if key in USER_COLUMNS else value for key, value in record.items()}


def user(conn: duckdb.DuckDBPyConnection, given: str) -> str:
    """The user to record for `given` through `conn`."""
    return _acting.get(id(conn), given)
