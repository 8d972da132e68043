"""An old registry file upgrades in place through the ordered migrations."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from jupyter_mlops import Registry
from jupyter_mlops.errors import ConflictError, IntegrityError, InvalidArgumentError
from jupyter_mlops.store.migrations import LATEST, MIGRATIONS
from jupyter_mlops.store.upgrading import applied, migrate


def write_old_registry(home: Path, artifact_sha: str, size: int) -> None:
    """A registry as the first schema left it: one model, one version, one alias move."""
    home.mkdir(parents=True)
    conn = duckdb.connect(str(home / "registry.duckdb"))
    migrate(conn, upto=1)
    now = datetime(2026, 1, 2, 3, 4, 5)
    conn.execute("INSERT INTO models VALUES ('legacy', ?, 'ann')", [now])
    conn.execute(
        "INSERT INTO versions VALUES ('legacy', 1, ?, 'ann', ?, ?, 'skops', '[]', '{}', "
        "'{\"auc\": 0.8}', NULL, NULL, NULL, NULL, NULL, NULL, '{}', NULL, 'ready')",
        [now, artifact_sha, size],
    )
    conn.execute("INSERT INTO aliases VALUES ('legacy', 'champion', 1, ?)", [now])
    conn.execute(
        "INSERT INTO alias_events (model, alias, from_version, to_version, action, reason, "
        "moved_at, moved_by) VALUES ('legacy', 'champion', NULL, 1, 'promote', 'first', ?, 'ann')",
        [now],
    )
    conn.close()


def test_old_schema_upgrades_in_place_and_keeps_its_data(tmp_path, fitted, dataset) -> None:
    source = Registry(tmp_path / "source").register("m", fitted)
    home = tmp_path / "old"
    blob = (
        tmp_path
        / "source"
        / "artifacts"
        / "sha256"
        / source.artifact_sha256[:2]
        / source.artifact_sha256[2:]
    ).read_bytes()
    write_old_registry(home, source.artifact_sha256, len(blob))
    target = home / "artifacts" / "sha256" / source.artifact_sha256[:2]
    target.mkdir(parents=True)
    (target / source.artifact_sha256[2:]).write_bytes(blob)

    registry = Registry(home)

    with duckdb.connect(str(home / "registry.duckdb"), read_only=True) as conn:
        assert applied(conn) == [name for name, _ in MIGRATIONS]
    version = registry.get("legacy@champion")
    assert (version.version, version.metrics, version.description, version.tags) == (
        1,
        {"auc": 0.8},
        "",
        {},
    )
    assert registry.tag("legacy", 1, {"stage": "prod"}).tags == {"stage": "prod"}
    X, _ = dataset
    assert (registry.load("legacy@champion").predict(X) == fitted.predict(X)).all()
    assert [e.action for e in registry.history("legacy")] == ["promote"]
    registry.register("legacy", fitted, X=X)
    assert [v.version for v in registry.versions("legacy")] == [1, 2]


def test_migrations_are_recorded_once_each(tmp_path) -> None:
    Registry(tmp_path)
    Registry(tmp_path)
    with duckdb.connect(str(tmp_path / "registry.duckdb"), read_only=True) as conn:
        rows = conn.execute("SELECT id, name FROM schema_migrations ORDER BY id").fetchall()
    assert rows == [(i + 1, name) for i, (name, _) in enumerate(MIGRATIONS)]
    assert len(rows) == LATEST


def test_a_registry_from_a_newer_version_is_refused(tmp_path) -> None:
    Registry(tmp_path)
    with duckdb.connect(str(tmp_path / "registry.duckdb")) as conn:
        conn.execute("INSERT INTO schema_migrations VALUES (99, '0099_future', now())")
        with pytest.raises(ConflictError, match="newer jupyter-mlops"):
            migrate(conn)


def test_a_database_that_is_not_a_registry_is_refused_and_left_alone(tmp_path: Path) -> None:
    with duckdb.connect(str(tmp_path / "registry.duckdb")) as conn:
        conn.execute("CREATE TABLE versions (whatever INTEGER)")
    before = (tmp_path / "registry.duckdb").read_bytes()
    with pytest.raises(ConflictError, match="is not a jupyter-mlops registry"):
        Registry(tmp_path)
    assert (tmp_path / "registry.duckdb").read_bytes() == before


def test_a_sqlite_file_is_refused_without_loading_any_extension(tmp_path: Path) -> None:
    import sqlite3

    with sqlite3.connect(tmp_path / "registry.duckdb") as conn:
        conn.execute("CREATE TABLE x (a)")
    with pytest.raises(IntegrityError, match="cannot be opened") as raised:
        Registry(tmp_path)
    assert "download" not in str(raised.value).lower()


@pytest.mark.parametrize("value", ["nan", "-1", "inf", "soon"])
def test_a_lock_timeout_that_is_not_a_number_of_seconds_is_refused(tmp_path, monkeypatch, value):
    monkeypatch.setenv("MLOPS_LOCK_TIMEOUT", value)
    with pytest.raises(InvalidArgumentError, match="MLOPS_LOCK_TIMEOUT"):
        Registry(tmp_path)
