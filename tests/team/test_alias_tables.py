"""A shared registry keeps its aliases and their audit trail in PostgreSQL tables of their own:
a catalog an older version made, which kept them in DuckLake, keeps every alias and every
event (ids and all) when it is upgraded, also where an upgrade died halfway; and a move is one
PostgreSQL transaction, which a refusal leaves unwritten."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import psycopg
import pytest

from jupyter_mlops import Registry
from jupyter_mlops.errors import ConflictError
from jupyter_mlops.registry.events import AliasEvent
from jupyter_mlops.store.lake import LakeDatabase
from jupyter_mlops.store.migrations import MIGRATIONS
from tests.conftest import closed

pytestmark = pytest.mark.backends("lake")
# the number of the migration that moves the aliases to PostgreSQL
MOVED = next(n for n, (name, _) in enumerate(MIGRATIONS, 1) if name == "0016_aliases_in_postgres")


def trail(registry: Registry) -> tuple[dict[str, int], list[Any]]:
    """Where the model's aliases point, and every move of them as recorded."""
    return registry.model_aliases("churn"), [
        (e.id, e.alias, e.from_version, e.to_version, e.action, e.reason, e.moved_by, e.evidence)
        for e in registry.history("churn")
        if isinstance(e, AliasEvent)
    ]


def moved_about(registry: Registry, fitted: Any, dataset: Any) -> None:
    X, y = dataset
    for _ in range(3):
        registry.register("churn", fitted, X=X, y=y, force=True)
    registry.promote("churn", 1, "champion", reason="first")
    registry.promote("churn", 2, "champion", reason="better")
    registry.promote("churn", 3, "shadow", evidence={"auc": 0.9})
    registry.rollback("churn", "champion", reason="worse")
    registry.remove_alias("churn", "shadow", reason="done")


def as_older(registry: Registry) -> LakeDatabase:
    """Make the catalog as the versions before the move kept it: its aliases in DuckLake's
    tables, and neither the move's migration nor the later ones applied."""
    db = registry.db
    assert isinstance(db, LakeDatabase)
    with db.write() as conn:  # reads the PostgreSQL tables, writes DuckLake's
        for table in ("aliases", "alias_events"):
            conn.execute(f"CREATE TABLE {db.name}.main.{table} AS SELECT * FROM {table}")
        conn.execute("DELETE FROM schema_migrations WHERE id >= ?", [MOVED])
        conn.execute("DROP TABLE copied_rows")  # what later migrations make
        conn.execute("ALTER TABLE metric_results DROP COLUMN block")
    with psycopg.connect(db.conninfo, autocommit=True) as session:
        session.execute(f"DROP TABLE {db.schema}.mlops_aliases, {db.schema}.mlops_alias_events")
    closed(registry)
    return db


def opened_elsewhere(db: LakeDatabase, env: dict[str, str]) -> None:
    """Open the registry in another process, as a new version's first user does."""
    done = subprocess.run(
        [sys.executable, "-m", "jupyter_mlops.cli", "--home", db.url, "models"],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


def in_postgres(db: LakeDatabase) -> list[int]:
    """The rows of the aliases' PostgreSQL tables, and whether DuckLake still has its own."""
    with psycopg.connect(db.conninfo) as session:
        counted = [
            session.execute(f"SELECT count(*) FROM {db.schema}.{table}").fetchone()[0]
            for table in ("mlops_aliases", "mlops_alias_events")
        ]
        lake = session.execute(
            f"SELECT count(*) FROM {db.schema}.ducklake_table "
            "WHERE table_name IN ('aliases', 'alias_events') AND end_snapshot IS NULL"
        ).fetchone()[0]
    return [*counted, lake]


def test_an_older_catalog_keeps_every_alias_and_move_when_upgraded(
    registry, fitted, dataset, subprocess_env
):
    moved_about(registry, fitted, dataset)
    before = trail(registry)
    assert before[0] == {"champion": 1} and len(before[1]) == 5
    db = as_older(registry)

    opened_elsewhere(db, subprocess_env)

    upgraded = Registry(db.url)
    assert trail(upgraded) == before
    assert in_postgres(db) == [1, 5, 0]
    event = upgraded.promote("churn", 3, "champion", reason="after the upgrade")
    assert event.id == before[1][-1][0] + 1
    assert upgraded.rollback("churn", "champion").to_version == 1
    closed(upgraded)


def test_an_upgrade_that_died_after_copying_the_aliases_is_done_again_whole(
    registry, fitted, dataset, subprocess_env
):
    """An upgrade copies the aliases to PostgreSQL, commits that, then drops DuckLake's tables
    in the catalog's own commit: one killed between the two leaves both. The next upgrade
    copies them again, whatever the first left in PostgreSQL."""
    moved_about(registry, fitted, dataset)
    before = trail(registry)
    db = as_older(registry)
    with psycopg.connect(db.conninfo, autocommit=True) as session:  # what a dead upgrade left
        session.execute(
            f"CREATE TABLE {db.schema}.mlops_aliases (model TEXT NOT NULL, alias TEXT NOT NULL, "
            "version INTEGER NOT NULL, updated_at TIMESTAMP NOT NULL, PRIMARY KEY (model, alias))"
        )
        session.execute(f"INSERT INTO {db.schema}.mlops_aliases VALUES ('churn', 'x', 9, now())")

    opened_elsewhere(db, subprocess_env)

    upgraded = Registry(db.url)
    assert trail(upgraded) == before
    assert in_postgres(db) == [1, 5, 0]
    closed(upgraded)


def test_a_refused_move_writes_nothing_and_the_next_one_goes_through(registry, fitted, dataset):
    X, y = dataset
    for _ in range(2):
        registry.register("churn", fitted, X=X, y=y, force=True)
    registry.promote("churn", 1, "champion")
    with pytest.raises(ConflictError, match="moved since you looked"):
        registry.promote("churn", 2, "champion", expect=2)
    registry.archive("churn", 2)
    with pytest.raises(ConflictError, match="archived"):
        registry.promote("churn", 2, "champion")
    assert trail(registry)[0] == {"champion": 1} and len(trail(registry)[1]) == 1

    registry.promote("churn", 1, "shadow")  # the lock was let go of, the status read afresh
    assert [e[4] for e in trail(registry)[1]] == ["promote", "promote"]
