"""Schedules: a monitoring notebook run with its parameters by cron or a Jupyter server's
jupyter-scheduler, listed with its next run and its newest job, run now, and removed."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from jupyter_mlops.automation import schedules as automation
from jupyter_mlops.automation.jupyter_servers import JupyterServer
from jupyter_mlops.automation.schedule_records import Schedule, ScheduleList, ScheduleRun
from jupyter_mlops.automation.schedule_runs import run_now
from jupyter_mlops.registry import Registry
from jupyter_mlops.registry.lookups import listed_model


def schedule(
    registry: Registry,
    *,
    notebook: str | Path,
    parameters: Mapping[str, Any],
    every: str | None = None,
    cron: str | None = None,
    timeout: str | float | None = None,
    kind: str = "monitor",
    backend: str = "auto",
    servers: Iterable[JupyterServer] | None = None,
) -> Schedule:
    """Run `notebook` with `parameters` every `every` (5m..30m, 1h..12h, 1d, 1w) or at a
    crontab expression `cron`, each run killed past `timeout` (default: the interval);
    recorded in the registry and installed in this user's crontab, or (`backend`
    'jupyter-scheduler', or 'auto' when one of the running Jupyter `servers` has it) as a
    jupyter-scheduler job definition. `servers`: the Jupyter servers to ask (None: the ones
    this user runs, the one this process runs under first)."""
    return automation.schedule(
        registry,
        notebook=notebook,
        parameters=parameters,
        every=every,
        cron=cron,
        timeout=timeout,
        kind=kind,
        backend=backend,
        servers=servers,
    )


def schedules(
    registry: Registry, *, model: str | None = None, servers: Iterable[JupyterServer] | None = None
) -> ScheduleList:
    """The schedules (of `model`): parameters, interval, next run, where each is installed
    and whether its crontab entry or job definition (on `servers`) is still there, and the
    newest job. `model`: a model's name (refused unless the registry holds it)."""
    if model is not None:
        with registry.db.read() as conn:
            listed_model(conn, model, listed="schedules")
    return automation.schedules(registry, model=model, servers=servers)


def unschedule(
    registry: Registry, *, schedule: int, servers: Iterable[JupyterServer] | None = None
) -> Schedule:
    """Remove a schedule's crontab entry or job definition (on `servers`); the registry
    keeps its row, marked removed."""
    return automation.unschedule(registry, schedule=schedule, servers=servers)


def run_schedule(
    registry: Registry,
    *,
    schedule: int,
    evidence: Mapping[str, str] | None = None,
    servers: Iterable[JupyterServer] | None = None,
) -> ScheduleRun:
    """Start a schedule's run now, as the place that keeps it would: through
    jupyter-scheduler (on `servers`) for a schedule kept there, so its job list shows it
    too, else its crontab entry's command (a job recorded, its log appended, skipped while
    the previous run goes on); what was started. `evidence`: where the run was asked from,
    kept with its job."""
    return run_now(registry, schedule=schedule, evidence=evidence, servers=servers)
