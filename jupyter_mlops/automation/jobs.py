"""A notebook run as a recorded job: the row written 'running' before anything runs and
finished in place, the executed notebook stored beside what it recorded, and a result a
scheduler can act on (`Job.exit_code`).

A job passes only when its notebook ran through and no rule of its model fires: a rule that
fired in a check the notebook recorded, or one still firing at the end from before (a
notebook that checks nothing must not pass while a rule fires), makes it an 'alert'. A
second run of a job that is still going records 'skipped', naming the job that goes, and
runs nothing (`overlap`); a scheduled run first records the runs its schedule missed. A stop
of the runner (Ctrl-C, SIGTERM) during any step finishes the row 'stopped' before the runner
ends. What papermill writes goes to the job's own folder under the registry home
(`workfolders`). What is refused (a notebook that is not one, a parameter papermill cannot
name) is refused before anything is recorded.
"""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jupyter_mlops.automation import arguments, finishing, notebooks, overlap, workfolders
from jupyter_mlops.automation.cadence import seconds
from jupyter_mlops.automation.outcomes import (
    NOTEBOOK_FAILED,
    SKIPPED,
    STOPPED_BY,
    Found,
    Outcome,
    Steps,
    Stopped,
    verdict,
)
from jupyter_mlops.automation.records import Job
from jupyter_mlops.clock import utc_now
from jupyter_mlops.config import JOB_VARIABLE, job_evidence, machine
from jupyter_mlops.deploying.processes import process_start
from jupyter_mlops.errors import InvalidArgumentError, MlopsError
from jupyter_mlops.registry import Registry, team
from jupyter_mlops.registry.capture import current_user
from jupyter_mlops.registry.locations import environment
from jupyter_mlops.store import jobs as sql
from jupyter_mlops.store.schedules import find_schedule

KINDS = ("monitor", "retrain")


@dataclass(frozen=True)
class Given:
    """A job's arguments once checked: what its row records."""

    kind: str
    notebook: Path
    parameters: dict[str, str]
    model: str | None
    timeout: float | None
    schedule: int | None
    parameters_cell: bool

    @property
    def parameters_json(self) -> str:
        return json.dumps(self.parameters, sort_keys=True)


def run_job(
    registry: Registry,
    *,
    notebook: str | os.PathLike[str],
    parameters: Mapping[str, object] | None = None,
    kind: str = "monitor",
    timeout: str | float | None = None,
    schedule: int | None = None,
    steps: Steps | None = None,
) -> Job:
    """Execute `notebook` with `parameters` (text as typed after `-p`, or numbers) as a
    job of `kind`, killed at `timeout` (seconds, or `30s`, `1.5m`, `1h30m`), as a run of
    `schedule` if given; `steps`: what the kind does before and after its notebook (a
    retraining's condition, gate and promotion)."""
    given = checked(registry, notebook, parameters, kind=kind, timeout=timeout, schedule=schedule)
    team.require_writable(registry.db)  # a job is recorded: refused before its lock is made
    name = overlap.lock_name(
        schedule=given.schedule, notebook=str(given.notebook), parameters=given.parameters_json
    )
    what = (
        "the previous run of this "
        + ("schedule" if given.schedule is not None else "notebook with these parameters")
        + " is still going"
    )
    if kind == "retrain" and given.model is not None and given.schedule is None:
        name = f"retrain-{given.model}.lock"  # one retraining of a model at a time
        what = f"another retraining of {given.model} is still running"
    with overlap.held(registry.home, name, shared=registry.shared) as hold:
        if not hold.free:
            return _skipped(registry, given, what=what, holder=hold.holder())
        if given.schedule is not None:
            _record_missed(registry, given)
        return _run(registry, given, steps or Steps(), hold=hold)


@contextmanager
def as_job(job_id: int) -> Iterator[None]:
    """This process as job `job_id`'s while the block runs: what it records carries the id."""
    before = os.environ.get(JOB_VARIABLE)
    os.environ[JOB_VARIABLE] = str(job_id)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(JOB_VARIABLE, None)
        else:
            os.environ[JOB_VARIABLE] = before


def checked(
    registry: Registry,
    notebook: str | os.PathLike[str],
    parameters: Mapping[str, object] | None,
    *,
    kind: str,
    timeout: str | float | None,
    schedule: int | None,
) -> Given:
    """The arguments checked, each refusal one sentence; nothing is recorded here."""
    if kind not in KINDS:
        raise InvalidArgumentError(f"job kind {kind!r} is not one of {', '.join(KINDS)}.")
    path = arguments.notebook_path(notebook)
    texts = arguments.parameter_texts(parameters)
    model = arguments.job_model(registry, texts)
    arguments.job_window(texts)
    if schedule is not None:
        arguments.require_schedule(registry, schedule, run=(kind, str(path), dict(texts)))
    return Given(
        kind,
        path,
        texts,
        model,
        None if timeout is None else seconds(timeout, what="timeout"),
        schedule,
        notebooks.has_parameters_cell(json.loads(path.read_bytes())),
    )


def _row(given: Given, **fields: Any) -> dict[str, Any]:
    """A `jobs` row of this run, made here by this runner."""
    return {
        "kind": given.kind,
        "model": given.model,
        "notebook": str(given.notebook),
        "parameters": given.parameters_json,
        "schedule_id": given.schedule,
        "host": machine(),
        "pid": os.getpid(),
        "created_by": current_user(),
        **fields,
        "detail": json.dumps({**_asked(), **fields.get("detail", {})}),
    }


def _asked() -> dict[str, Any]:
    """Where the run was asked from, when someone asked on a person's behalf (the sidebar's
    Run now): its audit evidence."""
    evidence = job_evidence()
    return {"evidence": evidence} if evidence else {}


def _get(registry: Registry, job_id: int) -> Job:
    with registry.db.read() as conn:
        row = sql.job_row(conn, job_id)
    assert row is not None
    return Job.from_row(row)


def _skipped(
    registry: Registry, given: Given, *, what: str, holder: tuple[int | None, int | None]
) -> Job:
    """A 'skipped' row naming the job that holds the lock (found by its runner's pid while
    the lock names no job yet; the pid alone when its row is not written yet)."""
    pid, holding = holder
    now = utc_now()
    with registry.db.write() as conn:
        going = None if holding is None else sql.job_row(conn, holding)
        if going is None and pid is not None:  # its row written, its id not yet in the lock
            going = sql.running_job_of(conn, pid=pid, host=machine())
        message = overlap.skip_message(what, going, pid)
        detail = {"running_job": holding, "running_pid": pid}
        job_id = sql.insert_job(
            conn,
            _row(given, status="skipped", started_at=now, finished_at=now, seconds=0.0,
                 exit_code=SKIPPED, message=message, detail=detail),
        )  # fmt: skip
    return _get(registry, job_id)


def _record_missed(registry: Registry, given: Given) -> None:
    assert given.schedule is not None
    now = utc_now()
    with registry.db.write() as conn:
        schedule = find_schedule(conn, given.schedule)
        last = sql.last_run_started(conn, given.schedule)
        found = None if schedule is None else overlap.missed(schedule, last=last, now=now)
        if found is not None:
            sql.insert_job(
                conn,
                _row(given, status="missed", started_at=found.since, finished_at=now,
                     message=found.message(), detail=found.detail()),
            )  # fmt: skip


def _run(registry: Registry, given: Given, steps: Steps, *, hold: overlap.Hold) -> Job:
    detail = {
        "runner_start": process_start(os.getpid()),
        "timeout": given.timeout,
        "parameters_cell": given.parameters_cell,
        **_asked(),
    }
    with registry.db.write() as conn:
        job_id = sql.insert_job(
            conn, _row(given, status="running", started_at=utc_now(), detail=detail)
        )
    hold.claim(job_id)
    began = time.monotonic()
    with workfolders.kept(registry, job_id) as folder:
        early, raised = _step(steps.before, job_id)
        if early is not None:
            found = Found(time.monotonic() - began)
            _finish(registry, job_id, given, detail, found, steps=steps, early=early)
            _again(raised, registry, job_id)
            return _get(registry, job_id)
        execution, data = _execute(registry, job_id, given, detail, folder=folder, began=began)
        found = Found.of(execution, data, seconds=time.monotonic() - began, timeout=given.timeout)
        _finish(registry, job_id, given, detail, found, data=data, steps=steps)
    return _get(registry, job_id)


def _execute(
    registry: Registry,
    job_id: int,
    given: Given,
    detail: dict[str, Any],
    *,
    folder: Path,
    began: float,
) -> tuple[notebooks.Execution, bytes | None]:
    """Run the notebook with papermill into `folder`; a stop of the runner finishes the
    row as stopped and is raised again holding the job."""

    def started(group: int) -> None:
        detail["process_group"] = group
        with registry.db.write() as conn:
            sql.update_job(conn, job_id, {"detail": json.dumps(detail)})

    output = folder / given.notebook.name
    try:
        execution = notebooks.execute(
            given.notebook,
            output,
            parameters=given.parameters,
            env=environment(registry) | {JOB_VARIABLE: str(job_id)},
            timeout=given.timeout,
            started=started,
        )
    except KeyboardInterrupt as exc:
        signum = exc.signum if isinstance(exc, Stopped) else signal.SIGINT
        took = time.monotonic() - began
        _finish(registry, job_id, given, detail, Found.stopped(took, signum=signum))
        raise Stopped(signum, job=_get(registry, job_id)) from None
    return execution, notebooks.read_notebook(output)


def _again(raised: BaseException | None, registry: Registry, job_id: int) -> None:
    """Raise again what a step raised, once the row is finished: a stop of the runner
    holding the job, a bug of ours with its traceback; a refusal (`MlopsError`) is the
    job's message, and not raised."""
    if isinstance(raised, KeyboardInterrupt):
        signum = raised.signum if isinstance(raised, Stopped) else signal.SIGINT
        raise Stopped(signum, job=_get(registry, job_id)) from None
    if raised is not None and not isinstance(raised, MlopsError):
        raise raised


def _finish(
    registry: Registry,
    job_id: int,
    given: Given,
    detail: dict[str, Any],
    found: Found,
    *,
    data: bytes | None = None,
    steps: Steps | None = None,
    early: Outcome | None = None,
) -> None:
    """Read what the notebook recorded, store the executed notebook and finish the row;
    the steps after the notebook run first, outside the registry's lock."""
    ended = f"its notebook ended with exit code {found.returncode}"
    checks, fired, firing = finishing.patiently(
        registry, job_id, lambda: _recorded(registry, job_id, given), ended=ended
    )
    outcome = early or verdict(found, fired=fired, firing=firing, model=given.model, checks=checks)
    raised = None
    if steps is not None:
        if early is None:
            outcome, raised = _step(steps.after, job_id, outcome)
        detail = {**detail, **steps.detail}
    with registry.artifacts.in_use():
        digest, unstored = finishing.stored(registry, data)
        said = [outcome.message, *_notes(given, found), *([unstored] if unstored else [])]
        finished = {
            "status": outcome.status,
            "finished_at": utc_now(),
            "seconds": found.seconds,
            "exit_code": outcome.exit_code,
            "message": "; ".join(said),
            "output_sha256": digest,
            "output_bytes": None if digest is None or data is None else len(data),
            "failed_cell": found.failure.cell if found.failure else None,
            "detail": json.dumps(
                {**detail, "checks": checks, "alerts": fired, "firing": firing}, default=str
            ),
        }
        ended = f"{outcome.status}, exit code {outcome.exit_code}"
        finishing.patiently(
            registry, job_id, lambda: _update(registry, job_id, finished), ended=ended
        )
    _again(raised, registry, job_id)  # a stop, or our bug: the row says so


def _recorded(registry: Registry, job_id: int, given: Given) -> tuple[list[int], Any, Any]:
    """The checks job `job_id` recorded, the alerts they fired, its model's rules firing."""
    with registry.db.read() as conn:
        checks = sql.job_checks(conn, job_id)
        return (
            checks,
            sql.fired_in(conn, checks),
            ([] if given.model is None else sql.firing_rules(conn, given.model)),
        )


def _update(registry: Registry, job_id: int, finished: dict[str, Any]) -> None:
    with registry.db.write() as conn:
        sql.update_job(conn, job_id, finished)


def _step(step: Any, job_id: int, *given: Outcome) -> tuple[Any, BaseException | None]:
    """Run a step as the job's; a step that raised ends the job 'failed', with the error
    (raised again once the row is finished, so a bug keeps its traceback), and a stop of
    the runner (Ctrl-C, SIGTERM) during it ends the job 'stopped'."""
    when = "before" if step.__name__ == "before" else "after"
    try:
        with as_job(job_id):
            return step(job_id, *given), None
    except KeyboardInterrupt as exc:
        signum = exc.signum if isinstance(exc, Stopped) else signal.SIGINT
        said = f"stopped by {signal.Signals(signum).name} {when} its notebook ran"
        return Outcome("stopped", STOPPED_BY + signum, said), exc
    except Exception as exc:
        said = str(exc) if isinstance(exc, MlopsError) else f"{type(exc).__name__}: {exc}"
        stopped = f"the job stopped {when} its notebook ran: {said}"
        return Outcome("failed", NOTEBOOK_FAILED, stopped), exc


def _notes(given: Given, found: Found) -> list[str]:
    notes = []
    if given.parameters and not given.parameters_cell:
        notes.append(
            "the notebook has no cell tagged 'parameters', so papermill put the parameters "
            "in a cell of its own at the top"
        )
    return notes
