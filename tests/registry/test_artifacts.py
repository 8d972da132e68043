"""Artifact files: equal bytes share a file that is checked and made young again on reuse,
garbage collection never deletes a file a registration is about to refer to, and a missing
file says how to repair what it belonged to."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import jupyter_mlops as mlops
from jupyter_mlops import Registry
from jupyter_mlops.errors import IntegrityError, InvalidArgumentError
from jupyter_mlops.tracking import Tracker


def age(path: Path) -> float:
    return time.time() - path.stat().st_mtime


def test_storing_equal_bytes_again_restarts_their_age_and_repairs_a_damaged_file(registry):
    data = b"model bytes" * 1000
    digest = registry.artifacts.put(data)
    path = registry.artifacts.path(digest)
    two_hours_ago = time.time() - 7200
    os.utime(path, (two_hours_ago, two_hours_ago))
    assert registry.artifacts.put(data) == digest
    assert age(path) < 3600  # gc's grace period counts from this use
    damaged = bytearray(data)
    damaged[7] ^= 0xFF
    path.write_bytes(bytes(damaged))  # same size, other bytes
    assert registry.artifacts.put(data) == digest
    assert path.read_bytes() == data


def test_registering_again_repairs_a_damaged_artifact(registry, fitted, dataset):
    X, y = dataset
    version = registry.register("m", fitted, X=X, y=y)
    reference = registry.artifacts.path(version.reference_sha256)
    reference.write_bytes(b"x" * reference.stat().st_size)
    assert not registry.verify().ok
    registry.register("m", fitted, X=X, y=y)  # the same sample of the same data: same bytes
    assert registry.verify().ok


HOLDS_A_FILE = """
import sys
import jupyter_mlops as mlops
from jupyter_mlops import Registry
registry = Registry(sys.argv[1])
data = b"a file a registration is about to refer to"
with mlops.run("exp", registry=registry) as run:
    with registry.artifacts.in_use():
        registry.artifacts.put(data)
        print("stored", flush=True)
        sys.stdin.readline()
        run.log_artifact("notes", data)
print("committed", flush=True)
"""

COLLECTS = """
import sys
from jupyter_mlops import Registry
print(len(Registry(sys.argv[1]).gc(older_than=0)), flush=True)
"""


def blocked_on_a_lock(pid: int) -> bool:
    """Whether the kernel lists `pid` as waiting for a lock (`->` in /proc/locks)."""
    waiting = [
        line.split() for line in Path("/proc/locks").read_text().splitlines() if "->" in line
    ]
    return any(fields[5] == str(pid) for fields in waiting if len(fields) > 5)


def test_gc_waits_for_a_registration_between_its_file_and_its_row(tmp_path, subprocess_env):
    home = tmp_path / "registry"
    registry = Registry(home)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDS_A_FILE, str(home)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdin is not None
    assert holder.stdout.readline().strip() == "stored"
    collector = subprocess.Popen(
        [sys.executable, "-c", COLLECTS, str(home)], stdout=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 120
    while not blocked_on_a_lock(collector.pid):
        assert collector.poll() is None, "gc ran while a registration held its file"
        assert time.monotonic() < deadline
        time.sleep(0.02)
    holder.stdin.write("go\n")
    holder.stdin.flush()
    assert holder.communicate(timeout=120)[0].strip() == "committed"
    assert collector.communicate(timeout=120)[0].strip() == "0"
    run = Tracker(registry).runs("exp")[0]
    assert registry.verify().ok and registry.verify().run_artifacts == 1, run


def test_a_missing_artifact_says_how_to_repair_the_version(registry, fitted):
    version = registry.register("m", fitted)
    registry.artifacts.path(version.artifact_sha256).unlink()
    with pytest.raises(IntegrityError) as raised:
        registry.load("m")
    assert "m version 1: artifact file" in str(raised.value)
    assert "restore the file from a backup, or archive this version and register the model " in (
        str(raised.value)
    )
    with mlops.run("exp", registry=registry) as run:
        digest = run.log_artifact("notes.txt", "kept")
    registry.artifacts.path(digest).unlink()
    problems = registry.verify().problems
    assert any("log it again in a new run" in problem for problem in problems), problems


@pytest.mark.parametrize("older_than", [-5, float("nan"), float("inf"), True, "60"])
def test_gc_refuses_an_age_that_is_not_a_number_of_seconds(registry, older_than):
    kept = registry.artifacts.put(b"nothing refers to this")
    with pytest.raises(InvalidArgumentError, match="is not a number of seconds of 0 or more"):
        registry.gc(older_than=older_than)
    assert list(registry.artifacts.digests()) == [kept]
