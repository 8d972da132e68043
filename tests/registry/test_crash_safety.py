"""A writer killed at any point leaves the registry whole: every write that returned is
there, nothing half-written is, and every table reads. Checked after every kill.

`benchmarks/registry_crash.py` runs the same trial a thousand times and more.
"""

from __future__ import annotations

import pytest

from jupyter_mlops import Registry
from tests.registry.crashing import assert_whole, kill_writers

KILLS = 20


@pytest.mark.slow
def test_writers_killed_at_random_points_never_lose_or_damage_the_registry(tmp_path):
    home, acks = tmp_path / "registry", tmp_path / "acks"
    Registry(home)
    kill_writers(str(home), acks, kills=KILLS, after=lambda: assert_whole(home, acks))
    assert any(line.startswith("version") for line in acks.read_text().splitlines())
