"""The in-memory DuckDB engines a shared registry's catalog is attached to, and the rule that
keeps a live process alive whatever PostgreSQL does under it.

Each engine holds one catalog and is lent to one thread at a time. A query that lists tables
(`duckdb_tables()`, `information_schema`) asks every catalog attached to its engine, each
over PostgreSQL: alone in its engine, a catalog's listing waits on its own server once, and
the engine registry files are attached to never waits on one.

An engine whose work failed is never lent again. DuckDB's PostgreSQL and DuckLake extensions
keep connections and caches per engine, and after PostgreSQL restarts, an engine that met
the failure can go on to fail inside DuckDB itself ("database has been invalidated"). Such
an engine then refuses every statement, the `ROLLBACK` that ends a transaction among them,
and closing a cursor whose transaction is still open aborts the whole process (a kernel, a
model server) from a destructor. So a failed engine is asked once whether it still answers:
one that does is closed, its transaction ended; one that does not is let go of unclosed and
is never freed, since freeing it would abort the process. The next piece of work gets a fresh
engine, which attaches the catalog again.
"""

from __future__ import annotations

import ctypes
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ClassVar

import duckdb

from jupyter_mlops.store.forks import inherited

# extensions are installed and loaded by name (`extensions.py`), never fetched on their own
_ENGINE: dict[str, str | bool | int | float | list[str]] = {
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
}


class Engines:
    """This process's engines, the idle ones kept for the next thread by catalog name."""

    lock = threading.Lock()
    idle: ClassVar[dict[str, list[duckdb.DuckDBPyConnection]]] = {}
    abandoned = 0  # engines let go of unclosed, since DuckDB invalidated them
    pid = 0

    @classmethod
    @contextmanager
    def cursor(
        cls, name: str, begin: Callable[[duckdb.DuckDBPyConnection], None]
    ) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor on an engine for catalog `name`, this thread's alone while the block runs,
        which `begin` readies first (an engine is made when none is idle). An idle engine
        `begin` fails on is replaced and begun once more: its connections may have ended
        with a restart of PostgreSQL since it last worked. Whatever the block leaves open
        is rolled back before the cursor closes; after a failure in DuckDB, or an
        interruption, the engine is not lent again."""
        engine, kept = cls._take(name)
        cursor = engine.cursor()
        try:
            try:
                begin(cursor)
            except duckdb.Error:
                if not kept:
                    raise
                cls._retire(engine, cursor)
                engine = cls._made()
                cursor = engine.cursor()
                begin(cursor)
            yield cursor
        except BaseException as exc:
            if not _from_duckdb(exc):  # the caller's own refusal: the engine did its part
                cls._give_back(name, engine, cursor)
            else:
                cls._retire(engine, cursor)
            raise
        cls._give_back(name, engine, cursor)

    @classmethod
    def close(cls, name: str) -> None:
        """Close the idle engines of catalog `name`, and what is attached to them (the
        PostgreSQL connections they hold end)."""
        with cls.lock:
            engines = cls.idle.pop(name, [])
        for engine in engines:
            engine.close()

    @classmethod
    def _take(cls, name: str) -> tuple[duckdb.DuckDBPyConnection, bool]:
        """An idle engine of catalog `name`'s (and True), or a new one (and False)."""
        with cls.lock:
            if cls.pid != os.getpid():  # a forked child: its parent's engines are not its own
                inherited(cls.idle)
                cls.idle, cls.pid = {}, os.getpid()
            idle = cls.idle.get(name)
            if idle:
                return idle.pop(), True
        return cls._made(), False

    @staticmethod
    def _made() -> duckdb.DuckDBPyConnection:
        return duckdb.connect(":memory:", config=_ENGINE)

    @classmethod
    def _give_back(
        cls, name: str, engine: duckdb.DuckDBPyConnection, cursor: duckdb.DuckDBPyConnection
    ) -> None:
        """Keep `engine` for the next thread once `cursor`'s transaction has ended."""
        if not cls._ended(engine, cursor):
            return
        with cls.lock:
            if cls.pid == os.getpid():
                cls.idle.setdefault(name, []).append(engine)
                return
        engine.close()

    @classmethod
    def _retire(cls, engine: duckdb.DuckDBPyConnection, cursor: duckdb.DuckDBPyConnection) -> None:
        """Close `engine` for good once `cursor`'s transaction has ended."""
        if cls._ended(engine, cursor):
            engine.close()

    @classmethod
    def _ended(cls, engine: duckdb.DuckDBPyConnection, cursor: duckdb.DuckDBPyConnection) -> bool:
        """Roll back what `cursor` left open and close it: True when done, False when DuckDB
        invalidated `engine` (its transaction cannot end, and freeing it would abort the
        process, so both are let go of, never freed)."""
        try:
            cursor.execute("ROLLBACK")
        except duckdb.FatalException:  # what an invalidated engine answers to anything
            for held in (engine, cursor):
                ctypes.pythonapi.Py_IncRef(ctypes.py_object(held))
            with cls.lock:
                cls.abandoned += 1
            return False
        except duckdb.Error:  # no transaction was open, or it ended failing
            pass
        cursor.close()
        return True


def _from_duckdb(exc: BaseException) -> bool:
    """Whether `exc` (or an error it was raised from or while handling) came from DuckDB, or
    interrupted it (not an `Exception`)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, duckdb.Error) or not isinstance(seen, Exception):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
