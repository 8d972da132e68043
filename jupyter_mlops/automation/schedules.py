"""Schedules: a monitoring notebook that cron (or a Jupyter server's jupyter-scheduler)
runs with its parameters, recorded in the registry and listed with what is true of it now.

A schedule's row and its crontab entry come and go together. `schedule` checks the
notebook and parameters as the runner will (the same function), refuses a second schedule
of the same notebook and parameters, then writes the row and installs the entry inside
one registry write: an install that fails (no crontab program, the line not there when
read back) rolls the row back, and an entry whose row then fails to commit is taken out
again. `unschedule` removes the entry, then marks the row removed in the same write (a
removal whose row fails to commit leaves the schedule listed 'not installed', and removing
it again finishes it). An entry is this registry's when its tag names this registry as it
is now (its home; a shared registry's URL, whatever folder this machine mounts its data
at), so a copied registry neither lists nor removes the original's entries. An entry a
user deleted or commented out by hand is listed as such; nothing puts it back.

The entry runs `jupyter-mlops --home HOME monitor NOTEBOOK -p KEY VALUE ... --schedule ID
--timeout T`, the runner a person types, by this environment's absolute path, appending
its output to `jobs/schedule-ID.log` under the registry home (a shared registry: `--home
URL --data-path DIR`, its data path; cron's environment names no registry), and, where that is
a bucket, `/usr/bin/env MLOPS_HOME=...` first: this machine's folder of it, whose overlap lock
a run started from a shell takes too.

With backend 'jupyter-scheduler' (or 'auto' when a running server has it) the same command
is a job definition of that server's jupyter-scheduler instead (`job_definitions`), made
and deleted inside the registry write as the crontab entry is, after the same checks and
the same refusal of a second schedule. The definition carries the entry's tag, so a copied
registry neither lists nor deletes the original's definitions either; `backend_id` keeps
the definition's id. The servers asked are the running servers of this user (the one this
process runs under first) unless a caller names them (`servers`).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterable, Mapping
from contextlib import suppress
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

from jupyter_mlops.automation import cadence, crontabs, job_definitions
from jupyter_mlops.automation.jobs import checked
from jupyter_mlops.automation.jupyter_servers import JupyterServer
from jupyter_mlops.automation.schedule_records import REMOVED, Schedule, ScheduleList
from jupyter_mlops.clock import utc_now
from jupyter_mlops.config import machine
from jupyter_mlops.errors import (
    Command,
    ConflictError,
    InvalidArgumentError,
    MlopsError,
    Option,
    ScheduleNotFoundError,
)
from jupyter_mlops.registry import Registry, locations
from jupyter_mlops.registry.capture import current_user
from jupyter_mlops.registry.locations import has_password, identity, options, registry_key
from jupyter_mlops.store import schedules as sql

KINDS = ("monitor",)
BACKENDS = ("auto", "cron", job_definitions.BACKEND)
JOBS_DIR = "jobs"
ENV = "/usr/bin/env"  # what sets a schedule's command's `machine_variables`


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
    """Record a schedule and install it: as a job definition of jupyter-scheduler on the
    first of `servers` that has it (`backend` 'jupyter-scheduler', or 'auto' when one
    has it; `servers` None: this user's running servers), else as a crontab entry; the
    schedule, with its next run."""
    record = _record(registry, notebook=notebook, parameters=parameters, every=every, cron=cron,
                     kind=kind)  # fmt: skip
    timeout_seconds = record["every_seconds"] if timeout is None else timeout
    record["timeout_seconds"] = cadence.seconds(timeout_seconds, what="timeout")
    server = _server(backend, servers)
    if server is None:
        crontabs.require_program(doing="install the schedule")  # nothing recorded without one
    record["backend"] = "cron" if server is None else job_definitions.BACKEND
    record["host"] = machine() if server is None else None
    (registry.home / JOBS_DIR).mkdir(exist_ok=True)
    installed: Callable[[], Any] | None = None
    keys = tag_keys(registry)
    try:
        with registry.db.write() as conn:
            _refuse_twice(sql.schedules_of(conn, model=None), record)
            schedule_id = sql.insert_schedule(conn, record)
            tag = tags_of(schedule_id, keys)[0]
            command = crontabs.command_line(
                runner_words(registry, record, schedule_id=schedule_id),
                log=log_file(registry, schedule_id),
            )
            if server is None:
                crontabs.install(tag, cron=record["cron"], command=command)
                installed, backend_id = partial(crontabs.uninstall, tag), tag
            else:
                backend_id = job_definitions.define(
                    server, tag=tag, schedule_id=schedule_id, model=record["model"],
                    cron=record["cron"], command=command,
                )  # fmt: skip
                installed = partial(job_definitions.delete, server, tag)
            sql.set_installed(conn, schedule_id, command=command, backend_id=backend_id)
    except BaseException:
        if installed is not None:
            with suppress(MlopsError):
                installed()
        raise
    made = _listed(registry, model=None, only=schedule_id, servers=[server] if server else ())[0]
    return made if server else replace(made, note=_daemon_note() or made.note)


def schedules(
    registry: Registry, *, model: str | None = None, servers: Iterable[JupyterServer] | None = None
) -> ScheduleList:
    """The schedules not removed (of `model`), each with its crontab entry's or job
    definition's state (read from the first of `servers` with jupyter-scheduler, None:
    this user's running servers), next run
    and newest job; a note when no cron daemon runs to run the installed crontab entries."""
    found = _listed(registry, model=model, servers=servers)
    installed = any(each.state == crontabs.INSTALLED for each in found)
    return ScheduleList(found, note=_daemon_note() if installed else "")


def unschedule(
    registry: Registry, *, schedule: int, servers: Iterable[JupyterServer] | None = None
) -> Schedule:
    """Remove a schedule's crontab entry or job definition (on the first of `servers` with
    jupyter-scheduler, None: this user's running servers) and mark it removed (its row and
    jobs stay); a definition with no such server to delete it is refused, nothing changed."""
    tags = tags_of(schedule, tag_keys(registry))  # this registry's, never a copy's
    with registry.db.write() as conn:
        row = sql.find_schedule(conn, schedule)
        if row is None or row["removed_at"] is not None:
            active = [found["id"] for found in sql.schedules_of(conn, model=None)]
            raise not_found(schedule, row, active)
        _require_here(row)
        if row["backend"] == job_definitions.BACKEND:
            server = job_definitions.for_removal(schedule, servers)
            was_there = any([job_definitions.delete(server, tag) for tag in tags])
            note = "" if was_there else _gone(has_crontab=True, what="job definition")
        else:
            has_crontab = shutil.which("crontab") is not None
            was_there = has_crontab and any([crontabs.uninstall(tag) for tag in tags])
            note = "" if was_there else _gone(has_crontab=has_crontab)
        removed_at = utc_now()
        sql.mark_removed(conn, schedule, at=removed_at)
    row = {**row, "removed_at": removed_at}
    return Schedule.from_row(
        row, log_file=str(log_file(registry, schedule)), state=REMOVED, note=note
    )


def tag_keys(registry: Registry) -> tuple[str, ...]:
    """What a schedule's crontab line or job definition is tagged with (`tags_of`): the
    registry's `registry_key`, then, for a shared registry, its URL as given here, which older
    versions tagged it with and which is looked for too."""
    made, older = registry_key(registry), identity(registry)
    return (made,) if older == made else (made, older)


def tags_of(schedule_id: int, keys: tuple[str, ...]) -> list[str]:
    """A schedule's tags: the one it is made with, then the older one."""
    return [crontabs.tag_of(schedule_id, each) for each in keys]


def log_file(registry: Registry, schedule_id: int) -> Path:
    """Where a schedule's runs append their output and errors."""
    return registry.home / JOBS_DIR / f"schedule-{schedule_id}.log"


def _listed(
    registry: Registry,
    *,
    model: str | None,
    only: int | None = None,
    servers: Iterable[JupyterServer] | None = None,
) -> list[Schedule]:
    with registry.db.read() as conn:
        rows = sql.schedules_of(conn, model=model)
        rows = [row for row in rows if only is None or row["id"] == only]
        last = sql.last_jobs(conn, [row["id"] for row in rows])
    # an entry (or definition) is this registry's only when tagged with its key (directory,
    # catalog id and place): a copy of the registry lists the copied schedules 'not installed' ('not
    # defined') and never touches the original's
    keys = tag_keys(registry)
    tags = {row["id"]: tags_of(row["id"], keys) for row in rows}
    defined = [tag for row in rows if row["backend"] == job_definitions.BACKEND
               for tag in tags[row["id"]]]  # fmt: skip
    elsewhere = {tag: _on(row["host"]) for row in rows if not _here(row) for tag in tags[row["id"]]}
    kept_elsewhere = {*defined, *elsewhere}
    in_cron = [tag for each in tags.values() for tag in each if tag not in kept_elsewhere]
    states = crontabs.states(in_cron) if in_cron else {}
    states |= job_definitions.states(defined, servers) | elsewhere
    state = {number: _state(each, states) for number, each in tags.items()}
    running = (crontabs.INSTALLED, job_definitions.DEFINED, *elsewhere.values())
    return [
        Schedule.from_row(
            row,
            log_file=str(log_file(registry, row["id"])),
            state=state[row["id"]],
            next_run=cadence.next_run(row["cron"]) if state[row["id"]] in running else None,
            last_job=last.get(row["id"]),
        )
        for row in rows
    ]


def _state(tags: list[str], states: Mapping[str, str]) -> str:
    """The state of the line (definition) a schedule has under any of its `tags`."""
    absent = (crontabs.NOT_INSTALLED, job_definitions.NOT_DEFINED)
    return next((states[tag] for tag in tags if states[tag] not in absent), states[tags[0]])


def _here(row: Mapping[str, Any]) -> bool:
    """Whether a schedule's entry, if any, is in this machine's crontab (a jupyter-scheduler
    definition, or a schedule recorded before hosts were, counts as here)."""
    return row["backend"] != "cron" or row.get("host") in (None, machine())


def _on(host: str) -> str:
    """The state of a crontab entry on another machine: not read from here."""
    return f"on {host} (its crontab is not read from here)"


def _require_here(row: Mapping[str, Any]) -> None:
    """Refuse to remove a schedule whose crontab entry is another machine's: it would be
    marked removed here while cron still runs it there."""
    if not _here(row):
        number = row["id"]
        raise ConflictError(  # as undeploying another machine's server is refused
            f"schedule {number}'s crontab entry is on {row['host']}, not on {machine()}, "
            f"so it cannot be taken out from here; on {row['host']}, run ",
            Command("schedule", f"--remove {number}",
                    python=f"operations.unschedule(registry, schedule={number})"),
            ".",
        )  # fmt: skip


def _gone(*, has_crontab: bool, what: str = "crontab entry") -> str:
    """Why a removed schedule had no crontab entry (or job definition) to take out."""
    if not has_crontab:
        return "this machine has no crontab program, so there was no crontab entry to take out"
    return (
        f"its {what} was already gone (deleted by hand, or this registry is a copy "
        f"and the {what} was the original's, which stays)"
    )


def _daemon_note() -> str:
    """What to know when this machine runs no cron daemon ('' when one runs, or where that
    cannot be told)."""
    return crontabs.NO_DAEMON if crontabs.cron_running() is False else ""


def _refuse_twice(active: list[dict[str, Any]], record: dict[str, Any]) -> None:
    """Refuse a schedule of the notebook and parameters of one already scheduled: one cron
    turn would run both."""
    wanted = (record["kind"], record["notebook"], json.loads(record["parameters"]))
    for row in active:
        if (row["kind"], row["notebook"], json.loads(row["parameters"])) == wanted:
            number = row["id"]
            raise ConflictError(
                f"notebook {record['notebook']!r} with these parameters is already scheduled "
                f"as schedule {number}; remove it first with ",
                Command("schedule", f"--remove {number}",
                        python=f"operations.unschedule(registry, schedule={number})"),
                ", or change its parameters.",
            )  # fmt: skip


def _record(
    registry: Registry,
    *,
    notebook: str | Path,
    parameters: Mapping[str, Any],
    every: str | None,
    cron: str | None,
    kind: str,
) -> dict[str, Any]:
    """The schedule's row but for its command, every value checked: the notebook and the
    parameters as the runner checks them (`jobs.checked`), a `model` one naming a version."""
    if kind not in KINDS:
        raise InvalidArgumentError(
            f"kind {kind!r} cannot be scheduled; schedule a monitoring notebook (",
            Option("kind", "'monitor'", "monitor"),
            ").",
        )
    if (every is None) == (cron is None):
        raise InvalidArgumentError(
            "a schedule needs how often it runs, given once; give ",
            Option("every", "'1h'", "1h"),
            " or ",
            Option("cron", "'0 * * * *'", '"0 * * * *"'),
            ", not both.",
        )
    if has_password(registry):
        raise InvalidArgumentError(
            f"the registry URL {registry.shown!r} holds a password, which the schedule's command "
            "would carry into the crontab and into the registry, where every reader sees it; "
            "put the password in ~/.pgpass (cron's runs read it too) and use the URL without it."
        )
    expression = cadence.every_cron(every) if every is not None else str(cron).strip()
    values = _parameters(parameters)
    given = checked(registry, notebook, values, kind=kind, timeout=None, schedule=None)
    crontabs.one_line(str(given.notebook), what="the notebook path")
    if "model" in values:
        registry.get(values["model"])  # a runner of a model that is not there always fails
    return {
        "kind": kind,
        "model": given.model,
        "notebook": str(given.notebook),
        "parameters": json.dumps(values),
        "every_seconds": cadence.cron_gap(expression),
        "cron": expression,
        "backend": "cron",
        "command": "",
        "created_at": utc_now(),
        "created_by": current_user(),
    }


def runner_words(
    registry: Registry, record: dict[str, Any], *, schedule_id: int, kept: Mapping[str, str] = {}
) -> list[str]:
    """The runner's command line: the same `jupyter-mlops monitor` a person would type (with
    the `machine_variables` cron's environment has not, those `kept` holds as it holds them)."""
    pairs = [word for item in json.loads(record["parameters"]).items() for word in ("-p", *item)]
    where = [crontabs.one_line(word, what="the registry's location") for word in options(registry)]
    given = locations.machine_variables(registry)
    setting = [f"{name}={kept.get(name, value)}" for name, value in given.items()]
    return [
        *([ENV, *setting] if setting else []),
        *crontabs.runner(),
        *where,
        *(record["kind"], record["notebook"], *pairs),
        *("--schedule", str(schedule_id), "--timeout", cadence.spoken(record["timeout_seconds"])),
    ]


def _parameters(parameters: Mapping[str, Any]) -> dict[str, str]:
    """Parameters as the notebook's variable names and their values as text, one line each."""
    values: dict[str, str] = {}
    for key, value in dict(parameters).items():
        if not isinstance(key, str) or not key.isidentifier():
            raise InvalidArgumentError(
                f"parameter {key!r} is not a variable name of the notebook; name it as its "
                "parameters cell does, e.g. model."
            )
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise InvalidArgumentError(
                f"parameter {key}={value!r} is not text or a number; give it as text, e.g. "
                f"{key}='{value}'."
            )
        values[key] = crontabs.one_line(str(value), what=f"parameter {key}'s value")
    return values


def _server(backend: str, servers: Iterable[JupyterServer] | None) -> JupyterServer | None:
    """Where the schedule goes: None for cron, else the server whose jupyter-scheduler
    defines it."""
    if backend not in BACKENDS:
        raise InvalidArgumentError(
            f"backend {backend!r} is not one of {', '.join(BACKENDS)}; leave it out, or give ",
            Option("backend", "'cron'", "cron"),
            ".",
        )
    if backend == "cron":
        return None
    return job_definitions.chosen(servers, required=backend == job_definitions.BACKEND)


def not_found(schedule_id: int, row: dict[str, Any] | None, active: list[int]) -> MlopsError:
    if row is not None:
        return ScheduleNotFoundError(
            f"schedule {schedule_id} was already removed ({row['removed_at']:%Y-%m-%d %H:%M} "
            "UTC); list those that run with ",
            Command("schedule", "--list", python="operations.schedules(registry)"),
            ".",
        )
    known = ", ".join(map(str, active)) or "none"
    return ScheduleNotFoundError(
        f"no schedule has id {schedule_id!r} (this registry's: {known}); list them with ",
        Command("schedule", "--list", python="operations.schedules(registry)"),
        ".",
    )
