"""Each running job's own folder under the registry home (`jobs/work/job-<id>`).

It holds what papermill writes (the executed notebook, its stderr) and what the job's
notebook leaves for the job (the versions its registrations repeated), and is removed
when the job ends. A runner killed outright (SIGKILL, out of memory) cannot remove its
own; the next job to start removes every folder whose job no longer runs, so nothing is
left behind for long, and nothing is ever written outside the registry home.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from jupyter_mlops.automation.records import RUNNING, Job
from jupyter_mlops.config import JOB_WORK, REPEATED, job_folder
from jupyter_mlops.errors import StorageError
from jupyter_mlops.registry import Registry
from jupyter_mlops.store import jobs as sql


@contextmanager
def kept(registry: Registry, job_id: int) -> Iterator[Path]:
    """Job `job_id`'s folder while the block runs, removed after it (and those of jobs
    that no longer run, before)."""
    sweep(registry)
    folder = job_folder(registry.home, job_id)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError.of(exc, folder.parent, doing="make the job's folder") from None
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def sweep(registry: Registry) -> None:
    """Remove the folders of jobs that no longer run (their runners were killed)."""
    with suppress(OSError):
        found = [p for p in (registry.home / JOB_WORK).iterdir() if p.name.startswith("job-")]
        if not found:
            return
        with registry.db.read() as conn:
            rows = {p: sql.job_row(conn, _number(p)) for p in found}
        for path, row in rows.items():
            if row is None or Job.from_row(row).status != RUNNING:
                shutil.rmtree(path, ignore_errors=True)


def repeated(folder: Path) -> list[dict[str, Any]]:
    """The versions the job's notebook registered again (`{"model", "version"}`), in order."""
    try:
        lines = (folder / REPEATED).read_text().splitlines()
    except OSError:
        return []
    found = []
    for line in lines:
        with suppress(ValueError):
            found.append(json.loads(line))
    return found


def _number(path: Path) -> int:
    text = path.name.removeprefix("job-")
    return int(text) if text.isascii() and text.isdigit() else 0
