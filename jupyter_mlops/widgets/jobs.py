"""The Jobs tab: a model's jobs, newest first (when, what kind, how long, the result in
the health badges' colours, why, the executed notebook), and its schedules (every, next
run, where each is installed and whether it is still there: a crontab entry, or a job
definition of jupyter-scheduler asked of the running Jupyter servers); "Open" writes a
job's executed notebook out to a file and links it.

A job's result is coloured as health is: passed as ok, skipped and missed as drifting (a
run that did not happen), timeout and stopped as degraded, alert, failed and crashed as
alerting, and a job still running as never checked; a retraining whose gate kept the
champion is neutral (nothing went wrong, nothing changed)."""

from __future__ import annotations

import html
import os
from dataclasses import dataclass
from typing import Any

import ipywidgets as widgets

from jupyter_mlops import operations
from jupyter_mlops.automation.records import Job, JobList
from jupyter_mlops.automation.schedule_records import ScheduleList
from jupyter_mlops.registry import Registry
from jupyter_mlops.registry.display import Markup, cell, counted, html_table
from jupyter_mlops.widgets.panel import Panel

JOBS = 50  # newest jobs shown
HEALTH_OF = {
    "passed": "ok", "skipped": "drifting", "missed": "drifting", "timeout": "degraded",
    "alert": "alerting", "failed": "alerting", "crashed": "alerting", "running": "never-checked",
    "stopped": "degraded", "kept": "neutral",
}  # fmt: skip
JOB_COLUMNS = ["id", "started (UTC)", "kind", "took (s)", "result", "message", "executed notebook"]
SCHEDULE_COLUMNS = [
    "id", "notebook", "parameters", "every", "next run (UTC)", "installed", "last job",
]  # fmt: skip


def badge(status: str) -> str:
    """A job's result as a badge coloured as the health it is like (style.py)."""
    css = f"jp-mlops-health-{HEALTH_OF.get(status, 'never-checked')}"
    return f'<span class="jp-mlops-badge {css}" data-status="{html.escape(status)}">{status}</span>'


@dataclass
class Found:
    jobs: JobList
    schedules: ScheduleList

    def to_dict(self) -> dict[str, Any]:
        return {"jobs": self.jobs.to_dict(), "schedules": self.schedules.to_dict()}

    def _repr_html_(self) -> str:
        return jobs_html(self.jobs) + schedules_html(self.schedules)


class JobsTab(Panel):
    """`open_notebook(job)` writes a job's executed notebook out and links it in the table."""

    def __init__(self, registry: Registry, model: str) -> None:
        self.model = model
        self.title = f"{model}: jobs"
        super().__init__(registry)
        self.jobs = widgets.HTML()
        self.job = widgets.Dropdown(description="job")
        self.open_button = widgets.Button(description="Open notebook", icon="external-link")
        self.open_button.on_click(lambda _: self.open_notebook(self.job.value))
        self.opened = widgets.HTML()
        self.schedules = widgets.HTML()
        self.body.children = [
            widgets.HTML("<b>jobs, newest first</b>"), self.jobs,
            widgets.HBox([self.job, self.open_button]), self.opened,
            widgets.HTML("<b>schedules</b>"), self.schedules,
        ]  # fmt: skip

    def read(self) -> Found:
        found = Found(
            operations.jobs(self.registry, model=self.model, limit=JOBS),
            operations.schedules(self.registry, model=self.model),
        )
        if not found.jobs and not found.schedules:
            # nothing of the model at all: an unknown name is said as the other tabs say it
            operations.versions(self.registry, model=self.model)
        return found

    def show(self, found: Found) -> None:
        self.jobs.value = jobs_html(found.jobs)
        self.schedules.value = schedules_html(found.schedules)
        stored = [(f"job {job.id} ({job.status})", job.id) for job in found.jobs if job.stored]
        self.job.options = stored
        self.job.layout.display = self.open_button.layout.display = "" if stored else "none"

    def done_text(self, found: Found) -> str:
        if not found.jobs and not found.schedules:
            return (
                f"no jobs or schedules of {self.model} yet; schedule its monitoring with "
                f"%mlops schedule examples/monitoring.ipynb --every 1h -p model "
                f"{self.model}@champion"
            )
        said = [counted(len(found.jobs), "job"), counted(len(found.schedules), "schedule")]
        return f"{' and '.join(said)} of {self.model}"

    def open_notebook(self, job: int | None) -> Any:
        """Write job `job`'s executed notebook to a file and link it."""
        if job is None:
            return None

        def write() -> Any:
            return operations.job_notebook(self.registry, job=job)

        def then(path: Any) -> None:
            self.opened.value = f"<p>job {job}'s executed notebook: {link(str(path))}</p>"

        return self.act(f"writing job {job}'s notebook", write, then)


def jobs_html(jobs: JobList) -> str:
    if not jobs:
        return "<p>no jobs yet</p>"
    rows = [_job_row(job) for job in jobs]
    return html_table(JOB_COLUMNS, rows)


def schedules_html(schedules: ScheduleList) -> str:
    if not schedules:
        return "<p>no schedules</p>"
    rows = [
        [s.id, os.path.basename(s.notebook), cell(s.parameters), s.every, s.next_run,
         s.installed, s.last]
        for s in schedules
    ]  # fmt: skip
    return html_table(SCHEDULE_COLUMNS, rows)


def _job_row(job: Job) -> list[Any]:
    took = None if job.took is None else round(job.took, 1)
    if job.opened:
        notebook: Any = Markup(link(job.opened))
    else:
        notebook = "" if not job.stored else f"Open notebook, or %mlops jobs --open {job.id}"
    return [job.id, job.started_at, job.kind, took, Markup(badge(job.status)),
            job.message or "", notebook]  # fmt: skip


def link(path: str) -> str:
    """A link JupyterLab opens from the notebook's output: relative to the kernel's
    directory (the notebook's); the full path shown."""
    try:
        href = os.path.relpath(path)
    except ValueError:
        href = path
    return f'<a href="{html.escape(href)}" target="_blank">{html.escape(path)}</a>'
