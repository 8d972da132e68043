"""Notebooks run as recorded jobs: a monitoring notebook run now, the jobs so far, and a
job's executed notebook written out to open."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from jupyter_mlops.automation.jobs import run_job
from jupyter_mlops.automation.records import Job, JobList
from jupyter_mlops.errors import (
    Command,
    InvalidArgumentError,
    NotFoundError,
    Option,
    StorageError,
)
from jupyter_mlops.registry import Registry
from jupyter_mlops.registry.refs import check_name
from jupyter_mlops.store import jobs as sql

OPENED = Path("jobs") / "notebooks"  # under the registry home: executed notebooks written out


def monitor_job(
    registry: Registry,
    *,
    notebook: str | os.PathLike[str],
    parameters: Mapping[str, str],
    timeout: str | float | None = None,
    schedule: int | None = None,
) -> Job:
    """Run a monitoring notebook with papermill as a job: recorded, its executed notebook
    stored, its `exit_code` 0 passed, 3 an alert, 10 a cell raised, 11 timed out, 12
    skipped (the previous run still going)."""
    return run_job(
        registry,
        notebook=notebook,
        parameters=parameters,
        kind="monitor",
        timeout=timeout,
        schedule=schedule,
    )


def jobs(registry: Registry, *, model: str | None = None, limit: int = 50) -> JobList:
    """The newest `limit` jobs of `model` (of every model: None), newest first."""
    if model is not None:
        check_name(model)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 2**62:
        raise InvalidArgumentError(
            "", Option("limit", python=repr(limit), typed=str(limit)),
            " is not a number of jobs; give 1 or more, e.g. ",
            Option("limit", python="20", typed="20"), ".",
        )  # fmt: skip
    with registry.db.read() as conn:
        rows = sql.job_rows(conn, model, limit=limit)
    return JobList(Job.from_row(row, opened=opened_path(registry, row["id"])) for row in rows)


def job_notebook(registry: Registry, *, job: int) -> Path:
    """Write job `job`'s executed notebook, verified against its sha256, to a file under
    the registry home (`jobs/notebooks/job-<id>.ipynb`) and return its path."""
    with registry.db.read() as conn:
        row = sql.job_row(conn, job)
    if row is None:
        raise NotFoundError(f"job {job} does not exist; list the jobs with ", _JOBS, ".")
    if row["output_sha256"] is None:
        raise NotFoundError(
            f"job {job} stored no executed notebook (it was {row['status']}: papermill "
            "wrote none); list the jobs with ", _JOBS, " to find one that did.",
        )  # fmt: skip
    data = registry.artifacts.get(
        row["output_sha256"],
        label=f"job {job}'s notebook",
        fix="restore the file from a backup, or run the job's notebook again",
    )
    target = opened_path(registry, job)
    temporary = target.with_suffix(".incoming")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_bytes(data)
        os.replace(temporary, target)  # a reader never opens half a notebook
    except OSError as exc:
        raise StorageError.of(
            exc, target.parent, doing="write the job's notebook", outcome="nothing was written"
        ) from None
    return target


def opened_path(registry: Registry, job: int) -> Path:
    """Where job `job`'s executed notebook is written out to open."""
    return registry.home / OPENED / f"job-{job}.ipynb"


_JOBS = Command("jobs", python="operations.jobs(registry)")
