"""How long a shared registry's sessions may stand still inside a PostgreSQL transaction.

A writer holds the writer lock in a transaction of its lock session, and its DuckLake
transaction in another. A writer frozen mid-write (a laptop suspended, a kernel stopped in a
debugger, a process sent SIGSTOP) would hold both, and every other writer up, for as long
as it stays frozen. So every session a process opens on the catalog carries PostgreSQL's
`idle_in_transaction_session_timeout`: past it, PostgreSQL ends the frozen session, and its
transaction and lock with it. The server's own setting (`ALTER ROLE` or `ALTER DATABASE
... SET`) is kept where it sets one; where it sets none, LIMIT_SECONDS is asked for.

A writer that wakes after its turn was taken must not commit what it checked under the
lock: it asks its lock session once more just before committing (`still_holding`). Its
DuckLake session stood still since before that question, so PostgreSQL ends it no later
than the lock session, and a commit of a writer frozen between the question and the
commit fails as well.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from jupyter_mlops.errors import UnavailableError

LIMIT_SECONDS = 300  # where the server sets none; far above any one write's time
SETTING = "idle_in_transaction_session_timeout"
_ENDED = "idle-in-transaction timeout"  # what PostgreSQL says as it ends such a session


def server_limit(session: Any) -> int:
    """The limit (ms; 0: none) the server gives this role's sessions in this database."""
    row = session.execute("SELECT setting FROM pg_settings WHERE name = %s", [SETTING]).fetchone()
    return int(row[0]) if row else 0


def limited(conninfo: str, server_ms: int) -> str:
    """`conninfo` with the limit asked for where the server sets none (`server_ms` 0): added
    to its `options` (a URI's parameter, or a keyword's value), which keep what they held."""
    if server_ms:
        return conninfo
    switch = f"-c {SETTING}={LIMIT_SECONDS * 1000}"
    if "://" in "".join(conninfo.split(None, 1)[:1]):  # a postgresql:// URI
        found = re.search(r"([?&])options=([^&#]*)", conninfo)
        if found is None:
            joiner = "&" if "?" in conninfo else "?"
            return f"{conninfo}{joiner}options={quote(switch)}"
        return conninfo[: found.end()] + quote(" " + switch) + conninfo[found.end() :]
    found = re.search(r"(?<!\S)options\s*=\s*('(?:[^'\\]|\\.)*'|\S+)", conninfo)
    if found is None:
        return f"{conninfo} options='{switch}'"
    value = found.group(1)
    held = re.sub(r"\\(.)", r"\1", value[1:-1] if value.startswith("'") else value)
    written = (held + " " + switch).replace("\\", "\\\\").replace("'", "\\'")
    return conninfo[: found.start(1)] + f"'{written}'" + conninfo[found.end(1) :]


def still_holding(session: Any, shown: str, limit_ms: int, broke: Any) -> None:
    """Refuse the commit of a writer whose lock session PostgreSQL ended (its turn was
    taken while it stood still): nothing of its change is saved. `broke(exc)` is the error
    for a session ended otherwise (PostgreSQL restarting)."""
    import psycopg

    try:
        session.execute("SELECT 1")
    except psycopg.Error as exc:
        if _ENDED not in str(exc):
            raise broke(exc) from None
        raise stood_still(shown, limit_ms) from None


def ended_standing_still(session: Any) -> bool:
    """Whether PostgreSQL ended the lock session `session` for standing still (which it
    says at the session's next use); False for a session that answers, or ended otherwise."""
    import psycopg

    try:
        session.execute("SELECT 1")
    except psycopg.Error as exc:
        return _ENDED in str(exc)
    return False


def stood_still(shown: str, limit_ms: int) -> UnavailableError:
    """What a write is told whose turn PostgreSQL ended while it stood still."""
    return UnavailableError(
        f"this process stood still for more than {limit_ms / 1000:g} s in the middle of a "
        f"write to the {shown} (it was stopped or suspended), so PostgreSQL ended its turn "
        "and let the other writers on; nothing of this change was saved, so run it again."
    )
