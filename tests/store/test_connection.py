"""Connect-per-operation: lock conflicts are retried, then reported with the holder's PID."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from jupyter_mlops.errors import IntegrityError, RegistryBusyError
from jupyter_mlops.store import Database

HOLD = """
import duckdb, sys, time
conn = duckdb.connect(sys.argv[1])
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
conn.close()
"""


def hold_lock(path: Path, seconds: float) -> subprocess.Popen[str]:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "locked"
    return holder


def test_busy_registry_names_the_process_holding_the_lock(tmp_path: Path) -> None:
    path = tmp_path / "registry.duckdb"
    with Database(path).write() as conn:
        conn.execute("CREATE TABLE t (x INTEGER)")
    holder = hold_lock(path, 30)
    try:
        with pytest.raises(RegistryBusyError) as raised, Database(path, lock_timeout=0.5).read():
            pass
    finally:
        holder.kill()
        holder.wait()
    message = str(raised.value)
    assert f"process {holder.pid}" in message
    assert "MLOPS_LOCK_TIMEOUT" in message


def test_conflict_is_retried_until_the_holder_lets_go(tmp_path: Path) -> None:
    path = tmp_path / "registry.duckdb"
    with Database(path).write() as conn:
        conn.execute("CREATE TABLE t (x INTEGER)")
    holder = hold_lock(path, 0.8)
    started = time.monotonic()
    with Database(path, lock_timeout=30).write() as conn:
        conn.execute("INSERT INTO t VALUES (1)")
    holder.wait()
    assert time.monotonic() - started > 0.3
    with Database(path).read() as conn:
        assert conn.execute("SELECT x FROM t").fetchall() == [(1,)]


def test_a_failed_operation_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "registry.duckdb"
    with Database(path).write() as conn:
        conn.execute("CREATE TABLE t (x INTEGER)")
    with pytest.raises(ZeroDivisionError), Database(path).write() as conn:
        conn.execute("INSERT INTO t VALUES (1)")
        _ = 1 / 0
    with Database(path).read() as conn:
        assert conn.execute("SELECT count(*) FROM t").fetchone() == (0,)


def test_a_file_that_is_not_a_registry_is_reported_not_crashed_on(tmp_path: Path) -> None:
    path = tmp_path / "registry.duckdb"
    path.write_bytes(b"this is not a database" * 500)
    with pytest.raises(IntegrityError, match="cannot be opened") as raised, Database(path).read():
        pass
    assert str(path) in str(raised.value)
    assert path.read_bytes().startswith(b"this is not a database")
