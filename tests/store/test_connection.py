"""The registry file: readers never wait for writers, a write is saved whole or not at all
(killed, on a full or read-only disk), and a process holding the file is waited for, then named."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest

from jupyter_mlops.errors import IntegrityError, RegistryBusyError, StorageError
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


HOLD_UNTIL_TOLD = """
import duckdb, sys
conn = duckdb.connect(sys.argv[1])
print("locked", flush=True)
sys.stdin.readline()
conn.execute("INSERT INTO t VALUES (2)")  # its last act before it lets go
conn.close()
print("released", flush=True)
"""


def test_conflict_is_retried_until_the_holder_lets_go(tmp_path: Path) -> None:
    path = tmp_path / "registry.duckdb"
    with Database(path).write() as conn:
        conn.execute("CREATE TABLE t (x INTEGER)")
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_UNTIL_TOLD, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdin is not None and holder.stdout is not None
    assert holder.stdout.readline().strip() == "locked"
    with pytest.raises(RegistryBusyError), Database(path, lock_timeout=0).write():
        pass  # the file is held: a write that does not wait is refused
    failures: list[BaseException] = []

    def write() -> None:
        try:
            with Database(path, lock_timeout=60).write() as conn:
                conn.execute("INSERT INTO t VALUES (1)")
        except BaseException as exc:  # reported by the test, not lost in the thread
            failures.append(exc)

    writer = threading.Thread(target=write)
    writer.start()
    holder.stdin.write("go\n")
    holder.stdin.flush()
    assert holder.stdout.readline().strip() == "released"
    writer.join()
    assert holder.wait() == 0 and failures == []
    with Database(path).read() as conn:  # the waiting write landed after the holder's last row
        assert conn.execute("SELECT x FROM t ORDER BY rowid").fetchall() == [(2,), (1,)]


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


WRITE_AND_WAIT = """
import sys
from pathlib import Path
from jupyter_mlops.store import Database
with Database(Path(sys.argv[1])).write() as conn:
    conn.execute("INSERT INTO t VALUES (2)")
    print("inside", flush=True)
    sys.stdin.readline()
print("committed", flush=True)
"""


def writer_inside_its_transaction(path: Path) -> subprocess.Popen[str]:
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITE_AND_WAIT, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert writer.stdout is not None
    assert writer.stdout.readline().strip() == "inside"
    return writer


def table_with_one_row(path: Path) -> None:
    with Database(path).write() as conn:
        conn.execute("CREATE TABLE t (x INTEGER)")
        conn.execute("INSERT INTO t VALUES (1)")


def rows(path: Path) -> list[int]:
    with Database(path, lock_timeout=0.5).read() as conn:
        return [row[0] for row in conn.execute("SELECT x FROM t ORDER BY x").fetchall()]


def test_readers_never_wait_for_a_writer_and_see_each_write_whole(tmp_path: Path) -> None:
    path = tmp_path / "registry.duckdb"
    table_with_one_row(path)
    writer = writer_inside_its_transaction(path)
    try:
        assert rows(path) == [1]  # no RegistryBusyError: the writer works on its own copy
    finally:
        assert writer.stdin is not None
        writer.stdin.write("go\n")
        writer.stdin.flush()
    assert writer.communicate(timeout=60)[0].strip() == "committed"
    assert rows(path) == [1, 2]


def test_a_writer_killed_inside_its_transaction_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "registry.duckdb"
    table_with_one_row(path)
    before = path.read_bytes()
    writer = writer_inside_its_transaction(path)
    writer.kill()
    writer.wait()
    assert path.read_bytes() == before
    assert rows(path) == [1]
    assert list(tmp_path.glob(".writing-*"))  # its copy, left for the next writer to delete
    with Database(path).write() as conn:
        conn.execute("INSERT INTO t VALUES (3)")
    assert rows(path) == [1, 3]
    assert not list(tmp_path.glob(".writing-*"))


def test_a_writer_waits_for_a_process_writing_the_file_in_place_then_names_it(
    tmp_path: Path,
) -> None:
    path = tmp_path / "registry.duckdb"
    table_with_one_row(path)
    holder = hold_lock(path, 30)
    try:
        with pytest.raises(RegistryBusyError) as raised, Database(path, lock_timeout=0.5).write():
            pass
    finally:
        holder.kill()
        holder.wait()
    assert f"process {holder.pid}" in str(raised.value)
    assert rows(path) == [1]


LEAVE_A_LOG = """
import duckdb, os, sys
conn = duckdb.connect(sys.argv[1])
conn.execute("INSERT INTO t VALUES (5)")
os._exit(9)  # killed before any checkpoint: the row is only in the write-ahead log
"""


def test_a_log_left_by_a_writer_in_place_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "registry.duckdb"
    table_with_one_row(path)
    subprocess.run([sys.executable, "-c", LEAVE_A_LOG, str(path)], check=False)
    assert path.with_name("registry.duckdb.wal").exists()
    with Database(path).write() as conn:
        conn.execute("INSERT INTO t VALUES (6)")
    assert not path.with_name("registry.duckdb.wal").exists()
    assert rows(path) == [1, 5, 6]


def test_a_full_disk_saves_nothing_and_says_what_to_do(disk) -> None:
    path = disk.mount / "registry.duckdb"
    table_with_one_row(path)
    before = path.read_bytes()
    disk.fill(leave=64 * 1024)
    with pytest.raises(StorageError) as raised, Database(path).write() as conn:
        conn.execute("INSERT INTO t SELECT range FROM range(5000000)")
    message = str(raised.value)
    assert "full" in message and "nothing was saved" in message and "\n" not in message
    assert path.read_bytes() == before
    assert rows(path) == [1]
    disk.free()
    with Database(path).write() as conn:
        conn.execute("INSERT INTO t VALUES (2)")
    assert rows(path) == [1, 2]
    assert not list(disk.mount.glob(".writing-*"))


def test_a_read_only_disk_is_read_and_a_write_says_why_it_cannot(disk) -> None:
    path = disk.mount / "registry.duckdb"
    table_with_one_row(path)
    disk.read_only()
    try:
        assert rows(path) == [1]
        with pytest.raises(StorageError) as raised, Database(path).write() as conn:
            conn.execute("INSERT INTO t VALUES (2)")
    finally:
        disk.writable()
    assert "read-only" in str(raised.value) and "MLOPS_HOME" in str(raised.value)
    assert rows(path) == [1]


def test_a_damaged_log_beside_the_file_is_set_aside_and_writes_stop_touching_the_file(
    tmp_path: Path,
) -> None:
    path = tmp_path / "registry.duckdb"
    table_with_one_row(path)
    wal = path.with_name("registry.duckdb.wal")
    wal.write_bytes(bytes(range(256)) * 20)
    with Database(path).write() as conn:
        conn.execute("INSERT INTO t VALUES (2)")
    assert not wal.exists()
    assert len(list(tmp_path.glob("registry.duckdb.wal.unreadable-*"))) == 1
    assert rows(path) == [1, 2]


def test_the_registry_file_is_never_readable_by_other_users(tmp_path: Path) -> None:
    path = tmp_path / "registry.duckdb"
    table_with_one_row(path)
    assert path.stat().st_mode & 0o777 == 0o600
    path.chmod(0o664)  # shared with a group on purpose, open to others by accident
    with Database(path).write() as conn:
        conn.execute("INSERT INTO t VALUES (2)")
    assert path.stat().st_mode & 0o777 == 0o660
