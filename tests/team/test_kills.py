"""A writer of a shared registry killed (SIGKILL) at random points while it registers,
promotes, rolls back and tracks: after each kill every write that returned is there, version
numbers run from 1 without a gap or a repeat, every table reads, and the next write goes
through at once, since PostgreSQL released the dead writer's lock with its session."""

from __future__ import annotations

import itertools

import pytest
from sklearn.datasets import load_iris
from sklearn.ensemble import RandomForestClassifier

from jupyter_mlops import Registry
from tests.registry.crashing import assert_whole, kill_writers

KILLS = 6
AT_ONCE = 5.0  # seconds a write may wait for the lock: far below the 60 s a held lock costs


@pytest.mark.slow
def test_writers_killed_at_random_points_lose_nothing_and_hold_no_lock(lake_url, tmp_path):
    acks = tmp_path / "acks"
    X, y = load_iris(return_X_y=True, as_frame=True)
    model = RandomForestClassifier(n_estimators=10, random_state=0).fit(X, y)
    Registry(lake_url, data_path=tmp_path / "shared").register("victim", model, X=X, y=y)
    counted = itertools.count(1)

    def after_each_kill() -> None:
        assert_whole(lake_url, acks)
        at_once = Registry(lake_url, lock_timeout=AT_ONCE)
        at_once.describe("victim", f"after kill {next(counted)}")  # the lock is free

    kill_writers(lake_url, acks, kills=KILLS, after=after_each_kill, force=True)
    assert Registry(lake_url).models()[0].description == f"after kill {KILLS}"
    noted = acks.read_text().split()
    assert noted.count("version") >= 2 and noted.count("event") >= 1, noted
