"""A server whose registry home cannot hold a registry, from its start or made so later:
the extension loads all the same, and every route, GET /registry included, answers what is
wrong with the home as JSON (never Jupyter's HTML 404, which the panel reads as an extension
not enabled); a write says the registry is damaged as a read does, not that the disk is."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

READS = ("registry", "models", "deployments", "alerts", "models/churn/versions")
WRITES = (
    ("models/churn/plan", {"action": "promote", "version": 1}),
    ("models/churn/promote", {"version": 1, "reason": "first"}),
    ("models/churn/rollback", {"reason": "back"}),
    ("models/churn/archive", {"version": 1, "reason": "old"}),
)
BROKEN = {  # how the home is broken: (status, error, what the message says, and what not)
    "a file as the home": (400, "usage", "is a file, not a directory", "register a model"),
    "a directory as registry.duckdb": (503, "integrity", "cannot be opened", "check the disk"),
    "junk bytes as registry.duckdb": (503, "integrity", "restore it from a backup", "disk"),
}


def broken(home: Path, how: str) -> None:
    if how == "a file as the home":
        shutil.rmtree(home, ignore_errors=True)
        home.write_text("not a directory")
        return
    (home / "registry.duckdb").unlink()
    if how == "a directory as registry.duckdb":
        (home / "registry.duckdb").mkdir()
    else:
        (home / "registry.duckdb").write_bytes(b"not a DuckDB file\n" * 1_000)


@pytest.fixture(params=list(BROKEN))
def how(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(params=["at start", "while served"])
def when(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def home(built: Path, tmp_path: Path, how: str, when: str) -> Path:
    """The built registry, broken `how` before the server starts, if `when` says so."""
    home = Path(shutil.copytree(built, tmp_path / "registry"))
    if when == "at start":
        broken(home, how)
    return home


async def test_every_route_says_what_is_wrong_with_the_home(
    api: Any, home: Path, how: str, when: str
) -> None:
    if when == "while served":  # the server has read the registry before it broke
        assert (await api("registry"))[1]["exists"] is True
        assert (await api("models/churn/aliases"))[0] == 200
        broken(home, how)
    status, error, said, unsaid = BROKEN[how]
    for path, body in [(path, None) for path in READS] + list(WRITES):
        answer_status, refusal = await api(path, body)
        assert (answer_status, refusal["error"]) == (status, error), (path, refusal)
        assert said in refusal["message"] and unsaid not in refusal["message"], path
        assert refusal["message"].endswith("."), path
