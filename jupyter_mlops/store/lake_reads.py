"""What a process read of a shared catalog, kept until the catalog changes.

A lookup on a shared registry costs DuckLake several PostgreSQL round trips for each table it
reads, while asking for the catalog's newest snapshot costs one. So a lookup asks for that
number first, and reuses what it computed before at the same number. That is never stale: the
number was read before the lookup's own snapshot was taken, so the lookup saw that snapshot or
a later one; and it is reused only while the newest snapshot is still that number, which means
the lookup saw exactly the catalog as it is now.

The number (and the server's time, the one clock a team's machines share: `server_time`) is
asked on a PostgreSQL session of its own (never the writers' session, which may
be waiting in the writer lock's queue for a minute). Results are kept pickled, so every caller
gets objects of its own to change as it likes; each catalog keeps its newest few.
"""

from __future__ import annotations

import os
import pickle
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, TypeVar

from jupyter_mlops.clock import utc_now
from jupyter_mlops.errors import InvalidArgumentError, UnavailableError
from jupyter_mlops.store import extensions
from jupyter_mlops.store.forks import inherited

if TYPE_CHECKING:
    import duckdb


T = TypeVar("T")
KEPT = 64  # results kept per catalog


class Catalog(Protocol):
    """What this module asks of a shared catalog (`lake.LakeDatabase`)."""

    name: str  # the catalog's, whatever its data path
    conninfo: str
    schema: str  # the PostgreSQL schema it is kept in

    @property
    def newest(self) -> str:
        """The query of what changes whenever a write is saved."""

    @property
    def shown(self) -> str: ...

    def read(self) -> AbstractContextManager[duckdb.DuckDBPyConnection]: ...

    def unreachable(self, exc: BaseException) -> Exception: ...


class Remembered:
    """This process's reading sessions and kept results, one of each per catalog."""

    lock = threading.Lock()
    sessions: ClassVar[dict[str, Any]] = {}
    session_locks: ClassVar[dict[str, threading.Lock]] = {}
    results: ClassVar[dict[str, OrderedDict[Hashable, tuple[object, bytes]]]] = {}
    pid = 0

    @classmethod
    def _own(cls) -> None:
        if cls.pid != os.getpid():  # a forked child: its parent's sessions are not its own
            inherited(cls.sessions)
            cls.sessions, cls.session_locks, cls.results = {}, {}, {}
            cls.pid = os.getpid()

    @classmethod
    def kept(cls, catalog: str, generation: object, key: Hashable) -> bytes | None:
        with cls.lock:
            cls._own()
            found = cls.results.get(catalog, OrderedDict()).get(key)
            if found is None or found[0] != generation:
                return None
            cls.results[catalog].move_to_end(key)
            return found[1]

    @classmethod
    def keep(cls, catalog: str, generation: object, key: Hashable, value: bytes) -> None:
        with cls.lock:
            cls._own()
            results = cls.results.setdefault(catalog, OrderedDict())
            results[key] = (generation, value)
            results.move_to_end(key)
            while len(results) > KEPT:
                results.popitem(last=False)

    @classmethod
    def forget(cls, catalog: str) -> None:
        """Drop the catalog's session and kept results (its engine was closed)."""
        with cls.lock:
            cls._own()
            cls.results.pop(catalog, None)
            session = cls.sessions.pop(catalog, None)
        if session is not None:
            with suppress(Exception):
                session.close()

    @classmethod
    @contextmanager
    def reading(cls, catalog: str, conninfo: str) -> Iterator[Any]:
        """The catalog's reading session (made when missing), this thread's alone while the
        block runs; psycopg's errors reach the caller, the session forgotten."""
        import psycopg

        with cls.lock:
            cls._own()
            turn = cls.session_locks.setdefault(catalog, threading.Lock())
        with turn:
            try:
                session = cls.sessions.get(catalog)
                if session is None or session.closed:
                    session = psycopg.connect(conninfo, autocommit=True, connect_timeout=10)
                    cls.sessions[catalog] = session
                yield session
            except psycopg.Error:
                cls.forget(catalog)
                raise

    @classmethod
    def asked(
        cls, catalog: str, conninfo: str, query: str, values: tuple[str, ...] = ()
    ) -> tuple[Any, ...] | None:
        """The row `query` gives (with `values` as its parameters) on the catalog's reading
        session; None when it cannot be asked (no psycopg, PostgreSQL gone): a caller then
        does without."""
        try:
            import psycopg
        except ImportError:
            return None
        try:
            with cls.reading(catalog, conninfo) as session:
                row = session.execute(query, values or None).fetchone()
        except psycopg.Error:
            return None
        return None if row is None else tuple(row)


def remembered(
    catalog: Catalog,
    key: Hashable,
    compute: Callable[[duckdb.DuckDBPyConnection], T],
    *,
    newest: str | None = None,
) -> T:
    """What `compute` reads of `catalog` as it is now: read again only when a write was saved
    since it was last read (or the result was not kept). `newest`: the query of what changes
    with every write `compute` can see, where it reads less than the whole catalog."""
    query = catalog.newest if newest is None else newest
    generation = Remembered.asked(catalog.name, catalog.conninfo, query)
    if generation is not None:
        kept = Remembered.kept(catalog.name, generation, key)
        if kept is not None:
            result: T = pickle.loads(kept)
            return result
    with catalog.read() as conn:
        value = compute(conn)
    if generation is not None:
        Remembered.keep(catalog.name, generation, key, pickle.dumps(value))
    return value


def server_time(catalog: Catalog) -> datetime:
    """The time on the catalog's PostgreSQL server (naive UTC): one clock for all of a team's
    machines, whose own clocks may differ; this machine's when the server cannot be asked."""
    row = Remembered.asked(
        catalog.name, catalog.conninfo, "SELECT clock_timestamp() AT TIME ZONE 'UTC'"
    )
    return row[0] if row else utc_now()


def asking(catalog: Catalog, ask: Callable[[Any], T]) -> T:
    """What `ask` learns on the catalog's reading session (its role, its rights): never on the
    writers' session, where another thread of this process may be waiting for its turn."""
    try:
        import psycopg
    except ImportError:
        raise UnavailableError(
            f"a shared registry needs psycopg; install it with {extensions.TEAM_EXTRA}."
        ) from None
    kept = Remembered.sessions.get(catalog.name)
    # a kept session PostgreSQL dropped since it last worked (a restart): asked once more
    for last in (kept is None or kept.closed, True):
        try:
            with Remembered.reading(catalog.name, catalog.conninfo) as session:
                return ask(session)
        except psycopg.OperationalError as exc:
            if last:
                raise catalog.unreachable(exc) from None
        except psycopg.Error as exc:
            raise catalog.unreachable(exc) from None
    raise AssertionError("unreachable: the last try returns or raises")


def catalog_absent(catalog: Catalog) -> bool:
    """Whether PostgreSQL holds no DuckLake catalog in the schema yet, asked without attaching
    it: attaching makes one, recording the data path it was given before that path could be
    checked (False when it cannot be asked: attaching then says why). Refused when another
    schema's name differs from it only by case: DuckDB looks names up ignoring case, so
    DuckLake would make its tables in that other schema, then fail to read them here."""
    query = (
        "SELECT to_regclass(quote_ident(%s) || '.ducklake_metadata') IS NULL, "
        "(SELECT min(nspname) FROM pg_namespace WHERE lower(nspname) = lower(%s) "
        "AND nspname <> %s)"
    )
    row = Remembered.asked(catalog.name, catalog.conninfo, query, (catalog.schema,) * 3)
    if row and row[0] and row[1] is not None:
        raise InvalidArgumentError(
            f"the {catalog.shown} names PostgreSQL schema {catalog.schema!r}, which holds no "
            f"registry and differs only by case from schema {row[1]!r} (PostgreSQL keeps the "
            "case the URL writes, DuckLake's lookups ignore it), so nothing was made; write "
            f"schema={row[1]} in the URL to use that one, or a name no schema has in any case."
        )
    return bool(row and row[0])
