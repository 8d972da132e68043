"""A server whose registry does not exist yet: reads answer as the contract says (exists
false, empty lists, 404 saying how to create it for a named model) and never create it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "not yet"


async def test_reads_answer_empty_and_create_nothing(api: Any, home: Path) -> None:
    assert await api("registry") == (200, {
        "home": str(home), "shared": False, "exists": False, "data_path": None, "role": None,
        "version": "0.1.0",
    })  # fmt: skip
    status, fleet = await api("models")
    assert status == 200 and (fleet["models"], fleet["total"]) == ([], 0)
    assert await api("deployments") == (200, {"deployments": [], "notes": []})
    assert await api("alerts") == (200, {"rows": []})
    assert (await api("models", health="sickly"))[0] == 400  # checked as on any registry
    for path in ("versions", "aliases", "history", "checks"):
        status, refusal = await api(f"models/churn/{path}")
        assert (status, refusal["error"]) == (404, "not_found"), path
        assert f"no registry at {home} yet" in refusal["message"]
        assert "%mlops register" in refusal["message"]
    assert not home.exists()


async def test_posts_about_a_model_are_404_and_create_nothing(api: Any, home: Path) -> None:
    for path, body in (
        ("plan", {"action": "promote", "version": 1}),
        ("promote", {"version": 1, "reason": "first"}),
        ("rollback", {"reason": "back"}),
        ("archive", {"version": 1, "reason": "old"}),
    ):
        status, refusal = await api(f"models/churn/{path}", body)
        assert status == 404 and "no registry at" in refusal["message"], path
    assert not home.exists()


@pytest.mark.parametrize("broken", ["a file as the home", "a directory as registry.duckdb"])
async def test_a_home_that_cannot_hold_a_registry_is_not_called_missing(
    api: Any, home: Path, broken: str
) -> None:
    if broken == "a file as the home":
        home.write_text("not a directory")
        expected = (400, "usage", "is a file, not a directory")
    else:
        (home / "registry.duckdb").mkdir(parents=True)
        expected = (503, "integrity", "cannot be opened")
    for path in ("registry", "models", "models/churn/versions"):
        status, refusal = await api(path)
        assert (status, refusal["error"]) == expected[:2], path
        assert expected[2] in refusal["message"] and "register a model" not in refusal["message"]
