"""Access to the registry's DuckDB file: readers attach it, writers replace it whole.

The registry is a system of record, so no process, however it dies, may leave the file
damaged. DuckDB cannot promise that for a file written in place: a writer killed during
the checkpoint DuckDB runs when a file is detached has left a file whose blocks fail
their checksums (about once in 300 kills of a registering process, measured with
`benchmarks/registry_crash.py`). So the registry file is never written in place:

- A write takes the registry's writer lock (`locks.exclusive`, one writer at a time,
  released by the kernel when its holder dies), copies `registry.duckdb` to a private
  file beside it, attaches the copy to the process's in-memory DuckDB engine, runs one
  transaction, detaches it (DuckDB checkpoints the copy whole), fsyncs it and renames it
  over `registry.duckdb`, then fsyncs the directory. A writer killed at any point before
  the rename leaves the registry as it was (its copy is deleted by the next writer); after
  the rename, the new file is complete. A write that fails, a full disk included, saves
  nothing.
- A read attaches `registry.duckdb` read-only for one operation and detaches it. Readers
  never wait for writers: a reader holds the file it opened, and a writer's rename only
  changes which file the name points to next. While a write runs, the writer also holds
  the current file attached read-only, so a process that would write the file in place
  (another tool, an older version of this package) cannot start meanwhile, and one that
  holds it makes the writer wait.

DuckDB lets one process at a time hold a file for writing and none read it meanwhile, so
a lock held by another process is retried with jittered backoff until a deadline, past
which `RegistryBusyError` names that process. (Creating a DuckDB instance costs 15-20 ms
here; attaching a file to an existing one about 1 ms.)
"""

from __future__ import annotations

import errno
import fcntl
import os
import re
import stat
import threading
import time
import uuid
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TypeVar

import duckdb

from jupyter_mlops.errors import (
    CONNECT,
    IntegrityError,
    MlopsError,
    RegistryBusyError,
    StorageError,
)
from jupyter_mlops.store import locks
from jupyter_mlops.store.alias_books import CatalogBook
from jupyter_mlops.store.forks import inherited
from jupyter_mlops.store.locks import fsync_path

T = TypeVar("T")

_LOCK_MESSAGE = "Could not set lock on file"
_PID = re.compile(r"PID (\d+)")
_CATALOG = "registry"
_PROBE = "registry_probe"
_DISK_FULL = "No space left on device"
_SHADOW = ".writing-{}.duckdb"


class _Engine:
    """The process's in-memory DuckDB connection that files are attached to, one at a time."""

    lock = threading.RLock()
    _connection: duckdb.DuckDBPyConnection | None = None
    _pid = 0

    @classmethod
    def connection(cls) -> duckdb.DuckDBPyConnection:
        if cls._connection is None or cls._pid != os.getpid():  # a forked child starts afresh
            if cls._connection is not None:
                inherited(cls._connection)
            # no extension is installed or loaded on its own: a file that is not a DuckDB
            # database (SQLite, say) must be refused, not opened by a downloaded extension
            cls._connection = duckdb.connect(
                ":memory:",
                config={"autoinstall_known_extensions": False, "autoload_known_extensions": False},
            )
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
    """One DuckDB file: attached read-only to read, replaced whole to write."""

    shared = False

    def __init__(self, path: Path, *, lock_timeout: float = 60.0) -> None:
        self.path: Path = path
        self.lock_timeout = lock_timeout

    def exists(self) -> bool:
        """Whether the registry file was made."""
        return self.path.exists()

    def generation(self) -> object:
        """What changes whenever a write is saved: the file's identity (every write replaces
        it with another file), None before it is made."""
        try:
            found = self.path.stat()
        except FileNotFoundError:
            return None
        return (found.st_dev, found.st_ino, found.st_mtime_ns, found.st_size)

    def remembered(self, key: Hashable, compute: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
        """What `compute` reads of the registry file now, read each time (a read of the file
        costs little next to a shared catalog's)."""
        with self.read() as conn:
            return compute(conn)

    @contextmanager
    def moving(self) -> Iterator[CatalogBook]:
        """Where an alias move reads and writes: the file's tables, in one write."""
        with self.write() as conn:
            yield CatalogBook(conn)

    def stored_as(self, table: str) -> str:
        """Where a copy writes the rows of `table`: the table itself."""
        return table

    @property
    def lock_path(self) -> Path:
        return self.path.with_name(f".{self.path.name}.lock")

    @contextmanager
    def read(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection to the registry as it is now."""
        with _Engine.lock:
            conn = _Engine.connection()
            self._attach(conn, self.path, _CATALOG, read_only=True)
            try:
                conn.execute(f"USE {_CATALOG}")
                yield conn
            finally:
                _detach(conn, _CATALOG)

    @contextmanager
    def write(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-write connection inside one transaction; on success the registry file is
        replaced by the result, whole. On failure nothing is saved."""
        with locks.exclusive(self.lock_path, timeout=self.lock_timeout, what=self._name):
            self._sweep()
            shadow = self.path.with_name(_SHADOW.format(uuid.uuid4().hex[:12]))
            with _Engine.lock:
                conn = _Engine.connection()
                self._settle_log(conn)
                try:
                    with self._holding_current(conn) as current:
                        self._copy(current, shadow)
                        with self._transaction(conn, shadow):
                            yield conn
                        self._replace_with(shadow)
                finally:
                    _unlink(shadow)

    @property
    def _name(self) -> str:
        return f"registry {str(self.path)!r}"

    def _settle_log(self, conn: duckdb.DuckDBPyConnection) -> None:
        """Fold a write-ahead log that a writer of an older version left beside the file into
        it (in place, as that version would have), so no stale log outlives a replacement.
        A log DuckDB does not take (damaged, or another file's) is moved aside, kept."""
        wal = self.path.with_name(self.path.name + ".wal")
        if not wal.exists():
            return
        self._attach(conn, self.path, _CATALOG, read_only=False)
        _detach(conn, _CATALOG)
        if wal.exists():
            try:
                wal.rename(wal.with_name(f"{wal.name}.unreadable-{int(time.time())}"))
            except OSError as exc:
                raise StorageError.of(exc, self.path.parent, doing="write the registry") from None

    @contextmanager
    def _holding_current(self, conn: duckdb.DuckDBPyConnection) -> Iterator[int | None]:
        """The current file, open and share-locked as DuckDB locks a file it reads, so that a
        process that would write it in place cannot start meanwhile and one that does makes
        us wait. (A POSIX lock belongs to the process and any close of the file releases it:
        one descriptor serves the lock and the copy, and nothing else here opens the file.)"""
        try:
            descriptor = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            yield None  # a new registry: DuckDB creates the file
            return
        try:
            if not stat.S_ISREG(os.fstat(descriptor).st_mode):  # a directory: refused as a read is
                self._read_as_is(conn)
            self._share_lock(conn, descriptor)
            yield descriptor
        finally:
            os.close(descriptor)

    def _share_lock(self, conn: duckdb.DuckDBPyConnection, descriptor: int) -> None:
        for _ in locks.attempts(self.lock_timeout):
            try:
                fcntl.lockf(descriptor, fcntl.LOCK_SH | fcntl.LOCK_NB)
                return
            except OSError as exc:
                if not locks.busy(exc):
                    raise StorageError.of(
                        exc, self.path.parent, doing="lock the registry"
                    ) from None
        try:  # DuckDB's refusal names the process holding the file
            conn.execute(f"ATTACH '{_quoted(self.path)}' AS {_PROBE} (READ_ONLY)")
        except duckdb.Error as exc:
            raise self._busy(str(exc)) from None
        _detach(conn, _PROBE)
        raise self._busy("")

    def _copy(self, current: int | None, shadow: Path) -> None:
        if current is None:
            return
        size = os.fstat(current).st_size
        try:
            target = os.open(shadow, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                copied = 0
                while copied < size:
                    sent = os.sendfile(target, current, copied, size - copied)
                    if sent == 0:
                        raise OSError(errno.EIO, "the registry file shrank while being copied")
                    copied += sent
            finally:
                os.close(target)
        except OSError as exc:
            doing = f"write the registry (a write needs room for a copy of its {_mb(size)} file)"
            raise StorageError.of(exc, self.path.parent, doing=doing) from None

    @contextmanager
    def _transaction(self, conn: duckdb.DuckDBPyConnection, shadow: Path) -> Iterator[None]:
        self._attach(conn, shadow, _CATALOG, read_only=False)
        try:
            conn.execute(f"USE {_CATALOG}")
            conn.execute("BEGIN TRANSACTION")
            try:
                yield
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        except BaseException:
            _detach(conn, _CATALOG)
            raise
        self._checkpoint(conn, shadow)

    def _checkpoint(self, conn: duckdb.DuckDBPyConnection, shadow: Path) -> None:
        """Detach the copy (DuckDB checkpoints it) and make sure it is whole on disk."""
        try:
            conn.execute("USE memory")
            conn.execute(f"DETACH {_CATALOG}")
        except duckdb.Error as exc:
            _Engine.discard()
            raise self._unsaved(exc) from None
        if shadow.with_name(shadow.name + ".wal").exists():
            raise self._unsaved(RuntimeError("the checkpoint left a write-ahead log behind"))
        try:
            os.chmod(shadow, self._mode())
            fsync_path(shadow)
        except OSError as exc:
            raise StorageError.of(exc, self.path.parent, doing="save the registry") from None

    def _mode(self) -> int:
        """The registry file's permissions: as they were, but never readable by other users
        (it holds webhook passwords and the keys that stop servers); new files are 0600."""
        try:
            return (self.path.stat().st_mode & 0o777) & ~0o007
        except FileNotFoundError:
            return 0o600

    def _replace_with(self, shadow: Path) -> None:
        try:
            os.replace(shadow, self.path)
            fsync_path(self.path.parent)
        except OSError as exc:
            raise StorageError.of(exc, self.path.parent, doing="save the registry") from None

    def _sweep(self) -> None:
        """Delete the copies of writers that died (none is alive: we hold the writer lock)."""
        for leftover in self.path.parent.glob(_SHADOW.format("*") + "*"):
            _unlink(leftover)

    def _unsaved(self, exc: Exception) -> MlopsError:
        text = str(exc)
        reason = text.partition("Original error:")[2].strip() or text.splitlines()[0]
        if _DISK_FULL in text:
            return StorageError.of(
                OSError(errno.ENOSPC, reason), self.path.parent, doing="save the registry"
            )
        return IntegrityError(
            f"the change to {self._name} could not be saved ({reason.rstrip('.')}), so nothing "
            "was saved; check the disk (space, permissions) and run it again."
        )

    def _attach(
        self, conn: duckdb.DuckDBPyConnection, path: Path, name: str, *, read_only: bool
    ) -> None:
        statement = f"ATTACH '{_quoted(path)}' AS {name}" + (" (READ_ONLY)" if read_only else "")
        refusal = ""
        for _ in locks.attempts(self.lock_timeout):
            try:
                conn.execute(statement)
                return
            except duckdb.IOException as exc:
                if _LOCK_MESSAGE not in str(exc):
                    raise self._unreadable(exc, path) from None
                refusal = str(exc)
            except duckdb.Error as exc:
                raise self._unreadable(exc, path) from None
        raise self._busy(refusal)

    def _read_as_is(self, conn: duckdb.DuckDBPyConnection) -> None:
        """Attach the registry file as a read does, raising what a read raises (a damaged
        file: restore it), so a write refuses a damaged registry as a read does."""
        self._attach(conn, self.path, _PROBE, read_only=True)
        _detach(conn, _PROBE)

    def _unreadable(self, exc: duckdb.Error, path: Path) -> MlopsError:
        reason = str(exc).splitlines()[0]
        if path != self.path:  # our own copy: the registry it copies is damaged, or the disk
            try:
                self._read_as_is(_Engine.connection())
            except IntegrityError as damaged:
                return damaged
            return self._unsaved(exc)
        if not path.exists():
            return IntegrityError(
                f"registry file {str(path)!r} does not exist; open the registry with ",
                CONNECT,
                " to create it.",
            )
        return IntegrityError(
            f"registry file {str(path)!r} cannot be opened ({reason}); restore it from a "
            "backup or point MLOPS_HOME at another directory."
        )

    def _busy(self, message: str) -> RegistryBusyError:
        match = _PID.search(message)
        holder = f"process {match.group(1)}" if match else "another process"
        return RegistryBusyError.held(self._name, holder=holder, seconds=self.lock_timeout)


def _detach(conn: duckdb.DuckDBPyConnection, name: str) -> None:
    """Release a file; when that fails, close the engine, which releases it for sure."""
    try:
        conn.execute("USE memory")
        conn.execute(f"DETACH {name}")
    except duckdb.Error:
        _Engine.discard()


def _mb(size: int) -> str:
    return f"{size / 2**20:.1f} MB"


def _quoted(path: Path) -> str:
    """A path as the inside of a SQL string literal (ATTACH takes no parameters)."""
    return str(path).replace("'", "''")


def _unlink(path: Path) -> None:
    for leftover in (path, path.with_name(path.name + ".wal")):
        with suppress(OSError):
            leftover.unlink(missing_ok=True)
