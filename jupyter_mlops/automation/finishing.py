"""Finishing a job's row once its notebook has run, against what can go wrong by then.

A run's outcome is what a scheduler acts on, so once the notebook has ended its row is
finished whatever else fails: an executed notebook the disk will not take is left out (the
message says so, and the status and exit code are still the run's); a registry another
process holds longer than a write normally waits is waited for `PATIENCE` times as long,
and so is a shared registry whose PostgreSQL is away (restarting, failing over), since
giving up would leave a finished run looking 'running' (and, once its runner has ended,
'crashed'). A registry file the notebook deleted is refused in one sentence: there is
no row left to finish, and attaching it again would only make an empty one.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from jupyter_mlops.errors import (
    IntegrityError,
    RegistryBusyError,
    StorageError,
    UnavailableError,
    plain_reason,
)
from jupyter_mlops.registry import Registry

T = TypeVar("T")
PATIENCE = 10  # times the registry's lock timeout a finishing job waits for the lock
LEAST_WAIT = 60.0  # seconds a finishing job waits for the lock at least
RETRY_AFTER = 1.0  # seconds between asking a registry out of reach again


def patiently(registry: Registry, job_id: int, work: Callable[[], T], *, ended: str) -> T:
    """`work()` (a read, or a write that may be made twice, of job `job_id`'s row), tried
    again while the registry is busy or out of reach, up to `PATIENCE` lock timeouts;
    `ended`: how the run ended, for the refusal when the registry file is gone."""
    deadline = time.monotonic() + max(PATIENCE * registry.db.lock_timeout, LEAST_WAIT)
    while True:
        if registry.db.path is not None and not registry.db.path.exists():
            raise IntegrityError(
                f"the registry file {str(registry.db.path)!r} was deleted while job {job_id} "
                f"ran ({ended}), so its row cannot be finished; restore the registry from a "
                "backup, and keep the job's notebook from deleting MLOPS_HOME."
            )
        try:
            return work()
        except RegistryBusyError:
            if time.monotonic() >= deadline:
                raise
        except UnavailableError:
            if time.monotonic() >= deadline:
                raise
            time.sleep(RETRY_AFTER)


def stored(registry: Registry, data: bytes | None) -> tuple[str | None, str | None]:
    """The executed notebook stored as an artifact: its sha256, or None and why it is not
    (a disk that is full or refuses the write). Call it inside `artifacts.in_use()`."""
    if data is None:
        return None, None
    try:
        return registry.artifacts.put(data), None
    except StorageError as exc:
        why = f"{plain_reason(exc)} under {registry.artifacts.shown!r}"
        return None, f"its executed notebook could not be stored ({why}), so none is kept"
