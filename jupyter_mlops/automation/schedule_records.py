"""A schedule as users see it: one record, and a table.

Beside its row a record carries what is true of it now, read when it is listed: whether
its crontab entry or jupyter-scheduler job definition is still there (`state`: a user may
have deleted or commented it out by hand, or deleted or paused it in jupyter-scheduler),
when it runs next, and the newest job it ran. Times are UTC.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from jupyter_mlops.automation import cadence
from jupyter_mlops.jsonable import fields_of
from jupyter_mlops.registry.display import cell, html_table
from jupyter_mlops.registry.records import RecordTable

REMOVED = "removed"


@dataclass(frozen=True)
class Schedule:
    id: int
    kind: str
    model: str | None
    notebook: str
    parameters: dict[str, str]
    every: str  # `1h` as --every gave it, else the crontab expression --cron gave
    every_seconds: int
    cron: str
    timeout_seconds: float | None
    backend: str
    command: str
    log_file: str
    created_at: datetime
    created_by: str
    removed_at: datetime | None = None
    host: str | None = None  # the machine whose crontab holds its entry (cron)
    # cron: installed | disabled | not installed | no crontab program; jupyter-scheduler:
    # defined | paused | not defined | no server running; either: removed
    state: str = ""
    next_run: datetime | None = None
    last_job: dict[str, Any] | None = None
    note: str = field(default="", compare=False)

    @classmethod
    def from_row(cls, row: dict[str, Any], *, log_file: str, **now: Any) -> Schedule:
        """A schedule's row with what is true of it now (`state`, `next_run`, `last_job`)."""
        fields = {k: row[k] for k in cls.__dataclass_fields__ if k in row}
        fields["parameters"] = json.loads(row["parameters"])
        fields["every"] = _every(row["cron"], row["every_seconds"])
        return cls(**fields, log_file=log_file, **now)

    @property
    def installed(self) -> str:
        """Where it is installed and whether it is still there: `cron: installed`,
        `jupyter-scheduler: defined`."""
        return f"{self.backend}: {self.state}" if self.state != REMOVED else REMOVED

    @property
    def kept_in(self) -> str:
        """What holds it: `crontab entry`, or `jupyter-scheduler job definition`."""
        return "crontab entry" if self.backend == "cron" else f"{self.backend} job definition"

    @property
    def timeout(self) -> str:
        return "" if self.timeout_seconds is None else cadence.spoken(self.timeout_seconds)

    @property
    def last(self) -> str:
        """The newest job in words: `12 passed (2026-05-01 10:00:03)`, or `none yet`."""
        job = self.last_job
        if not job:
            return "none yet"
        return f"{job['id']} {job['status']} ({cell(job['started_at'])})"

    def to_dict(self) -> dict[str, Any]:
        return {**fields_of(self), "timeout": self.timeout}

    def _facts(self) -> list[tuple[str, Any]]:
        return [
            ("notebook", self.notebook),
            ("parameters", self.parameters),
            ("every", self.every if self.every == self.cron else f"{self.every} ({self.cron})"),
            ("timeout", self.timeout),
            (self.kept_in, self.state),
            ("next run (UTC)", self.next_run),
            ("last job", self.last),
            ("log", self.log_file),
            ("created (UTC)", f"{cell(self.created_at)} by {self.created_by}"),
        ]

    def __str__(self) -> str:
        lines = [f"schedule {self.id} ({self.kind})"]
        lines += [f"  {name}: {cell(value)}" for name, value in self._facts() if cell(value)]
        return "\n".join([*lines, *filter(None, [self.note])])

    __repr__ = __str__

    def _repr_html_(self) -> str:
        rows = [[name, value] for name, value in self._facts()]
        note = f"<p>{html.escape(self.note)}</p>" if self.note else ""
        caption = f"schedule {self.id} ({self.kind})"
        return html_table(["", ""], rows, caption=caption) + note


class ScheduleList(RecordTable[Schedule]):
    """Schedules as a table, oldest first."""

    columns: ClassVar[list[str]] = [
        "id",
        "notebook",
        "parameters",
        "every",
        "timeout",
        "next run (UTC)",
        "installed",
        "last job",
    ]
    empty = "no schedules"

    def __init__(self, found: Iterable[Schedule] = (), *, note: str = "") -> None:
        super().__init__(found)
        self.note = note  # what to know of them all: no cron daemon runs them

    def to_dict(self) -> dict[str, Any]:
        return {"schedules": [found.to_dict() for found in self], "note": self.note}

    def __str__(self) -> str:
        return "\n".join(filter(None, [super().__str__(), self.note]))

    __repr__ = __str__

    def _repr_html_(self) -> str:
        note = f"<p>{html.escape(self.note)}</p>" if self.note else ""
        return super()._repr_html_() + note

    def _rows(self) -> list[list[Any]]:
        return [
            [s.id, s.notebook, s.parameters, s.every, s.timeout, s.next_run, s.installed, s.last]
            for s in self
        ]


def _every(cron: str, every_seconds: int) -> str:
    """How the schedule was asked for: `1h` when its cron is what `--every 1h` installs."""
    spoken = cadence.spoken(every_seconds)
    if spoken in cadence.EVERY and cadence.every_cron(spoken) == cron:
        return spoken
    return cron


@dataclass(frozen=True)
class ScheduleRun:
    """A schedule's run started now, outside its times: by whom, how (a process of its own,
    or a job of jupyter-scheduler's on `server`) and where its output goes; the job it
    records shows in the jobs once its runner starts."""

    schedule: int
    model: str | None
    notebook: str
    parameters: dict[str, str]
    command: str
    pid: int | None  # the process started, None when jupyter-scheduler started it
    started_at: datetime
    started_by: str
    log_file: str
    evidence: dict[str, str] = field(default_factory=dict)
    scheduler_job: str | None = None  # jupyter-scheduler's job id, when it started the run
    server: str | None = None  # the Jupyter server whose jupyter-scheduler started it
    not_through: str = ""  # why a jupyter-scheduler schedule's run is a process of its own

    @property
    def note(self) -> str:
        whose = f" of {self.model}" if self.model else ""
        if self.scheduler_job is not None:
            how = f"through jupyter-scheduler on {self.server} as its job {self.scheduler_job}"
            listed = f"the jobs{whose} (and jupyter-scheduler's)"
        else:
            how = f"as process {self.pid}" + (
                f", not through jupyter-scheduler: {self.not_through}" if self.not_through else ""
            )
            listed = f"the jobs{whose}"
        return (
            f"schedule {self.schedule}{whose} started now {how}; its job is listed in {listed} "
            f"once recorded, its output appended to {self.log_file}"
        )

    def to_dict(self) -> dict[str, Any]:
        return {**fields_of(self), "note": self.note}

    def __str__(self) -> str:
        return self.note

    __repr__ = __str__

    def _repr_html_(self) -> str:
        return f"<p>{html.escape(self.note)}</p>"
