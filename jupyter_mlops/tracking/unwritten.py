"""Where a run keeps the metric points its registry would not take when it ended.

A run's points wait in memory until a write; the last write is when the run ends. If the
registry refuses it (a full disk, a lock held past the deadline, a value the store will
not hold), the points are neither dropped nor left only in a process that may be about to
go away: the run keeps them (so `run.end()` may be called again) and writes them as CSV
(run_id, key, step, value, logged_at) under a directory of this user's in the system's
temporary directory (another file system, as a rule, than the registry's):

    <tmp>/jupyter-mlops-<uid>/unwritten/run-<id>-<time>.csv

`Tracker.restore_points(path)` logs them into their run once the registry takes writes
again. The directory is made private (mode 700) and is used only if it is this user's own
directory, not a link: metric names can say what the user works on.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from jupyter_mlops.config import private_subdirectory

if TYPE_CHECKING:
    import pandas as pd


def directory() -> Path:
    return Path(tempfile.gettempdir()) / f"jupyter-mlops-{os.getuid()}" / "unwritten"


def save(run_id: int, points: pd.DataFrame) -> Path:
    """Write `points` to a new CSV file of their own; OSError when it cannot."""
    target = private_subdirectory(directory(), private=directory().parent)
    path = target / f"run-{run_id}-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.csv"
    points.to_csv(path, index=False)
    return path
