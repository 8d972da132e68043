"""Four processes standing for two machines share one registry for a minute: each has its
own host name and its own mount of the data folder (a bind mount at another path), and each
registers, promotes and logs predictions at random. Whatever order they ran in, nothing any
of them was told happened may be lost, doubled or read twice."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from jupyter_mlops import Monitor, Registry
from tests.team.racer import MODEL

SECONDS = 60
RACER = Path(__file__).with_name("racer.py")


@pytest.fixture
def second_mount(tmp_path: Path):
    """The data folder as the second machine mounts it: the same directory at another path."""
    if os.geteuid() != 0:
        pytest.skip("a bind mount needs root (CI runs as root)")
    first, second = tmp_path / "machine-a" / "data", tmp_path / "machine-b" / "data"
    first.mkdir(parents=True)
    second.mkdir(parents=True)
    subprocess.run(["mount", "--bind", str(first), str(second)], check=True)
    try:
        yield first, second
    finally:
        subprocess.run(["umount", "-l", str(second)], check=False)


@pytest.mark.slow
def test_four_writers_on_two_machines_lose_and_double_nothing(
    lake_url, second_mount, tmp_path, subprocess_env
):
    first, second = second_mount
    Registry(lake_url, data_path=first)  # made once, as a team's administrator would
    racers = []
    for index in range(4):
        machine, mount = ("machine-a", first) if index < 2 else ("machine-b", second)
        out = tmp_path / f"racer-{index}.jsonl"
        env = subprocess_env | {"MLOPS_HOSTNAME": machine, "OMP_NUM_THREADS": "1"}
        env.pop("MLOPS_HOME", None)
        command = [sys.executable, str(RACER), lake_url, str(mount), f"w{index}", str(SECONDS)]
        racers.append(subprocess.Popen([*command, str(out)], env=env, cwd=Path.cwd()))
    for racer in racers:
        assert racer.wait(timeout=SECONDS * 4) == 0
    told = [
        json.loads(line)
        for index in range(4)
        for line in (tmp_path / f"racer-{index}.jsonl").read_text().splitlines()
    ]
    registry = Registry(lake_url, data_path=second)

    registered = Counter(change["version"] for change in told if change["kind"] == "version")
    stored = [version.version for version in registry.versions(MODEL)]
    assert stored == list(range(1, len(stored) + 1)), "version numbers have a gap"
    assert set(registered) == set(stored) and max(registered.values()) == 1

    moves = [change["reason"] for change in told if change["kind"] == "move"]
    events = [event for event in registry.history(MODEL) if getattr(event, "alias", None)]
    audited = Counter(event.reason for event in events)
    assert all(audited[reason] == 1 for reason in moves), "an alias move is not audited once"
    assert sum(audited.values()) == len(moves)

    logged = [i for change in told if change["kind"] == "rows" for i in change["ids"]]
    read = Monitor(registry).logged(MODEL)["__request_id__"].tolist()
    assert sorted(read) == sorted(logged), "a logged row was lost or read twice"
    assert len(stored) >= 4 and len(moves) >= 2 and len(logged) >= 10, "the race hardly ran"
