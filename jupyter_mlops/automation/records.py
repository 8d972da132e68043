"""A job as the registry records it and as users see it: one record, a table, and the
executed notebook written out to open.

A job's `status` is what its row says, but for one case worked out when read: a row still
'running' whose runner this machine proves gone (killed, or died with its machine's power)
is 'crashed', since no one is left to finish it; one running on another machine says so,
since only that machine can tell.
"""

from __future__ import annotations

import html
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from jupyter_mlops.automation import notebooks
from jupyter_mlops.clock import utc_now
from jupyter_mlops.deploying import processes
from jupyter_mlops.errors import Command, Face
from jupyter_mlops.jsonable import fields_of
from jupyter_mlops.registry.display import Markup, html_table, text_table
from jupyter_mlops.registry.records import RecordTable

RUNNING, CRASHED = "running", "crashed"


def open_command(job: int) -> Command:
    """How each face writes a job's stored notebook out to open it."""
    return Command("jobs", f"--open {job}", python=f"operations.job_notebook(registry, job={job})")


@dataclass(frozen=True)
class Job:
    """One run of a notebook as a job: when, how long, its result and why, what its notebook
    recorded (`detail`), and whether the executed notebook is stored (`output_sha256`)."""

    id: int
    kind: str
    model: str | None
    notebook: str
    parameters: dict[str, str]
    schedule_id: int | None
    status: str  # passed, alert, failed, timeout, skipped, missed, running, crashed
    started_at: datetime
    finished_at: datetime | None
    seconds: float | None
    exit_code: int | None
    message: str | None
    output_sha256: str | None
    output_bytes: int | None
    failed_cell: int | None
    host: str
    pid: int
    created_by: str
    detail: dict[str, Any]
    # where the stored notebook was written out to open (by `--open`), if it was
    opened: str | None = None
    face: Face = field(default=Face.PYTHON, repr=False, compare=False, metadata={"json": False})

    @classmethod
    def from_row(cls, row: dict[str, Any], *, opened: Path | None = None) -> Job:
        fields = {k: row[k] for k in cls.__dataclass_fields__ if k in row}
        fields["parameters"] = json.loads(row["parameters"])
        fields["detail"] = detail = json.loads(row["detail"])
        if row["status"] == RUNNING and processes.known_gone(
            row["host"], row["pid"], detail.get("runner_start")
        ):
            fields["status"] = CRASHED
            fields["message"] = _crashed(row, detail)
        elif row["status"] == RUNNING and not processes.on_this_machine(row["host"]):
            fields["message"] = row["message"] or (
                f"running on {row['host']} (pid {row['pid']}) as far as the registry knows; "
                f"whether its runner is still there is told only on {row['host']}"
            )
        fields["opened"] = None if opened is None or not opened.exists() else str(opened)
        return cls(**fields)

    @property
    def took(self) -> float | None:
        """Seconds it ran: until it finished, or until now while it runs."""
        if self.seconds is not None:
            return self.seconds
        return (utc_now() - self.started_at).total_seconds() if self.status == RUNNING else None

    @property
    def stored(self) -> bool:
        """Whether its executed notebook is stored in the registry."""
        return self.output_sha256 is not None

    def to_dict(self) -> dict[str, Any]:
        return fields_of(self) | {"open": self.how_to_open()}

    def how_to_open(self) -> str | None:
        """Where its executed notebook was written, else how to write it; None: none stored."""
        if not self.stored:
            return None
        return self.opened or open_command(self.id).render(self.face)

    def title(self) -> str:
        given = ", ".join(f"{k}={v}" for k, v in self.parameters.items())
        run = f"job {self.id} ({self.kind}) of {self.notebook}" + (f" ({given})" if given else "")
        ended = "" if self.exit_code is None else f", exit {self.exit_code}"
        took = "" if self.took is None else f" after {self.took:.1f} s"
        return f"{run}: {self.status}{ended}{took}"

    def __repr__(self) -> str:
        lines = [self.title(), *([self.message] if self.message else [])]
        opened = self.how_to_open()
        return "\n".join(lines + ([f"executed notebook: {opened}"] if opened else []))

    __str__ = __repr__

    def _repr_html_(self) -> str:
        failed = self.exit_code not in (0, None) or self.status == CRASHED
        rows = [("job", self.title()), ("message", self.message or "")]
        if self.stored:
            rows.append(("executed notebook", _notebook_cell(self)))
        marked = [row[0] == "message" and failed for row in rows]
        return html_table(["", ""], rows, marked=marked)


class JobList(RecordTable[Job]):
    """Jobs, newest first: when, how long, result, message, and their executed notebooks."""

    columns: ClassVar[list[str]] = [
        "id",
        "started (UTC)",
        "took (s)",
        "model",
        "notebook",
        "status",
        "exit",
        "message",
        "executed notebook",
    ]
    empty = "no jobs yet"
    face: Face = Face.PYTHON

    def __init__(
        self, found: Iterable[Job] = (), *, face: Face = Face.PYTHON, empty: str = "no jobs yet"
    ) -> None:
        super().__init__(found)
        self.face = face
        self.none = empty  # what it says when it lists none: of which model, and who has some

    def to_dict(self) -> dict[str, Any]:
        return {"rows": [job.to_dict() for job in self]}

    def _empty(self) -> str:
        return self.none

    def _rows(self) -> list[list[Any]]:
        return [_row(job, job.how_to_open()) for job in self]

    def __str__(self) -> str:
        shown = [_faced(job, self.face) for job in self]
        if not shown:
            return self.none
        return text_table(self.columns, [_row(job, job.how_to_open()) for job in shown])

    __repr__ = __str__

    def _repr_html_(self) -> str:
        if not self:
            return f"<p>{html.escape(self.none)}</p>"
        shown = [_faced(job, self.face) for job in self]
        rows = [_row(job, _notebook_cell(job)) for job in shown]
        marked = [job.exit_code not in (0, None) or job.status == CRASHED for job in shown]
        return html_table(self.columns, rows, marked=marked)


@dataclass(frozen=True)
class JobNotebook:
    """A job's stored notebook, written out to a file to open."""

    job: int
    path: str

    def to_dict(self) -> dict[str, Any]:
        return fields_of(self)

    def __repr__(self) -> str:
        return self.path

    __str__ = __repr__

    def _repr_html_(self) -> str:
        return f"<p>job {self.job}'s executed notebook: {_link(self.path)}</p>"


def _faced(job: Job, face: Face) -> Job:
    from dataclasses import replace

    return job if job.face is face else replace(job, face=face)


def _row(job: Job, notebook: Any) -> list[Any]:
    took = None if job.took is None else round(job.took, 1)
    return [
        job.id,
        job.started_at,
        took,
        job.model,
        Path(job.notebook).name,
        job.status,
        job.exit_code,
        job.message,
        notebook,
    ]


def _notebook_cell(job: Job) -> Any:
    """The HTML cell of a job's executed notebook: a link once written out, else how to."""
    if job.opened:
        return Markup(_link(job.opened))
    return job.how_to_open()


def _link(path: str) -> str:
    """A link a notebook's output opens in JupyterLab: relative to the kernel's directory
    (the notebook's), which JupyterLab resolves from the notebook; the full path shown."""
    try:
        href = os.path.relpath(path)
    except ValueError:
        href = path
    return f'<a href="{html.escape(href)}" target="_blank">{html.escape(path)}</a>'


def _crashed(row: dict[str, Any], detail: dict[str, Any]) -> str:
    group = detail.get("process_group")
    left = ""
    if group and processes.on_this_machine(row["host"]) and notebooks.group_running(group):
        left = f"; its notebook still runs as process group {group}"
    return f"its runner (pid {row['pid']} on {row['host']}) ended without finishing it{left}"
