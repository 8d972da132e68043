"""A shared registry keeps what a process looked up until the catalog changes: a lookup never
answers from before a write, whoever made it, and a caller's changes to what it got never reach
the next caller."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from jupyter_mlops import Registry
from tests.conftest import closed
from tests.postgres import Cluster

pytestmark = pytest.mark.backends("lake")


def elsewhere(registry: Registry, code: str) -> None:
    """Run `code` in another process, `registry` opened there as `r`."""
    script = textwrap.dedent(f"""
        from jupyter_mlops import Registry
        r = Registry({registry.location!r}, data_path={str(registry.home)!r})
    """) + textwrap.dedent(code)
    subprocess.run([sys.executable, "-c", script], check=True, timeout=120)


def test_a_lookup_sees_what_another_process_wrote_since(registry, fitted, dataset):
    X, y = dataset
    for _ in range(2):
        registry.register("churn", fitted, X=X, y=y, force=True)
    registry.promote("churn", 1, "champion")
    assert registry.get("churn@champion").version == 1
    assert len(registry.versions("churn")) == 2

    elsewhere(
        registry,
        """
        r.promote("churn", 2, "champion")
        r.tag("churn", 1, {"team": "fraud"})
    """,
    )

    assert registry.get("churn@champion").version == 2
    assert registry.get("churn:1").tags == {"team": "fraud"}
    assert [v.aliases for v in registry.versions("churn")] == [[], ["champion"]]


def test_what_a_lookup_gives_is_the_callers_own(registry, fitted, dataset):
    X, y = dataset
    registry.register("churn", fitted, X=X, y=y, metrics={"auc": 0.9}, tags={"a": "b"})
    first = registry.get("churn")
    first.metrics["auc"] = -1.0
    first.tags["a"] = "changed"
    listed = registry.versions("churn")
    listed[0].aliases.append("made-up")

    again = registry.get("churn")
    assert again.metrics == {"auc": 0.9} and again.tags == {"a": "b"}
    assert registry.versions("churn")[0].aliases == []


def test_a_catalog_made_again_in_the_same_schema_is_read_afresh(
    postgres: Cluster, tmp_path: Path, fitted
):
    """Made again the same way, the new catalog reaches the same snapshot numbers as the old
    one: what was kept of the old one must not answer for it."""
    schema = postgres.new_schema()
    url = postgres.url(schema)

    def made(data: str, auc: float) -> Registry:
        registry = Registry(url, data_path=tmp_path / data)
        registry.register("churn", fitted, metrics={"auc": auc})
        return registry

    old = made("old", 0.1)
    assert old.get("churn").metrics == {"auc": 0.1}
    postgres.execute(f'DROP SCHEMA "{schema}" CASCADE')
    postgres.execute(f'CREATE SCHEMA "{schema}"')
    new = made("new", 0.2)
    try:
        assert new.get("churn").metrics == {"auc": 0.2}
    finally:
        closed(new)
        closed(old)
