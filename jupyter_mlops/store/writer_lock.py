"""A shared registry's writer lock: the one row of `mlops_writer_lock`, a small table of the
registry's own beside DuckLake's in the catalog's PostgreSQL schema.

A writer takes the lock by locking that row (`SELECT ... FOR UPDATE`) in a transaction of
its PostgreSQL session, and lets go by ending the transaction. PostgreSQL grants a row lock
only to a role that may UPDATE the table, so a role that may only read can neither take
the lock nor hold up the writers (any role that connects could take an advisory lock, and
name its session as it liked). Writers waiting for the row queue in PostgreSQL and get it
in the order they asked; a writer that dies, however it dies, ends its session and its
transaction with it. A writer still waiting at its deadline is shown the holder's role as
PostgreSQL knows it (`pg_stat_activity.usename`, which no client chooses), beside the
process and host its session calls itself. A catalog made before the table existed gets it
from its first writer.
"""

from __future__ import annotations

from contextlib import suppress
from typing import Any

TABLE = "mlops_writer_lock"


def take(session: Any, schema: str, *, seconds: float) -> None:
    """Lock the row, waiting up to `seconds` (psycopg's `LockNotAvailable` past them); the
    table and its row are made first where missing. `session` is left in the transaction
    that holds the lock, which `release` ends."""
    import psycopg

    table = qualified(schema)
    for _ in range(3):  # made where missing, then taken
        session.execute("BEGIN")
        try:
            session.execute(f"SET LOCAL lock_timeout = {max(1, round(seconds * 1000))}")
            row = session.execute(f"SELECT id FROM {table} WHERE id = 1 FOR UPDATE").fetchone()
        except psycopg.errors.UndefinedTable:
            release(session)
            make(session, schema)
            continue
        except BaseException:
            with suppress(Exception):  # a session gone ends its transaction itself
                release(session)
            raise
        if row is not None:
            return
        release(session)
        make(session, schema)
    raise RuntimeError(f"the writer lock's row in {table} could not be made")


def release(session: Any) -> None:
    """End the transaction that holds the lock, where a commit has not (nothing in it is
    kept)."""
    from psycopg.pq import TransactionStatus

    if session.info.transaction_status != TransactionStatus.IDLE:
        session.execute("ROLLBACK")


def make(session: Any, schema: str) -> None:
    """Make the table and its one row where missing (another process may make them
    meanwhile: theirs are kept)."""
    import psycopg

    table = qualified(schema)
    # made by another process a moment ago: PostgreSQL may say so despite IF NOT EXISTS
    with suppress(psycopg.errors.UniqueViolation, psycopg.errors.DuplicateTable):
        session.execute(
            f"CREATE TABLE IF NOT EXISTS {table} (id SMALLINT PRIMARY KEY CHECK (id = 1))"
        )
    session.execute(f"INSERT INTO {table} VALUES (1) ON CONFLICT (id) DO NOTHING")


def holder(session: Any, schema: str) -> str:
    """Who holds the lock: the PostgreSQL role, and the process and host its session
    names, and its backend's pid, which `pg_terminate_backend` takes (`PostgreSQL role
    'alice' (process 12 on box-a, PostgreSQL backend 345)`). A session that waits for the
    row holds a lock on the table too, and also waits for one: the holder waits for none."""
    row = session.execute(
        """SELECT a.usename, a.application_name, a.pid FROM pg_locks l
           JOIN pg_stat_activity a ON a.pid = l.pid
           WHERE l.locktype = 'relation' AND l.relation = to_regclass(%s)
             AND l.mode = 'RowShareLock' AND l.granted AND l.pid <> pg_backend_pid()
             AND NOT EXISTS (SELECT 1 FROM pg_locks w WHERE w.pid = l.pid AND NOT w.granted)
           ORDER BY a.xact_start LIMIT 1""",
        [qualified(schema)],
    ).fetchone()
    if row is None:
        return "another process"
    role, name, pid = row
    label = str(name).removeprefix("jupyter-mlops ") + ", " if name else ""
    return f"PostgreSQL role {role!r} ({label}PostgreSQL backend {pid})"


def qualified(schema: str) -> str:
    """The table's name in `schema`, quoted for SQL."""
    return '"' + schema.replace('"', '""') + f'".{TABLE}'
