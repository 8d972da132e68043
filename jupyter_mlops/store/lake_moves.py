"""An alias move on a shared registry: read and written on the writer-lock session, in the
transaction that holds the lock, and committed as that transaction ends (`lake_aliases`).

The status of the version an alias would point at is DuckLake's. It is read through the
results a process keeps by DuckLake snapshot (`lake_reads`), asked for under the lock: no
DuckLake write commits while the lock is held, so the snapshot asked for is the catalog as
it is until the move commits, and a move after a move reads no DuckLake table again.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol

from jupyter_mlops.errors import UnavailableError
from jupyter_mlops.store import lake_pauses, lake_reads
from jupyter_mlops.store.alias_books import Book, CatalogBook
from jupyter_mlops.store.lake_aliases import LakeBook

if TYPE_CHECKING:
    import duckdb


class Mover(lake_reads.Catalog, Protocol):
    """What a move asks of a shared catalog (`lake.LakeDatabase`)."""

    snapshots: str  # the query of its newest DuckLake snapshot
    pause_limit_ms: int

    def aliases_here(self) -> bool: ...

    def write(self) -> AbstractContextManager[duckdb.DuckDBPyConnection]: ...

    def turn(self) -> AbstractContextManager[Any]: ...

    def role(self) -> str: ...


@contextmanager
def moving(db: Mover) -> Iterator[Book]:
    """A book to move aliases through, under the writer lock; the move is committed when
    the block ends, and nothing of it saved when it raises. A lookup's read of the catalog
    is ended with the block, told what it raised: a DuckDB error is then said as the
    catalog's reads say it, and its engine never lent again (`lake_engines`). A catalog an
    older version made (being upgraded) moves them in its DuckLake transaction, as it did."""
    if not db.aliases_here():
        with db.write() as conn:
            yield CatalogBook(conn)
        return
    import psycopg

    with db.turn() as session:
        try:
            with ExitStack() as opened:  # a lookup's read ends before the lock is let go of
                book = LakeBook(
                    session, db.schema, role=db.role(), status=partial(_status, db),
                    reading=lambda: opened.enter_context(db.read()),
                )  # fmt: skip
                try:
                    yield book
                    lake_pauses.still_holding(session, db.shown, db.pause_limit_ms, db.unreachable)
                    session.execute("COMMIT")
                except psycopg.Error as exc:
                    raise db.unreachable(exc) from None
        except UnavailableError:  # told as a write is, when it stood still (`lake_pauses`)
            if not session.closed and lake_pauses.ended_standing_still(session):
                raise lake_pauses.stood_still(db.shown, db.pause_limit_ms) from None
            raise


def _status(db: Mover, model: str, version: int) -> str | None:
    """The status of `model` version `version` (None: no such version), as DuckLake holds it
    at its newest snapshot: the statuses of all the model's versions are read at once, and
    kept until a DuckLake write."""

    def read(conn: duckdb.DuckDBPyConnection) -> dict[int, str]:
        rows = conn.execute("SELECT version, status FROM versions WHERE model = ?", [model])
        return {int(number): str(status) for number, status in rows.fetchall()}

    statuses = lake_reads.remembered(db, ("statuses", model), read, newest=db.snapshots)
    return statuses.get(version)
