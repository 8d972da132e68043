"""A plan says what a promote, a rollback or an archive would change before it happens,
by the rules the action applies: each plan is what the action then does, a refused plan
carries the error the action raises, and planning changes nothing."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from jupyter_mlops import operations
from jupyter_mlops.errors import Face, MlopsError
from jupyter_mlops.registry import Registry
from jupyter_mlops.shown import shown_in
from tests.conftest import free_port, wait_for


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, dataset, fitted) -> Path:
    """A registry directory with model m's versions 1, 2 and 3, none promoted."""
    X, y = dataset
    home = tmp_path_factory.mktemp("plans") / "registry"
    found = Registry(home)
    for _ in range(3):
        found.register("m", fitted, X=X, y=y, force=True)
    return home


@pytest.fixture
def registry(tmp_path: Path, built: Path) -> Registry:
    """A copy of the built registry of its own, for a test to change."""
    shutil.copytree(built, tmp_path / "registry")
    return Registry(tmp_path / "registry")


def snapshot(registry: Registry) -> Any:
    """What a user can read of the catalog: versions, aliases, the audit trail."""
    versions = operations.versions(registry, model="m").to_dict()
    return versions, registry.aliases("m"), operations.history(registry, model="m").to_dict()


def test_a_promote_plan_is_the_move_the_promote_makes(registry: Registry) -> None:
    first = operations.plan_promote(registry, model="m", version=1)
    assert (first.allowed, first.from_version, first.to_version) == (True, None, 1)
    assert str(first) == "promote m@champion: none -> 1; no running deployment follows m@champion."
    done = operations.promote(registry, model="m", version=1)
    assert (done.from_version, done.to_version) == (None, 1)

    planned = operations.plan_promote(registry, model="m", version="3", alias="champion")
    done = operations.promote(registry, model="m", version=3)
    assert (planned.from_version, planned.to_version) == (done.from_version, done.to_version)
    assert (planned.from_version, planned.to_version) == (1, 3)


def test_a_rollback_plan_returns_the_alias_where_the_rollback_takes_it(
    registry: Registry,
) -> None:
    for version in (1, 2, 3):
        registry.promote("m", version)
    for expected in [(3, 2), (2, 1)]:  # an undo stack: 3 -> 2, then 2 -> 1
        planned = operations.plan_rollback(registry, model="m")
        assert planned.allowed and (planned.from_version, planned.to_version) == expected
        done = operations.rollback(registry, model="m", reason="worse")
        assert (done.from_version, done.to_version) == expected
    assert registry.get("m@champion").version == 1


def refusals() -> dict[str, tuple[Callable[[Registry], Any], Callable[[Registry], Any]]]:
    """(plan, action) pairs the registry built by `refused_registry` refuses."""
    ops = operations
    return {
        "archive-a-champion": (
            lambda r: ops.plan_archive(r, model="m", version=2),
            lambda r: ops.archive(r, model="m", version=2),
        ),
        "promote-an-archived-version": (
            lambda r: ops.plan_promote(r, model="m", version=1, alias="challenger"),
            lambda r: ops.promote(r, model="m", version=1, alias="challenger"),
        ),
        "roll-back-onto-an-archived-version": (
            lambda r: ops.plan_rollback(r, model="m"),
            lambda r: ops.rollback(r, model="m"),
        ),
        "roll-back-with-nothing-to-undo": (
            lambda r: ops.plan_rollback(r, model="m", alias="first"),
            lambda r: ops.rollback(r, model="m", alias="first"),
        ),
        "roll-back-an-unknown-alias": (
            lambda r: ops.plan_rollback(r, model="m", alias="champoin"),
            lambda r: ops.rollback(r, model="m", alias="champoin"),
        ),
        "promote-an-unknown-version": (
            lambda r: ops.plan_promote(r, model="m", version=9),
            lambda r: ops.promote(r, model="m", version=9),
        ),
        "archive-in-an-unknown-model": (
            lambda r: ops.plan_archive(r, model="n", version=1),
            lambda r: ops.archive(r, model="n", version=1),
        ),
        "promote-to-a-reserved-alias": (
            lambda r: ops.plan_promote(r, model="m", version=2, alias="latest"),
            lambda r: ops.promote(r, model="m", version=2, alias="latest"),
        ),
    }


@pytest.mark.parametrize("case", list(refusals()))
def test_a_refused_plan_carries_the_error_the_action_raises(registry: Registry, case: str) -> None:
    registry.promote("m", 3, "first")
    registry.promote("m", 1)
    registry.promote("m", 2)
    registry.archive("m", 1, reason="leaky feature")
    plan_of, act = refusals()[case]
    before = snapshot(registry)
    planned = plan_of(registry)
    assert not planned.allowed and planned.refusal
    assert f"is refused: {planned.refusal}" in str(planned)
    assert snapshot(registry) == before
    with pytest.raises(MlopsError) as raised:
        act(registry)
    assert str(raised.value) == planned.refusal
    assert raised.value.kind.value == planned.refusal_kind
    assert snapshot(registry) == before


def test_an_allowed_plan_is_an_action_that_succeeds_and_planning_changes_nothing(
    registry: Registry,
) -> None:
    registry.promote("m", 1)
    registry.promote("m", 2)
    plans = [
        lambda: operations.plan_promote(registry, model="m", version=3),
        lambda: operations.plan_rollback(registry, model="m"),
        lambda: operations.plan_archive(registry, model="m", version=3),
    ]
    before = snapshot(registry)
    assert all(plan().allowed for plan in plans)
    assert snapshot(registry) == before
    operations.archive(registry, model="m", version=3, reason="not needed")
    assert operations.versions(registry, model="m")[2].status == "archived"
    again = operations.plan_archive(registry, model="m", version=3)
    assert again.allowed and not again.changes and "archived already" in str(again)
    assert not operations.plan_promote(registry, model="m", version=3).allowed
    operations.rollback(registry, model="m")
    assert registry.get("m@champion").version == 1


def test_the_deployments_a_move_changes_are_listed_and_follow_it(registry: Registry) -> None:
    registry.promote("m", 1)
    following = operations.deploy(registry, ref="m", port=free_port())  # m@champion
    pinned = operations.deploy(registry, ref="m:2", port=free_port())
    try:
        promoting = operations.plan_promote(registry, model="m", version=2)
        assert [(d.id, d.pid, d.url) for d in promoting.deployments] == [
            (following.id, following.pid, following.url)
        ]
        # asked for its health as the fleet asks: it says what it serves, never "nothing"
        shown = f"deployment m@champion (pid {following.pid}, running, serving v1, {following.url})"
        assert shown in str(promoting)
        assert str(promoting).endswith("will follow within a few seconds.")
        assert promoting.to_dict()["deployments"][0]["version"] == 1
        archiving = operations.plan_archive(registry, model="m", version=2)
        assert [d.id for d in archiving.deployments] == [pinned.id]
        assert "keep serving it until undeployed" in str(archiving)

        operations.promote(registry, model="m", version=2, reason="as planned")

        def served() -> int | None:
            listed = operations.deployments(registry, running_only=True)
            return next(d.version for d in listed if d.id == following.id)

        wait_for(lambda: served() == 2, "the champion's server to serve version 2")
    finally:
        operations.undeploy(registry, target=following.id)
        operations.undeploy(registry, target=pinned.id)
    assert operations.plan_rollback(registry, model="m").deployments == []


def test_a_plan_is_json_with_its_refusal_spelled_for_the_face_showing_it(
    registry: Registry,
) -> None:
    registry.promote("m", 1)
    registry.promote("m", 2)
    registry.archive("m", 1)
    planned = operations.plan_rollback(registry, model="m")
    data = planned.to_dict()
    assert json.loads(json.dumps(data, allow_nan=False)) == data
    assert data["allowed"] is False and data["refusal_kind"] == "conflict"
    assert (data["from_version"], data["to_version"]) == (2, 1)
    assert "registry.promote('m', VERSION, 'champion')" in data["refusal"]
    in_a_notebook = shown_in(planned, Face.NOTEBOOK)
    assert "%mlops promote m VERSION champion" in in_a_notebook.to_dict()["refusal"]
    assert "%mlops promote m VERSION champion" in str(in_a_notebook)
    assert "<strong>refused</strong>" in in_a_notebook._repr_html_()


def test_the_audit_trail_is_the_history_newest_first(registry: Registry) -> None:
    registry.promote("m", 1, reason="first")
    registry.promote("m", 2, reason="better")
    registry.archive("m", 3, reason="leaky")
    registry.rollback("m", reason="complaints")
    trail = operations.audit(registry, model="m")
    history = operations.history(registry, model="m")
    assert [e.to_dict() for e in trail] == [e.to_dict() for e in reversed(history)]
    assert [e.reason for e in trail] == ["complaints", "leaky", "better", "first"]
    latest = operations.audit(registry, model="m", limit=2).to_dict()
    assert [row["reason"] for row in latest["rows"]] == ["complaints", "leaky"]
    assert json.loads(json.dumps(latest)) == latest
    assert str(trail).startswith("audit trail of m, newest first\n")
    with pytest.raises(MlopsError, match="limit=0 is not a number of events"):
        operations.audit(registry, model="m", limit=0)


def test_a_refused_plan_names_no_none_and_changes_nothing(registry: Registry) -> None:
    unknown = operations.plan_archive(registry, model="n", version=3)
    assert str(unknown).startswith("archive n version 3 is refused: no model named 'n'")
    by_alias = operations.plan_archive(registry, model="n", version="champion")
    assert by_alias.to_dict()["summary"].startswith("archive n is refused")
    registry.promote("m", 1, "big")
    registry.promote("m", 1, "champion")
    held = operations.plan_archive(registry, model="m", version=1)
    assert (held.allowed, held.changes) == (False, False)
    assert held.refusal == (
        "aliases big and champion point at m version 1, so it cannot be archived; point each "
        "at another version first (`registry.promote('m', VERSION, 'ALIAS')`)."
    )
    assert "None" not in str(held) and held.to_dict()["changes"] is False
    typo = shown_in(operations.plan_rollback(registry, model="m", alias="champio"), Face.NOTEBOOK)
    assert typo.to_dict()["refusal"] == (
        "m has no alias 'champio' (did you mean 'champion'?); name one of its aliases "
        "(big, champion)."
    )
