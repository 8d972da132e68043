"""A shared registry: a DuckLake catalog kept in PostgreSQL, its files under a data path.

`ducklake:postgres:dbname=mlops host=db.internal user=alice` names one; `schema=NAME` in it
keeps the catalog in that PostgreSQL schema (several registries in one database). A
process attaches the catalog to in-memory DuckDB engines of the catalog's own, one for each
of its threads at work at once (`lake_engines`: so listing its tables never asks another
catalog's server, and PostgreSQL restarting under busy threads never aborts the process),
and reads it without a lock: a read is one transaction, and DuckLake gives it one snapshot
(`lake_reads` keeps results).

Writers take turns. A write holds the registry's writer lock (a row lock in the catalog's
PostgreSQL schema, taken on a session of this process's: `writer_lock.py`) while its one
DuckLake transaction runs, and releases it once that transaction has committed; writers
waiting for it queue in PostgreSQL and get it in the order they asked, each the moment the
one before lets go. Only a role that may write can take it. Each write's reads therefore
see every earlier write, so the checks a write makes (a model exists, the next version
number, where an alias points) hold when it commits, and no write is ever re-run: a write
that installs a crontab line or starts a server does so once. PostgreSQL releases the lock
of a process that dies, however it dies, and a write killed before its commit leaves
nothing (DuckLake's commit is one PostgreSQL transaction; files it wrote and never recorded
are never read). An alias move holds the same lock, but writes the registry's own
PostgreSQL tables of aliases in the lock's transaction, committed as it lets go
(`lake_aliases`, `lake_moves`). A writer that still waits at its deadline is told which role
holds the lock, and from which process on which host. A writer that stands still mid-write (stopped,
suspended) has its turn ended by PostgreSQL after a limit, and its change refused when it
wakes (`lake_pauses`).
"""

from __future__ import annotations

import os
import threading
import zlib
from collections.abc import Callable, Hashable, Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from functools import partial
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import duckdb

from jupyter_mlops.config import machine
from jupyter_mlops.errors import (
    ForbiddenError,
    InvalidArgumentError,
    MlopsError,
    RegistryBusyError,
    UnavailableError,
)
from jupyter_mlops.store import (
    actors,
    extensions,
    lake_aliases,
    lake_attaching,
    lake_errors,
    lake_moves,
    lake_paths,
    lake_pauses,
    lake_reads,
    lake_rights,
    writer_lock,
)
from jupyter_mlops.store.alias_books import Book
from jupyter_mlops.store.forks import inherited
from jupyter_mlops.store.lake_engines import Engines
from jupyter_mlops.store.lake_urls import parsed, shown

T = TypeVar("T")


class _Writers:
    """This process's PostgreSQL sessions that hold the writer locks, one per catalog."""

    lock = threading.Lock()
    sessions: ClassVar[dict[str, Any]] = {}
    turns: ClassVar[dict[str, threading.Lock]] = {}
    pid = 0

    @classmethod
    def turn(cls, name: str) -> threading.Lock:
        """The lock threads of this process take before the catalog's writer lock."""
        with cls.lock:
            if cls.pid != os.getpid():  # a forked child: its parent's sessions are not its own
                inherited(cls.sessions)
                cls.sessions, cls.turns, cls.pid = {}, {}, os.getpid()
            return cls.turns.setdefault(name, threading.Lock())


class LakeDatabase:
    """A DuckLake catalog in PostgreSQL: read through a snapshot, written in turns."""

    shared = True
    path: Path | None = None  # no registry file: what a file registry's checks of it skip

    def __init__(self, url: str, data_path: Path | str | None, *, lock_timeout: float = 60.0):
        self.url = url
        self.conninfo, self.schema = parsed(url)
        self.data_path = data_path
        self.lock_timeout = lock_timeout
        digest = zlib.crc32(f"{self.conninfo}\0{self.schema}".encode())
        self.name = f"lake_{digest:08x}"  # the catalog's, whatever the data path
        # the engine it is attached to: one per data path, which the attachment fixes
        self._engine = f"{self.name} {data_path or ''}"
        self._role: str | None = None
        self._aliases_here = False
        self.snapshots = (  # the time too: a catalog made again in the schema reuses numbers
            f"SELECT snapshot_id, snapshot_time FROM {_ident(self.schema)}.ducklake_snapshot "
            "ORDER BY snapshot_id DESC LIMIT 1"
        )
        self._writable = False
        self._limited: str | None = None  # what sessions connect with (`connecting`)
        self.pause_limit_ms = lake_pauses.LIMIT_SECONDS * 1000

    def __repr__(self) -> str:
        return f"LakeDatabase({shown(self.url)!r})"

    @property
    def shown(self) -> str:
        return f"shared registry {shown(self.url)!r}"

    # reading

    @contextmanager
    def read(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection to the catalog as it is now: every query of the read sees the same
        snapshot, which DuckLake looks up in PostgreSQL once, not once a query."""
        with self._transaction() as conn:  # ended by a ROLLBACK: a read changes nothing
            yield conn

    @contextmanager
    def _transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor on the catalog inside a transaction begun before `USE`, whose lookup of
        the catalog's schema then reads the transaction's snapshot too. The transaction is
        ended before the cursor is closed, and an engine whose work failed is not used again
        (`lake_engines`): either, left undone, can abort the whole process."""
        try:  # DuckDB's errors reach `Engines` as they are, which then retires the engine
            with Engines.cursor(self._engine, self._begin) as cursor:
                yield cursor
        except duckdb.Error as exc:
            raise self._masked(exc) from None

    def _begin(self, cursor: duckdb.DuckDBPyConnection) -> None:
        viewed = self.aliases_here()
        lake_attaching.attach(self, cursor)
        cursor.execute("BEGIN TRANSACTION")
        cursor.execute(f"USE {self.name}")
        if viewed:
            lake_aliases.view(cursor, self.name, self.schema)

    def _masked(self, exc: duckdb.Error) -> Exception:
        """DuckDB's error as a message may show it. DuckLake's reads of a catalog table this
        role may not read fail as a broken session's do: PostgreSQL, asked, tells them apart."""
        masked = lake_errors.masked(exc, self.shown, self.conninfo, self.data_path)
        if not isinstance(masked, UnavailableError):
            return masked
        try:  # PostgreSQL not answering: the outage it looked like
            role, tables = lake_reads.asking(
                self, partial(lake_rights.unreadable, schema=self.schema)
            )
        except MlopsError:
            return masked
        return (
            lake_rights.unreadable_refusal(role, tables, self.shown, self.schema)
            if tables
            else masked
        )

    def exists(self) -> bool:
        """Whether a registry was made in this catalog (its migrations table is there)."""
        if lake_reads.catalog_absent(self):  # asked without attaching, which would make one
            return False
        with self.read() as conn:  # not duckdb_tables(): it visits every attached database
            query = "SELECT count(*) FROM ducklake_table_info(?) WHERE table_name = ?"
            row = conn.execute(query, [self.name, "schema_migrations"]).fetchone()
        return bool(row and row[0])

    def generation(self) -> object:
        """What changes whenever a write is saved: the catalog's newest snapshot."""
        row = self._session().execute(self.newest).fetchone()
        return None if row is None else tuple(row)

    def remembered(self, key: Hashable, compute: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
        """What `compute` reads of the catalog as it is now, read again only after a write
        was saved (`lake_reads`): a lookup repeated meanwhile costs one PostgreSQL query."""
        return lake_reads.remembered(self, key, compute)

    def stored_data_path(self) -> str | None:
        """The data path the catalog was made with, as DuckLake recorded it."""
        with self.read() as conn:
            return lake_paths.stored(conn, self.name, self.schema)

    def catalog_id(self) -> str | None:
        """The catalog's id, the same whatever URL reaches it (`lake_paths.catalog_id`)."""
        with self.read() as conn:
            return lake_paths.catalog_id(conn, self.name, self.schema)

    def place(self) -> str:
        """Where the catalog is in PostgreSQL, which a copy does not keep (`lake_paths.place`)."""
        return lake_reads.asking(self, partial(lake_paths.place, schema=self.schema))

    # writing

    @contextmanager
    def write(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection inside one transaction, run while this process holds the catalog's
        writer lock; committed on success, nothing saved on failure."""
        with (
            self.turn() as session,
            self._in_turn(session) as conn,
            actors.acting(conn, self.role()),
        ):
            yield conn  # an error: `_transaction` rolls it back

    @contextmanager
    def turn(self) -> Iterator[Any]:
        """This process's session holding the writer lock, in the transaction that holds it
        (ended, and the lock let go of, after the block), for a role that may write."""
        self.role()
        if not self._writable:
            self.require_writable()
            self._writable = True
        with _Writers.turn(self.name), self._writer_lock() as session:
            yield session

    def moving(self) -> AbstractContextManager[Book]:
        """Where an alias move reads and writes, under the writer lock (`lake_moves`)."""
        return lake_moves.moving(self)

    def aliases_here(self) -> bool:
        """Whether the catalog keeps its aliases in PostgreSQL tables (`lake_aliases`): not
        yet one an older version made, until its upgrade."""
        if not self._aliases_here:  # not asked where it cannot be: attaching then says why
            self._aliases_here = lake_aliases.present(self.name, self.conninfo, self.schema)
        return self._aliases_here

    @property
    def newest(self) -> str:
        """The query of what changes whenever a write is saved (`generation`)."""
        return lake_aliases.newest(self.schema) if self.aliases_here() else self.snapshots

    def stored_as(self, table: str) -> str:
        """Where a copy writes the rows of `table`: its aliases' PostgreSQL tables."""
        stored = lake_aliases.TABLES.get(table)
        return table if stored is None else lake_aliases.in_duckdb(self.name, self.schema, stored)

    @contextmanager
    def _in_turn(self, session: Any) -> Iterator[duckdb.DuckDBPyConnection]:
        """The write's transaction, committed once its body is done. One that broke off
        because PostgreSQL ended this writer's sessions while it stood still (stopped,
        suspended) is told so, not told PostgreSQL restarted."""
        try:
            with self._transaction() as conn:
                yield conn
                self._commit(conn, session)
        except UnavailableError:  # any other cause is told as it is (an outcome unknown)
            if not session.closed and lake_pauses.ended_standing_still(session):
                raise lake_pauses.stood_still(self.shown, self.pause_limit_ms) from None
            raise

    def _commit(self, conn: duckdb.DuckDBPyConnection, session: Any) -> None:
        """Commit, unless PostgreSQL ended this writer's turn while it stood still."""
        lake_pauses.still_holding(session, self.shown, self.pause_limit_ms, self.unreachable)
        try:
            conn.execute("COMMIT")
        except duckdb.Error as exc:
            raise lake_errors.commit_failed(
                exc, self.shown, self.conninfo, self.data_path
            ) from None

    @contextmanager
    def _writer_lock(self) -> Iterator[Any]:
        session = self._turn_taken()
        try:
            yield session
        finally:
            try:
                writer_lock.release(session)
            except Exception:  # a lost session released its lock with it
                self._forget_session()

    def _turn_taken(self) -> Any:
        """A session holding the writer lock. A kept session PostgreSQL dropped since it last
        worked (a restart) is replaced, and the lock asked for once more."""
        import psycopg

        kept = _Writers.sessions.get(self.name)
        session = self._session()
        try:
            self._wait_for_turn(session)
        except psycopg.OperationalError as exc:
            if session is not kept:
                raise self.unreachable(exc) from None
            self._forget_session()
            return self._turn_taken()
        except psycopg.Error as exc:
            raise self.unreachable(exc) from None
        return session

    def _wait_for_turn(self, session: Any) -> None:
        """Take the writer lock, waiting in PostgreSQL's queue for it: writers get it in the
        order they asked, each as soon as the one before lets go. Past the deadline, name the
        role and process that hold it."""
        import psycopg

        try:
            writer_lock.take(session, self.schema, seconds=self.lock_timeout)
        except psycopg.errors.LockNotAvailable:
            raise RegistryBusyError.held(
                self.shown,
                holder=writer_lock.holder(session, self.schema),
                seconds=self.lock_timeout,
            ) from None
        except psycopg.errors.InsufficientPrivilege as exc:
            raise self.unreachable(exc) from None
        except BaseException:  # interrupted: whether the lock was granted is unknown, and
            self._forget_session()  # closing the session releases it if it was
            raise

    def _session(self) -> Any:
        _Writers.turn(self.name)  # resets the sessions in a forked child
        session = _Writers.sessions.get(self.name)
        if session is not None and not session.closed:
            return session
        try:
            import psycopg
        except ImportError:
            raise UnavailableError(
                "writing to a shared registry needs psycopg; install it with "
                f"{extensions.TEAM_EXTRA}."
            ) from None
        label = f"jupyter-mlops process {os.getpid()} on {machine()}"
        try:
            session = psycopg.connect(
                self.connecting(), autocommit=True, application_name=label[:63], connect_timeout=10
            )
        except psycopg.Error as exc:
            raise self.unreachable(exc) from None
        _Writers.sessions[self.name] = session
        return session

    def connecting(self) -> str:
        """The connection string this process's sessions on the catalog open with: the
        URL's, with PostgreSQL asked to end one that stands still in a transaction for
        longer than the limit, where the server sets none (`lake_pauses`)."""
        if self._limited is None:
            server_ms = lake_reads.asking(self, lake_pauses.server_limit)
            self.pause_limit_ms = server_ms or lake_pauses.LIMIT_SECONDS * 1000
            self._limited = lake_pauses.limited(self.conninfo, server_ms)
        return self._limited

    def _forget_session(self) -> None:
        session = _Writers.sessions.pop(self.name, None)
        if session is not None:
            with suppress(Exception):
                session.close()

    # who writes

    def role(self) -> str:
        """The PostgreSQL role this process logged in as (its session's, not a group role
        it acts as with `options=-crole=...`): who every change is recorded as."""
        if self._role is None:
            self._role = lake_reads.asking(self, lake_rights.session_role)
        return self._role

    def missing_rights(self) -> list[str]:
        """The rights on the catalog's tables this role lacks to write (none: it may write)."""
        return lake_reads.asking(
            self, lambda session: lake_rights.rights(session, self.schema)
        ).missing

    def require_writable(self) -> None:
        """Refuse, in one sentence, a role that may only read this catalog, or one that
        would make tables of its own where they must be its team's group role's."""
        found = lake_reads.asking(self, partial(lake_rights.rights, schema=self.schema))
        refusal = lake_rights.refusal(found, self.role(), self.shown)
        if refusal is not None:
            raise refusal

    # attaching

    def close(self) -> None:
        """Let go of the catalog in this process: its engine closes (the PostgreSQL
        connections it holds end) and so does the writer session. A later read or write
        attaches it again."""
        Engines.close(self._engine)
        lake_reads.Remembered.forget(self.name)
        self._forget_session()

    def needs_data_path(self) -> InvalidArgumentError:
        return lake_paths.needed(self.shown)

    def unreachable(self, exc: BaseException) -> UnavailableError | ForbiddenError:
        return lake_errors.unreachable(exc, self.shown, self.conninfo)


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
