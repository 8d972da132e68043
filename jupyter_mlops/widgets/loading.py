"""Reads off the kernel's main thread, one at a time, never piling up.

A dashboard's reads (an operation on the registry) can wait for another process's lock or
read many rows; the kernel must stay responsive meanwhile. `Loader` runs each piece of work
in one worker thread of its own, in the order asked. Work with a `key` (a refresh) waits at
most once: asked again while it waits, the newer request takes its place (ten clicks of
"refresh" during a slow read make one more read, not ten); other work (an action) is
never dropped. What a read returns is applied to the widgets on
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
        self._waiting: list[tuple[str | None, Read, Apply]] = []
        self._closed = False

    def submit(self, read: Read, apply: Apply, *, key: str | None = None) -> Future[None]:
        """Run `read` then `apply` after the work asked before; a waiting request with the
        same `key` is replaced. The future is done when this work (and what was asked
        meanwhile) is."""
        with self._lock:
            if self._closed:  # a closed dashboard's button: nothing to read or show
                done: Future[None] = Future()
                done.set_result(None)
                return done
            if self._running is None:
                self._running = self._pool.submit(self._work, read, apply)
                return self._running
            same = [i for i, (k, _, _) in enumerate(self._waiting) if key is not None and k == key]
            if same:
                self._waiting[same[0]] = (key, read, apply)
            else:
                self._waiting.append((key, read, apply))
            return self._running

    def _work(self, read: Read, apply: Apply) -> None:
        while True:
            try:
                apply(read())
            except BaseException as exc:  # shown in the status line: the widget stays
                self._failed(exc)
            with self._lock:
                if not self._waiting:
                    self._running = None  # a request from now on starts a new run
                    return
                _, read, apply = self._waiting.pop(0)

    @property
    def busy(self) -> bool:
        with self._lock:
            return self._running is not None

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._waiting.clear()
        self._pool.shutdown(wait=False, cancel_futures=True)
