"""A run whose registry refuses its last write loses none of its metric points."""

from __future__ import annotations

import pytest

import jupyter_mlops as mlops
from jupyter_mlops import Registry, Tracker
from jupyter_mlops.tracking import UnwrittenPointsError


def test_a_full_disk_at_the_end_of_a_run_keeps_every_point_in_a_file(disk):
    registry = Registry(disk.mount / "registry")
    with (
        pytest.raises(UnwrittenPointsError) as refused,
        mlops.run("exp", registry=registry) as run,
    ):
        for step in range(1_000):
            run.log_metric("loss", 1 / (step + 1))
        disk.fill(leave=0)
    message = str(refused.value)
    assert "\n" not in message and "1,000 metric points were not written" in message
    assert "the disk under" in message and "is full" in message
    path = refused.value.path
    assert path is not None and str(path) in message and not path.is_relative_to(disk.mount)
    disk.free()
    assert Tracker(registry).history(run.id) == []
    run.end()  # ends the run now; the points are the file's, not written twice
    assert Tracker(registry).restore_points(path) == 1_000
    assert not path.exists()
    record = Tracker(registry).get(run.id)
    assert record.status == "finished" and record.metrics == {"loss": 1 / 1_000}
    points = Tracker(registry).history(run.id)
    assert [p["step"] for p in points] == list(range(1_000))
    assert points[0]["value"] == 1.0
