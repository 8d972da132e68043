"""How a registry is named to another process: a child given a registry file's environment
opens that file even when it inherited a shared registry's URL (which would come first); a
shared registry is named by its URL and data path, as the command line reads them, and
identified without its password."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from jupyter_mlops import Registry
from jupyter_mlops.cli import build_parser
from jupyter_mlops.config import Location
from jupyter_mlops.registry.locations import environment, identity, options

TEAM = "ducklake:postgres:dbname=team host=db.internal user=alice password=hush"
# what every Registry() of the child opens, read as it reads it
OPENED = "from jupyter_mlops.config import resolve_location as r; p = r(); print(p.url, p.home)"


def opened_by_child(env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-c", OPENED], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def test_a_child_of_a_registry_file_opens_it_whatever_shared_registry_it_inherited(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLOPS_REGISTRY", TEAM)
    monkeypatch.setenv("MLOPS_DATA_PATH", str(tmp_path / "team"))
    mine = Registry(tmp_path / "mine")
    env = environment(mine)
    assert "MLOPS_REGISTRY" not in env and "MLOPS_DATA_PATH" not in env
    assert opened_by_child(env) == f"None {tmp_path / 'mine'}"
    assert options(mine) == ["--home", str(tmp_path / "mine")]


def test_a_shared_registry_is_named_by_url_and_data_path_and_identified_without_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLOPS_DATA_PATH", str(tmp_path / "inherited"))
    team = Location(tmp_path / "mounted", TEAM)
    assert opened_by_child(environment(team)) == f"{TEAM} {tmp_path / 'mounted'}"
    parsed = build_parser().parse_args([*options(team), "models"])
    assert (parsed.home, parsed.data_path) == (TEAM, str(tmp_path / "mounted"))
    assert identity(team) == TEAM.replace("hush", "***")
    assert identity(Location(tmp_path / "elsewhere", TEAM)) == identity(team)
