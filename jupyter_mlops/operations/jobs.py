"""Notebooks run as recorded jobs: a monitoring notebook run now, the jobs so far, and a
job's executed notebook written out to open."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from jupyter_mlops.automation.jobs import run_job
from jupyter_mlops.automation.records import CRASHED, RUNNING, Job, JobList
from jupyter_mlops.errors import (
    Command,
    InvalidArgumentError,
    NotFoundError,
    Option,
    StorageError,
    did_you_mean,
)
from jupyter_mlops.registry import Registry
from jupyter_mlops.registry.lookups import listed_model
from jupyter_mlops.store import jobs as sql

OPENED = Path("jobs") / "notebooks"  # under the registry home: executed notebooks written out
MOST_JOBS = 2**62 - 1  # the most a listing shows, and the largest job id


def monitor_job(
    registry: Registry,
    *,
    notebook: str | os.PathLike[str],
    parameters: Mapping[str, object] | None = None,
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
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise InvalidArgumentError(
            "", Option("limit", python=repr(limit), typed=str(limit)),
            " is not a number of jobs of 1 or more; give one, e.g. ",
            Option("limit", python="20", typed="20"), ".",
        )  # fmt: skip
    with registry.db.read() as conn:
        if model is not None:
            listed_model(conn, model, listed="jobs", known=sql.models_with_jobs(conn))
        rows = sql.job_rows(conn, model, limit=min(limit, MOST_JOBS))
        named = sql.models_with_jobs(conn) if model is not None and not rows else []
    found = (Job.from_row(row, opened=opened_path(registry, row["id"])) for row in rows)
    return JobList(found, empty=_none_of(model, named))


def job_notebook(registry: Registry, *, job: int) -> Path:
    """Write job `job`'s executed notebook, verified against its sha256, to a file under
    the registry home (`jobs/notebooks/job-<id>.ipynb`) and return its path."""
    if isinstance(job, bool) or not isinstance(job, int) or job < 1:
        raise InvalidArgumentError(
            f"job {job!r} is not a job id (a whole number from 1); list the jobs with ",
            _JOBS, ".",
        )  # fmt: skip
    with registry.db.read() as conn:
        row = sql.job_row(conn, job) if job <= MOST_JOBS else None
    if row is None:
        raise NotFoundError(f"job {job} does not exist; list the jobs with ", _JOBS, ".")
    if row["output_sha256"] is None:
        raise NotFoundError(
            f"job {job} stored no executed notebook ({_why_none(Job.from_row(row))}); "
            "list the jobs with ", _JOBS, " to find one that did.",
        )  # fmt: skip
    data = registry.artifacts.get(
        row["output_sha256"],
        label=f"job {job}'s notebook",
        fix="restore the file from a backup, or run the job's notebook again",
    )
    return _written(data, opened_path(registry, job))


def _written(data: bytes, target: Path) -> Path:
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


def _none_of(model: str | None, named: list[str]) -> str:
    """What an empty listing says: of a model, which models have jobs."""
    if model is None:
        return "no jobs yet"
    others = f"; models with jobs: {', '.join(named)}" if named else "; no model has jobs yet"
    return f"no jobs of {model}{did_you_mean(model, named)}{others}"


def _why_none(job: Job) -> str:
    """Why a job stored no notebook, by what its status says."""
    if job.status == RUNNING:
        return "it is still running; open it once it has finished"
    if job.status == CRASHED:
        return "it crashed: its runner ended before papermill's notebook was stored"
    return f"it was {job.status}: papermill wrote none"


def opened_path(registry: Registry, job: int) -> Path:
    """Where job `job`'s executed notebook is written out to open."""
    return registry.home / OPENED / f"job-{job}.ipynb"


_JOBS = Command("jobs", python="operations.jobs(registry)")
