"""A shared registry's catalog in this process: let go of when closed, attached again when used."""

from __future__ import annotations

import psutil
import pytest

from tests.postgres import Cluster


def connections(postgres: Cluster) -> int:
    """The sessions this process holds on the catalogs' database: DuckDB's, reading catalogs,
    the one asking for their newest snapshots, and those that take the writer locks (the
    server is this worker's, but servers and kernels that other tests started may still
    come and go on it, so a session counts only when it is on one of this process's sockets)."""
    mine = {c.laddr.port for c in psutil.Process().net_connections("tcp") if c.laddr}
    rows = postgres.execute(
        "SELECT client_port FROM pg_stat_activity "
        "WHERE datname = 'mlops' AND pid <> pg_backend_pid()"
    )
    return sum(port in mine for (port,) in rows)


@pytest.mark.backends("lake")
def test_a_closed_shared_registry_ends_its_sessions_and_opens_again_when_used(registry, postgres):
    with registry.db.write():
        pass
    held = connections(postgres)
    registry.db.close()
    closed = connections(postgres)
    assert closed <= held - 3  # DuckDB's on its catalog, the snapshot asker's, the writer's
    assert str(registry.models()) == "no models registered yet"
    with registry.db.write():
        pass
    assert connections(postgres) >= closed + 3
