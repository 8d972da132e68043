"""Attach-per-operation access to the registry's DuckDB file.

DuckDB lets one process at a time open a file for writing, and readers cannot
open while a writer holds it. So no operation keeps the file: each one attaches
it to a long-lived in-memory DuckDB engine, runs one transaction and detaches,
which releases the file lock. (Creating a DuckDB instance costs 15-20 ms here;
attaching a file to an existing one costs about 1 ms to read and 7 ms to write.)
A lock conflict is retried with jittered backoff until a deadline, past which
`RegistryBusyError` names the PID that holds the lock.
"""

from __future__ import annotations

import os
import random
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import duckdb

from jupyter_mlops.errors import IntegrityError, RegistryBusyError

_LOCK_MESSAGE = "Could not set lock on file"
_PID = re.compile(r"PID (\d+)")
_CATALOG = "registry"


class _Engine:
    """The process's in-memory DuckDB connection that files are attached to, one at a time."""

    lock = threading.RLock()
    _connection: duckdb.DuckDBPyConnection | None = None
    _pid = 0

    @classmethod
    def connection(cls) -> duckdb.DuckDBPyConnection:
        if cls._connection is None or cls._pid != os.getpid():  # a forked child starts afresh
            cls._connection = duckdb.connect(":memory:")
            cls._pid = os.getpid()
        return cls._connection

    @classmethod
    def discard(cls) -> None:
        """Drop a connection left in an unknown state; the next operation makes a new one."""
        if cls._connection is not None:
            with suppress(duckdb.Error):
                cls._connection.close()
        cls._connection = None


@contextmanager
def analytics_cursor() -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection of its own to the process's in-memory engine, for queries over files
    (Parquet, logs) that never touch the registry: no file lock, no turn-taking."""
    with _Engine.lock:
        cursor = _Engine.connection().cursor()
    try:
        yield cursor
    finally:
        cursor.close()


class Database:
    """One DuckDB file, attached afresh for every operation."""

    def __init__(self, path: Path, *, lock_timeout: float = 60.0) -> None:
        self.path = path
        self.lock_timeout = lock_timeout

    @contextmanager
    def write(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-write connection inside one transaction, committed on success."""
        with self._attached(read_only=False) as conn:
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
        with self._attached(read_only=True) as conn:
            yield conn

    @contextmanager
    def _attached(self, *, read_only: bool) -> Iterator[duckdb.DuckDBPyConnection]:
        with _Engine.lock:
            conn = _Engine.connection()
            self._attach(conn, read_only=read_only)
            try:
                conn.execute(f"USE {_CATALOG}")
                yield conn
            except BaseException:
                self._detach(conn, failing=True)
                raise
            self._detach(conn)

    def _detach(self, conn: duckdb.DuckDBPyConnection, *, failing: bool = False) -> None:
        """Release the file; when that fails, close the engine, which releases it for sure.

        While an operation is already failing, its own error is the one worth raising.
        """
        try:
            conn.execute("USE memory")
            conn.execute(f"DETACH {_CATALOG}")
        except duckdb.Error:
            _Engine.discard()
            if not failing:
                raise

    def _attach(self, conn: duckdb.DuckDBPyConnection, *, read_only: bool) -> None:
        # ATTACH takes no parameters: the path is quoted as a SQL string literal.
        target = str(self.path).replace("'", "''")
        statement = f"ATTACH '{target}' AS {_CATALOG}" + (" (READ_ONLY)" if read_only else "")
        deadline = time.monotonic() + self.lock_timeout
        delay = 0.002
        while True:
            try:
                conn.execute(statement)
                return
            except duckdb.IOException as exc:
                if _LOCK_MESSAGE not in str(exc):
                    raise self._unreadable(exc) from None
                if time.monotonic() + delay > deadline:
                    raise self._busy(str(exc)) from None
            except duckdb.Error as exc:
                raise self._unreadable(exc) from None
            time.sleep(delay * random.uniform(0.5, 1.5))
            delay = min(delay * 1.6, 0.1)

    def _unreadable(self, exc: duckdb.Error) -> IntegrityError:
        reason = str(exc).splitlines()[0]
        return IntegrityError(
            f"registry file {str(self.path)!r} cannot be opened ({reason}); restore it from a "
            "backup or point MLOPS_HOME at another directory."
        )

    def _busy(self, message: str) -> RegistryBusyError:
        match = _PID.search(message)
        holder = f"process {match.group(1)}" if match else "another process"
        return RegistryBusyError(
            f"registry {str(self.path)!r} stayed locked by {holder} for more than "
            f"{self.lock_timeout:g} s; stop that process or raise MLOPS_LOCK_TIMEOUT."
        )
