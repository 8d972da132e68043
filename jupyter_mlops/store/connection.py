"""Connect-per-operation access to the registry's DuckDB file.

DuckDB lets one process at a time open a file for writing, and readers cannot
open while a writer holds it. So no connection outlives an operation: each one
opens, runs one transaction and closes; a lock conflict is retried with jittered
backoff until a deadline, past which `RegistryBusyError` names the holder's PID.
"""

from __future__ import annotations

import random
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from jupyter_mlops.errors import RegistryBusyError

_LOCK_MESSAGE = "Could not set lock on file"
_PID = re.compile(r"PID (\d+)")
# DuckDB refuses two connections of one process to one file with different settings
# (read-only and read-write), so operations of one process on one file take turns.
_process_locks: dict[Path, threading.RLock] = {}
_process_locks_guard = threading.Lock()


def _process_lock(path: Path) -> threading.RLock:
    with _process_locks_guard:
        return _process_locks.setdefault(path, threading.RLock())


class Database:
    """One DuckDB file, opened afresh for every operation."""

    def __init__(self, path: Path, *, lock_timeout: float = 60.0) -> None:
        self.path = path
        self.lock_timeout = lock_timeout

    @contextmanager
    def write(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-write connection inside one transaction, committed on success."""
        with self._connect(read_only=False) as conn:
            conn.execute("BEGIN TRANSACTION")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    @contextmanager
    def read(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection (other readers may hold the file at the same time)."""
        with self._connect(read_only=True) as conn:
            yield conn

    @contextmanager
    def _connect(self, *, read_only: bool) -> Iterator[duckdb.DuckDBPyConnection]:
        with _process_lock(self.path):
            conn = self._open(read_only=read_only)
            try:
                yield conn
            finally:
                conn.close()

    def _open(self, *, read_only: bool) -> duckdb.DuckDBPyConnection:
        deadline = time.monotonic() + self.lock_timeout
        delay = 0.002
        while True:
            try:
                return duckdb.connect(str(self.path), read_only=read_only)
            except duckdb.IOException as exc:
                if _LOCK_MESSAGE not in str(exc):
                    raise
                if time.monotonic() + delay > deadline:
                    raise self._busy(str(exc)) from None
            time.sleep(delay * random.uniform(0.5, 1.5))
            delay = min(delay * 1.6, 0.1)

    def _busy(self, message: str) -> RegistryBusyError:
        match = _PID.search(message)
        holder = f"process {match.group(1)}" if match else "another process"
        return RegistryBusyError(
            f"registry {str(self.path)!r} stayed locked by {holder} for more than "
            f"{self.lock_timeout:g} s; stop that process or raise MLOPS_LOCK_TIMEOUT."
        )
