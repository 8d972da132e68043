"""A shared registry's catalog in this process: let go of when closed, attached again when used."""

from __future__ import annotations

import pytest

from tests.postgres import Cluster


def connections(postgres: Cluster) -> int:
    """The sessions this process holds on the catalogs' database (the server is this test
    process's own): DuckDB's, reading catalogs, and those that take the writer locks."""
    [(count,)] = postgres.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = 'mlops' AND pid <> pg_backend_pid()"
    )
    return int(count)


@pytest.mark.backends("lake")
def test_a_closed_shared_registry_ends_its_sessions_and_opens_again_when_used(registry, postgres):
    with registry.db.write():
        pass
    held = connections(postgres)
    registry.db.close()
    closed = connections(postgres)
    assert closed <= held - 2  # at least DuckDB's on its catalog and the writer's
    assert str(registry.models()) == "no models registered yet"
    with registry.db.write():
        pass
    assert connections(postgres) >= closed + 2
