"""jupyter-scheduler's job definitions on a running Jupyter server, reached only through
its REST API (`/scheduler/job_definitions`), never through its database.

Why the REST API: the server's task runner learns of a definition only when the
server's own `Scheduler` creates, changes or deletes it; one written into its database
from another process would not run until the server restarts, and one deleted there
would still be run from the runner's cache.

What a definition of ours runs: a notebook (made here, copied by jupyter-scheduler into its
staging area) whose cell runs the schedule's command, the same `jupyter-mlops --home HOME
monitor NOTEBOOK -p ... --schedule ID --timeout T` line cron runs (a shared registry: `--home
URL --data-path DIR`, so the server's own registry never decides it, and for a bucket the
$MLOPS_HOME of this machine's folder of it, so the server's own never decides where it locks),
and fails with the runner's exit code when it is not 0. So every run is a job the registry
records (status, exit code, executed notebook, checks, overlap lock, missed runs) as a cron
run is, and jupyter-scheduler's own job list shows it completed or failed. A run started
now (`run`) is a job made from the definition, as jupyter-scheduler's *Run job* makes one;
where it was asked from reaches the runner as the notebook's one parameter, `evidence`.
Nothing has to be configured in the server: any server with jupyter-scheduler enabled runs it.

Which definition is a schedule's: the one carrying the schedule's tag (`jupyter-mlops
schedule ID HOME`, or a shared registry's URL without its password in place of HOME: the tag
of its crontab entry), found by listing them, never by the id kept in the registry. A copied
registry (another home) thus neither lists nor deletes the definitions of the registry it
was copied from.

This module sends HTTP requests with the standard library. The servers asked are the ones
a caller names, or (None) the running servers of this user (`jupyter_servers`), the one
this process runs under first; the first of them with jupyter-scheduler is used.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from jupyter_mlops.automation.jupyter_servers import JupyterServer, running_servers
from jupyter_mlops.config import EVIDENCE_VARIABLE, JOB_VARIABLE
from jupyter_mlops.errors import Command, MlopsError, Option, UnavailableError

BACKEND = "jupyter-scheduler"
DEFINED, PAUSED, NOT_DEFINED, NO_SERVER = "defined", "paused", "not defined", "no server running"
TAG = "jupyter-mlops"
TIMEOUT = 10.0  # seconds a request to the server may take


def has_scheduler(server: JupyterServer) -> bool:
    """Whether jupyter-scheduler answers on `server` (a server that does not answer: no)."""
    try:
        _call(server, "GET", "scheduler/config")
    except MlopsError:
        return False
    return True


def serving(servers: Iterable[JupyterServer] | None) -> JupyterServer | None:
    """The first of `servers` (None: the running servers of this user) with jupyter-scheduler
    enabled, if any."""
    found = running_servers() if servers is None else servers
    return next((server for server in found if has_scheduler(server)), None)


def chosen(servers: Iterable[JupyterServer] | None, *, required: bool) -> JupyterServer | None:
    """The first of `servers` with jupyter-scheduler; when none has it, None, or (when
    `required`) refused in one sentence."""
    server = serving(servers)
    if server is None and required:
        raise UnavailableError(
            "no running Jupyter server of this user has jupyter-scheduler enabled; start "
            "JupyterLab with jupyter-scheduler installed, or give ",
            Option("backend", "'cron'", "cron"),
            ".",
        )
    return server


def for_removal(schedule_id: int, servers: Iterable[JupyterServer] | None) -> JupyterServer:
    """The server whose jupyter-scheduler can delete schedule `schedule_id`'s definition;
    refused in one sentence, before anything changes, when none runs."""
    server = serving(servers)
    if server is None:
        raise UnavailableError(
            f"cannot remove schedule {schedule_id}: it is a job definition of jupyter-scheduler "
            "and no Jupyter server of yours with jupyter-scheduler runs to delete it; start "
            "JupyterLab with jupyter-scheduler installed and remove it again with ",
            Command("schedule", f"--remove {schedule_id}",
                    python=f"operations.unschedule(registry, schedule={schedule_id})"),
            ".",
        )  # fmt: skip
    return server


def define(
    server: JupyterServer,
    *,
    tag: str,
    schedule_id: int,
    model: str | None,
    cron: str,
    command: str,
) -> str:
    """Create the definition tagged `tag` that runs `command` at `cron` (this machine's
    local time, as cron reads it); its id."""
    name = f"jupyter-mlops schedule {schedule_id}" + (f" ({model})" if model else "")
    filename = f"jupyter-mlops-schedule-{schedule_id}.ipynb"
    staged = Path(server.root_dir) / f".{filename}"  # under the root: where it reads inputs
    staged.write_text(json.dumps(_notebook(schedule_id, command)), encoding="utf-8")
    try:
        answer = _call(server, "POST", "scheduler/job_definitions", body={
            "input_uri": staged.name,
            "input_filename": filename,
            "runtime_environment_name": _environment(server),
            "output_formats": ["ipynb"],
            "name": name,
            "schedule": cron,
            "timezone": local_zone(),
            "tags": [TAG, tag],
        })  # fmt: skip
    finally:
        staged.unlink(missing_ok=True)  # jupyter-scheduler keeps its own copy
    return str(answer["job_definition_id"])


def states(tags: Iterable[str], servers: Iterable[JupyterServer] | None) -> dict[str, str]:
    """The state of each tag's definition on the first server with jupyter-scheduler:
    defined, paused, or not defined; all `NO_SERVER` when none runs."""
    tags = list(tags)
    server = serving(servers) if tags else None
    if server is None:
        return dict.fromkeys(tags, NO_SERVER)
    found = _tagged(server)
    return {
        tag: NOT_DEFINED if tag not in found else DEFINED if found[tag]["active"] else PAUSED
        for tag in tags
    }


def delete(server: JupyterServer, tag: str) -> bool:
    """Delete the definition tagged `tag` (and jupyter-scheduler's jobs of it); whether
    there was one."""
    found = _tagged(server).get(tag)
    if found is None:
        return False
    _call(server, "DELETE", f"scheduler/job_definitions/{found['job_definition_id']}")
    return True


def run(server: JupyterServer, tag: str, *, evidence: dict[str, str]) -> str | None:
    """Start the definition tagged `tag` now through jupyter-scheduler (what its *Run job*
    does), its run's job recording `evidence`; jupyter-scheduler's job id, None when no
    definition has the tag."""
    found = _tagged(server).get(tag)
    if found is None:
        return None
    path = f"scheduler/job_definitions/{found['job_definition_id']}/jobs"
    # a parameter's value is Python source there: the cell it adds says `evidence = <value>`
    given = {"evidence": repr(json.dumps(evidence))}
    answer = _call(server, "POST", path, body={"parameters": given})
    return str(answer["job_id"])


def job(server: JupyterServer, job_id: str) -> dict[str, Any]:
    """jupyter-scheduler's job `job_id`: its status, status message, times."""
    return dict(_call(server, "GET", f"scheduler/jobs/{job_id}"))


def local_zone() -> str:
    """This machine's time zone by name (`Europe/Paris`), which cron reads its entries in;
    `UTC` when it has none by name."""
    given = os.environ.get("TZ", "").lstrip(":")
    if ("/" in given) or given == "UTC":
        return given
    localtime = Path("/etc/localtime")
    if localtime.is_symlink() and "zoneinfo/" in str(localtime.resolve()):
        return str(localtime.resolve()).split("zoneinfo/", 1)[1]
    return "UTC"


def _tagged(server: JupyterServer) -> dict[str, dict[str, Any]]:
    """The definitions on `server` that schedules made, by their schedule's tag, read page
    by page (`tags` filters by substring there, so each tag is compared here in full)."""
    found: dict[str, dict[str, Any]] = {}
    query: dict[str, Any] = {"tags": TAG, "max_items": 1000}
    while True:
        page = _call(server, "GET", "scheduler/job_definitions", **query)
        for item in page.get("job_definitions", []):
            found |= {tag: item for tag in item.get("tags") or [] if tag != TAG}
        if not page.get("next_token"):
            return found
        query["next_token"] = page["next_token"]


def _environment(server: JupyterServer) -> str:
    """The server's first runtime environment (it runs the wrapper's kernel), by name."""
    found = _call(server, "GET", "scheduler/runtime_environments")
    return str(found[0]["name"]) if found else "python3"


def _notebook(schedule_id: int, command: str) -> dict[str, Any]:
    """The definition's notebook: a parameters cell (`evidence`: where a run started now was
    asked from, as JSON), then the cell running the schedule's command."""
    source = (
        "import os, subprocess\n"
        f"command = {command!r}\n"
        f"env = {{k: v for k, v in os.environ.items() if k != {JOB_VARIABLE!r}}}\n"
        'code = subprocess.run(["/bin/sh", "-c", command], '
        f"env={{**env, {EVIDENCE_VARIABLE!r}: evidence}}).returncode\n"
        f'print(f"jupyter-mlops schedule {schedule_id}: the runner exited {{code}}")\n'
        "if code != 0:\n"
        f'    raise RuntimeError(f"jupyter-mlops schedule {schedule_id}: the job ended with '
        'exit code {code}; see its job with jupyter-mlops jobs")\n'
    )
    return {
        "cells": [
            {"cell_type": "code", "execution_count": None, "id": "parameters",
             "metadata": {"tags": ["parameters"]}, "outputs": [], "source": 'evidence = "{}"'},
            {"cell_type": "code", "execution_count": None, "id": "run",
             "metadata": {}, "outputs": [], "source": source},
        ],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                    "language": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }  # fmt: skip


def _call(server: JupyterServer, method: str, path: str, body: Any = None, **query: Any) -> Any:
    """One request to `server`'s API; its JSON answer (None when it has none)."""
    url = server.url + path + (f"?{urllib.parse.urlencode(query)}" if query else "")
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Authorization", f"token {server.token}")
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:
            raw = answer.read()
    except urllib.error.HTTPError as exc:
        said = exc.read().decode(errors="replace")[:300]
        raise UnavailableError(
            f"jupyter-scheduler on {server.url} refused {method} {path} ({exc.code}: "
            f"{_message(said)}); check that jupyter-scheduler is enabled there "
            "(jupyter server extension list)."
        ) from None
    except (urllib.error.URLError, OSError) as exc:
        raise UnavailableError(
            f"the Jupyter server at {server.url} did not answer {method} {path} ({exc}); "
            "start it again, or give --backend cron."
        ) from None
    return json.loads(raw) if raw else None


def _message(said: str) -> str:
    try:
        return str(json.loads(said).get("message") or said)
    except (ValueError, AttributeError):
        return said
