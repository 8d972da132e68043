"""The registry's writer lock (one writing process at a time, named when it holds on too long),
the backoff every wait on a lock uses, and fsync.

An advisory `flock` on a file beside the registry. The holder writes its PID into the
file so that a writer still waiting at its deadline can say which process to stop. The
kernel releases the lock when its holder exits, however it exits, so a killed writer
never leaves the registry locked.
"""

from __future__ import annotations

import errno
import fcntl
import os
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from jupyter_mlops.errors import RegistryBusyError, StorageError


@contextmanager
def exclusive(path: Path, *, timeout: float, what: str) -> Iterator[None]:
    """Hold the lock file `path` exclusively, retrying with jittered backoff until `timeout`
    seconds have passed; `what` names the locked thing in the error."""
    descriptor = _open(path, what=what)
    try:
        _acquire(descriptor, path, timeout=timeout, what=what)
        try:
            os.ftruncate(descriptor, 0)
            os.pwrite(descriptor, str(os.getpid()).encode(), 0)
        except OSError:
            pass  # the PID is a courtesy for whoever waits; the lock itself is held
        yield
    finally:
        os.close(descriptor)  # releases the lock


def _open(path: Path, *, what: str) -> int:
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise StorageError.of(exc, path.parent, doing=f"lock {what} for writing") from None


def attempts(timeout: float) -> Iterator[None]:
    """One step per attempt, with a jittered, growing pause (2 ms to 100 ms) before each but
    the first; it stops when the next pause would pass `timeout` seconds from the first."""
    deadline = time.monotonic() + timeout
    delay = 0.002
    while True:
        yield
        if time.monotonic() + delay > deadline:
            return
        time.sleep(delay * random.uniform(0.5, 1.5))
        delay = min(delay * 1.6, 0.1)


def busy(exc: OSError) -> bool:
    """Whether a non-blocking lock attempt failed because someone else holds the lock."""
    return exc.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK)


def _acquire(descriptor: int, path: Path, *, timeout: float, what: str) -> None:
    for _ in attempts(timeout):
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except OSError as exc:
            if not busy(exc):
                raise
    raise RegistryBusyError.held(what, holder=_holder(path), seconds=timeout)


def _holder(path: Path) -> str:
    try:
        pid = path.read_text().strip()
    except OSError:
        pid = ""
    return f"process {pid}" if pid.isdigit() else "another process"


def fsync_path(path: Path) -> None:
    """Flush a file's, or a directory's entries', writes to the disk."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
