"""A register killed at any point leaves a whole version or none, and an openable registry."""

from __future__ import annotations

import random
import subprocess
import sys
import time

import duckdb
import pytest

from jupyter_mlops import Registry

TRIALS = 20

LOOP = """
import sys
from sklearn.datasets import load_iris
from sklearn.ensemble import RandomForestClassifier
import skops.io  # imported before "ready", so kills land inside register, not in an import
from jupyter_mlops import Registry
X, y = load_iris(return_X_y=True, as_frame=True)
model = RandomForestClassifier(n_estimators=20, random_state=0).fit(X, y)
registry = Registry(sys.argv[1])
print("ready", flush=True)
while True:
    registry.register("victim", model, X=X, y=y, metrics={"auc": 0.9})
    print("registered", flush=True)
"""


def features_per_version(X_columns: int) -> int:
    return X_columns + 2  # every feature, the target and the model's output


@pytest.mark.slow
def test_sigkill_during_register_never_leaves_half_a_version(tmp_path):
    home = tmp_path / "registry"
    Registry(home)
    rng = random.Random(7)
    acknowledged = 0
    for _ in range(TRIALS):
        child = subprocess.Popen(
            [sys.executable, "-c", LOOP, str(home)], stdout=subprocess.PIPE, text=True
        )
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.0, 0.6))
        child.kill()
        child.wait()
        acknowledged += child.stdout.read().count("registered")

    registry = Registry(home)
    versions = registry.versions("victim")
    numbers = [v.version for v in versions]
    assert numbers == list(range(1, len(numbers) + 1))
    # every registration that returned survived; at most one per kill committed unacknowledged
    assert acknowledged <= len(numbers) <= acknowledged + TRIALS
    assert acknowledged >= 1
    report = registry.verify()
    assert report.ok, report.problems
    assert report.versions == len(numbers)
    for version in versions:
        registry.load(version.ref)
    with duckdb.connect(str(home / "registry.duckdb"), read_only=True) as conn:
        counts = conn.execute(
            "SELECT p.version, count(*) FROM profiles p GROUP BY p.version ORDER BY 1"
        ).fetchall()
        orphans = conn.execute(
            "SELECT count(*) FROM profiles p ANTI JOIN versions v "
            "ON p.model = v.model AND p.version = v.version"
        ).fetchone()
    assert counts == [(n, features_per_version(4)) for n in numbers]
    assert orphans == (0,)
