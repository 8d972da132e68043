"""Run now: a schedule's run started outside its times, as the place that keeps it runs it.

A schedule kept by cron: its crontab entry's command, started as a process of its own
session (it outlives its starter, so the Jupyter server may start it). A schedule kept by
jupyter-scheduler: a job made from its job definition, through that server's REST API (what
jupyter-scheduler's own *Run job* does), so the run shows in jupyter-scheduler's job list as
well as in the registry's jobs. Where that cannot be (no Jupyter server of this user with
jupyter-scheduler runs, or the definition is not there: deleted in jupyter-scheduler, or
this registry is a copy and the definition is the original's) the command is started as a
process, as for cron, and the run says why.

Either way the same runner records the job (`skipped` while the previous run goes on),
appends to the schedule's log, and keeps `evidence` (where the run was asked from) in the
job's detail. A copied registry runs the command for its own home, never the original's;
a shared registry for its data path as this machine mounts it (and a URL holding a
password, which no command line carries, through the process's environment), with the
$MLOPS_HOME of this machine's folder of it the schedule's command carries where its data
path is a bucket, so the run takes the lock the runs at its times take.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import threading
from collections.abc import Iterable, Mapping
from typing import Any

from jupyter_mlops.automation import crontabs, job_definitions
from jupyter_mlops.automation.jupyter_servers import JupyterServer
from jupyter_mlops.automation.schedule_records import ScheduleRun
from jupyter_mlops.automation.schedules import (
    ENV,
    JOBS_DIR,
    log_file,
    not_found,
    runner_words,
    tag_keys,
    tags_of,
)
from jupyter_mlops.clock import utc_now
from jupyter_mlops.config import EVIDENCE_VARIABLE, JOB_VARIABLE, machine
from jupyter_mlops.registry import Registry
from jupyter_mlops.registry.capture import current_user
from jupyter_mlops.registry.locations import environment
from jupyter_mlops.store import schedules as sql

NO_SERVER = "no Jupyter server of yours with jupyter-scheduler runs"


def run_now(
    registry: Registry,
    *,
    schedule: int,
    evidence: Mapping[str, str] | None = None,
    servers: Iterable[JupyterServer] | None = None,
) -> ScheduleRun:
    """Start schedule `schedule`'s run now: through jupyter-scheduler on the first of
    `servers` (None: this user's running servers) that has its definition when it is kept
    there, else its command as a process of its own, as cron runs it; what was started."""
    with registry.db.read() as conn:
        row = sql.find_schedule(conn, schedule)
        if row is None or row["removed_at"] is not None:
            active = [found["id"] for found in sql.schedules_of(conn, model=None)]
            raise not_found(schedule, row, active)
    given = dict(evidence or {})
    started: dict[str, Any] = {
        "schedule": schedule,
        "model": row["model"],
        "notebook": row["notebook"],
        "parameters": json.loads(row["parameters"]),
        "started_by": current_user(),
        "log_file": str(log_file(registry, schedule)),
        "evidence": given,
    }
    not_through = ""
    if row["backend"] == job_definitions.BACKEND:
        server = job_definitions.serving(servers)
        job = None
        if server is not None:  # the definition tagged as this registry's, never a copy's
            tags = tags_of(schedule, tag_keys(registry))
            runs = (job_definitions.run(server, tag, evidence=given) for tag in tags)
            job = next(filter(None, runs), None)
        if server is not None and job is not None:
            return ScheduleRun(**started, command=row["command"], pid=None, started_at=utc_now(),
                               scheduler_job=job, server=server.url)  # fmt: skip
        not_through = NO_SERVER if server is None else (
            f"its job definition is not in jupyter-scheduler on {server.url} (deleted "
            "there, or this registry is a copy)"
        )  # fmt: skip
    command = _command(registry, row)
    pid = _started(registry, command, evidence=given, schedule=schedule)
    return ScheduleRun(**started, command=command, pid=pid, started_at=utc_now(),
                       not_through=not_through)  # fmt: skip


def _command(registry: Registry, row: dict[str, Any]) -> str:
    """The schedule's command line as this machine runs it for this registry, made again
    from its row: the command the row keeps is the one of the registry and machine that
    made it (a copied registry's row holds the original's home; a shared registry's, the
    paths of another machine, perhaps). Its `machine_variables` are the ones the schedule
    was made with on this machine: a run started now locks where the runs at its times
    lock, whatever $MLOPS_HOME this process has."""
    kept = _made_with(row) if row.get("host") in (None, machine()) else {}
    words = runner_words(registry, row, schedule_id=row["id"], kept=kept)
    return crontabs.command_line(words, log=log_file(registry, row["id"]))


def _made_with(row: dict[str, Any]) -> dict[str, str]:
    """The variables a schedule's command sets (`/usr/bin/env NAME=VALUE ... jupyter-mlops`)."""
    words = crontabs.words_of(row["command"])
    if words[:1] != [ENV]:
        return {}
    pairs = [word.partition("=") for word in itertools.takewhile(_setting, words[1:])]
    return {name: value for name, _, value in pairs}


def _setting(word: str) -> bool:
    name, equals, _ = word.partition("=")
    return bool(equals) and name.isidentifier()


def _started(registry: Registry, command: str, *, evidence: dict[str, str], schedule: int) -> int:
    """Start `command` in a session of its own; its pid."""
    env = environment(registry) | {EVIDENCE_VARIABLE: json.dumps(evidence)}
    env.pop(JOB_VARIABLE, None)  # the run is a job of its own, never part of the caller's
    (registry.home / JOBS_DIR).mkdir(exist_ok=True)
    process = subprocess.Popen(
        ["/bin/sh", "-c", command],
        cwd=registry.home, env=env, start_new_session=True,
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    # reaped when it ends, so a long-lived starter (the Jupyter server) keeps no zombie
    threading.Thread(target=process.wait, name=f"mlops-run-{schedule}", daemon=True).start()
    return process.pid
