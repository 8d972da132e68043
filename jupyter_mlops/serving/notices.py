"""What a model server says in its own log: a line per kind of event, at most one a second.

Anything a client can cause many times (a connection cut by a deadline, a client that goes
away, a request uvicorn cannot parse, a request past the connection limit) could otherwise
write a line each time: thousands of lines a second from one careless or hostile client,
on the disk the prediction log needs. So every such line goes through one `Notices`: for
each kind of event, the first line in a second is written, the others are counted, and the
next line of that kind says how many were left out. That holds for our own lines
(`notice`) and for uvicorn's log records (`rate_limit_uvicorn_logs` puts a filter on its
loggers, the kind being the record's message template).

A line that cannot be written (stderr is a file on a full disk) is dropped, never raised:
the process has better things to do with the disk than report that it is full.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from contextlib import suppress

NOTICE_SECONDS = 1.0
UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi")


class Notices:
    """At most one line a second for each kind of event; the next counts the rest."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._last: dict[str, float] = {}
        self._left_out: dict[str, int] = {}
        self._lock = threading.Lock()

    def admit(self, kind: str) -> int | None:
        """None when a line of `kind` was written less than `seconds` ago (this one is
        counted instead); otherwise how many were left out since the last one."""
        now = time.monotonic()
        with self._lock:
            if now - self._last.get(kind, -self.seconds) < self.seconds:
                self._left_out[kind] = self._left_out.get(kind, 0) + 1
                return None
            self._last[kind] = now
            return self._left_out.pop(kind, 0)


_NOTICES = Notices(NOTICE_SECONDS)


def left_out(count: int) -> str:
    return f" (and {count} more like it since the last such line)" if count else ""


def notice(kind: str, text: str) -> None:
    """One line on stderr about an event a client can repeat, rate-limited per kind."""
    count = _NOTICES.admit(kind)
    if count is not None:
        say(f"{text}{left_out(count)}")


def say(text: str) -> None:
    """One line on stderr, or nothing when stderr cannot be written (a full disk)."""
    with suppress(OSError, ValueError):  # ValueError: stderr is closed
        print(text, file=sys.stderr, flush=True)


class _RateLimited(logging.Filter):
    """uvicorn's log records through the same `Notices`, per logger and message template."""

    def filter(self, record: logging.LogRecord) -> bool:
        count = _NOTICES.admit(f"{record.name}: {record.msg}")
        if count is None:
            return False
        if count:
            record.msg, record.args = f"{record.getMessage()}{left_out(count)}", None
        return True


def rate_limit_uvicorn_logs() -> None:
    """Put the rate limit on uvicorn's loggers (once; uvicorn's logging set-up adds handlers
    and levels to these loggers but leaves their filters alone)."""
    for name in UVICORN_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(found, _RateLimited) for found in logger.filters):
            logger.addFilter(_RateLimited())
