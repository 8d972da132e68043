"""Reads off the kernel's main thread, one at a time, never piling up.

A dashboard's reads (an operation on the registry) can wait for another process's lock or
read many rows; the kernel must stay responsive meanwhile. `Loader` runs each read in one
worker thread of its own: while a read is running, another request is not queued behind
it but remembered once, and run when the first is done (ten clicks of "refresh" during a
slow read make one more read, not ten). What a read returns is applied to the widgets on
the worker thread, which ipywidgets sends to the front end as ordinary state updates; an
error is handed to the dashboard's status line, never raised into the kernel.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

Read = Callable[[], Any]
Apply = Callable[[Any], None]
Failed = Callable[[BaseException], None]


class Loader:
    """One worker thread; `submit` runs `read` there, then `apply` with what it returned,
    or `failed` with what it raised."""

    def __init__(self, *, failed: Failed) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mlops-dashboard")
        self._failed = failed
        self._lock = threading.Lock()
        self._running: Future[None] | None = None
        self._again: tuple[Read, Apply] | None = None

    def submit(self, read: Read, apply: Apply) -> Future[None]:
        """Run `read` then `apply` in the worker; while one runs, the newest request waits
        after it (older waiting ones are dropped). The future is done when the work asked
        for is (the running read's future covers the one waiting after it)."""
        with self._lock:
            if self._running is not None:
                self._again = (read, apply)
                return self._running
            self._running = self._pool.submit(self._work, read, apply)
            return self._running

    def _work(self, read: Read, apply: Apply) -> None:
        while True:
            try:
                apply(read())
            except BaseException as exc:  # shown in the status line: the widget stays
                self._failed(exc)
            with self._lock:
                if self._again is None:
                    self._running = None  # a request from now on starts a new read
                    return
                read, apply = self._again
                self._again = None

    @property
    def busy(self) -> bool:
        with self._lock:
            return self._running is not None

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
