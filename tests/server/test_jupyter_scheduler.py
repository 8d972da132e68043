"""Schedules kept by jupyter-scheduler on a real Jupyter server that has both extensions:
made with `backend="auto"` on the running server found by its runtime file (what could
never run, and a second schedule of the same run, refused before any definition is made),
listed with their definition's state by the operations and by the sidebar's route, a
copied registry leaving the original's definition alone, Run now through the route started
as a job of jupyter-scheduler's and recorded as our job with its exit code, a removal with
no server to delete the definition refused with nothing changed, and removed (the
definition gone from jupyter-scheduler too)."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import jupyter_scheduler  # noqa: F401  # in the test extra: a missing one fails, never skips
import nbformat
import pytest

from jupyter_mlops import operations
from jupyter_mlops.automation import job_definitions
from jupyter_mlops.automation.jupyter_servers import JupyterServer
from jupyter_mlops.errors import ConflictError, ModelNotFoundError
from jupyter_mlops.registry import Registry
from tests.automation.conftest import KERNEL


@pytest.fixture
def jp_server_config(jp_server_config: Any, tmp_path: Path) -> Any:
    return {
        **jp_server_config,
        "ServerApp": {"jpserver_extensions": {"jupyter_mlops.server": True,
                                              "jupyter_scheduler": True}},
        "SchedulerApp": {"db_url": f"sqlite:///{tmp_path / 'scheduler.sqlite'}"},
        "Scheduler": {"staging_path": str(tmp_path / "staging")},
    }  # fmt: skip


@pytest.fixture
def server(jp_serverapp: Any) -> JupyterServer:
    return JupyterServer(
        url=jp_serverapp.connection_url,
        token=jp_serverapp.identity_provider.token,
        root_dir=jp_serverapp.root_dir,
    )


def failing_notebook(folder: Path) -> Path:
    """A monitoring notebook of churn@champion whose second cell raises."""
    made = nbformat.v4.new_notebook(metadata={"kernelspec": KERNEL})
    made.cells = [nbformat.v4.new_code_cell('model = "x"'),
                  nbformat.v4.new_code_cell("raise ValueError('no data this hour')")]  # fmt: skip
    made.cells[0].metadata["tags"] = ["parameters"]
    path = folder / "hourly.ipynb"
    nbformat.write(made, path)
    return path


async def until(check: Any, what: str, *, seconds: float = 60) -> Any:
    deadline = time.monotonic() + seconds
    while not (found := await asyncio.to_thread(check)):
        assert time.monotonic() < deadline, f"waited {seconds} s for {what}"
        await asyncio.sleep(0.2)
    return found


async def definitions(jp_fetch: Any) -> list[dict[str, Any]]:
    answer = await jp_fetch("scheduler", "job_definitions", method="GET")
    return list(json.loads(answer.body)["job_definitions"])


async def refused_before_any_definition(
    registry: Registry, server: JupyterServer, jp_fetch: Any, *, notebook: Path
) -> None:
    """A model that is not there, and a second schedule of a scheduled run, make nothing."""
    with pytest.raises(ModelNotFoundError):
        await asyncio.to_thread(
            operations.schedule, registry, notebook=notebook,
            parameters={"model": "chrun@champion"}, every="1d", servers=[server],
        )  # fmt: skip
    before = await definitions(jp_fetch)
    with pytest.raises(ConflictError, match="already scheduled"):
        await asyncio.to_thread(
            operations.schedule, registry, notebook=notebook,
            parameters={"model": "churn@champion"}, every="1h", servers=[server],
        )  # fmt: skip
    assert await definitions(jp_fetch) == before
    assert len(await asyncio.to_thread(operations.schedules, registry, servers=[server])) == 1


async def a_copy_leaves_the_originals_definition(
    registry: Registry, server: JupyterServer, jp_fetch: Any, *, schedule_id: int
) -> None:
    copy = Registry(shutil.copytree(registry.home, registry.home.parent / "copy"))
    (copied,) = await asyncio.to_thread(operations.schedules, copy, servers=[server])
    assert (copied.id, copied.state, copied.next_run) == (schedule_id, "not defined", None)
    run = await asyncio.to_thread(  # Run now in the copy's sidebar: never the original's run
        operations.run_schedule, copy, schedule=schedule_id, servers=[server]
    )
    os.killpg(run.pid, signal.SIGKILL)  # its runner would take seconds to start
    assert run.scheduler_job is None and "this registry is a copy" in run.note
    assert f"--home {copy.home} monitor" in run.command
    removed = await asyncio.to_thread(
        operations.unschedule, copy, schedule=schedule_id, servers=[server]
    )
    assert "this registry is a copy" in removed.note
    (still,) = await definitions(jp_fetch)
    assert still["active"] and still["name"].startswith(f"jupyter-mlops schedule {schedule_id}")


async def removal_refused_without_a_server(
    registry: Registry, jp_fetch: Any, *, schedule_id: int, tmp_path: Path
) -> None:
    """With no server to delete the definition, `schedule --remove` says so in one sentence
    and changes nothing."""
    nowhere = tmp_path / "no-servers"  # where a shell with no Jupyter server running looks
    nowhere.mkdir()
    command = [sys.executable, "-m", "jupyter_mlops.cli", "--home", str(registry.home),
               "schedule", "--remove", str(schedule_id)]  # fmt: skip
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(nowhere)}
    refused = await asyncio.to_thread(
        subprocess.run, command, env=env, capture_output=True, text=True, timeout=120
    )
    assert refused.returncode == 9 and refused.stdout == "", refused.stderr
    assert refused.stderr.strip() == (
        f"jupyter-mlops: cannot remove schedule {schedule_id}: it is a job definition of "
        "jupyter-scheduler and no Jupyter server of yours with jupyter-scheduler runs to "
        "delete it; start JupyterLab with jupyter-scheduler installed and remove it again "
        f"with jupyter-mlops schedule --remove {schedule_id}."
    )
    (kept,) = await asyncio.to_thread(operations.schedules, registry)
    assert (kept.id, kept.state) == (schedule_id, "defined")
    assert len(await definitions(jp_fetch)) == 1


@pytest.mark.slow
async def test_a_schedule_lives_in_jupyter_scheduler_and_its_runs_are_our_jobs(
    home: Path, server: JupyterServer, api: Any, jp_fetch: Any, tmp_path: Path
) -> None:
    registry = Registry(home)
    notebook = failing_notebook(home.parent)
    made = await asyncio.to_thread(  # no server named: the running one, by its runtime file
        operations.schedule, registry, notebook=notebook,
        parameters={"model": "churn@champion"}, every="1d",
    )  # fmt: skip
    assert (made.backend, made.state) == ("jupyter-scheduler", "defined")
    assert made.next_run is not None and "jupyter-scheduler" in str(made)

    (definition,) = await definitions(jp_fetch)
    assert definition["name"] == f"jupyter-mlops schedule {made.id} (churn)"
    assert definition["schedule"] == "0 0 * * *" and definition["active"]

    # the sidebar's route asks its own server: the schedule's real state, and when it runs
    status, listed = await api("schedules")
    (row,) = listed["schedules"]
    assert status == 200 and (row["id"], row["backend"], row["state"]) == (
        made.id, "jupyter-scheduler", "defined"
    )  # fmt: skip
    assert row["next_run"] is not None
    # without a server to ask, the list says so rather than guessing
    (unknown,) = await asyncio.to_thread(operations.schedules, registry, servers=[])
    assert unknown.state == "no server running" and unknown.next_run is None
    await refused_before_any_definition(registry, server, jp_fetch, notebook=notebook)
    await a_copy_leaves_the_originals_definition(registry, server, jp_fetch, schedule_id=made.id)

    # Run now through the route: a job of jupyter-scheduler's, made from the definition
    status, started = await api(f"schedules/{made.id}/run", b"")
    assert status == 202 and started["pid"] is None and started["scheduler_job"]
    assert "through jupyter-scheduler" in started["note"]

    def ours() -> Any:
        found = operations.jobs(registry, model="churn")
        return [job for job in found if job.schedule_id == made.id and job.finished_at] or None

    (job,) = await until(ours, "the run's job in the registry")
    assert (job.status, job.exit_code) == ("failed", 10)
    assert "no data this hour" in str(job.message)
    assert job.detail["evidence"] == {"via": "rest api"}

    def theirs() -> Any:
        found = job_definitions.job(server, started["scheduler_job"])
        return found if found["status"] in ("COMPLETED", "FAILED") else None

    finished = await until(theirs, "jupyter-scheduler's job to end")
    assert finished["status"] == "FAILED" and "exit code 10" in finished["status_message"]
    of_it = {"job_definition_id": definition["job_definition_id"]}
    answer = await jp_fetch("scheduler", "jobs", method="GET", params=of_it)
    assert [j["job_id"] for j in json.loads(answer.body)["jobs"]] == [started["scheduler_job"]]

    await removal_refused_without_a_server(
        registry, jp_fetch, schedule_id=made.id, tmp_path=tmp_path
    )
    removed = await asyncio.to_thread(operations.unschedule, registry, schedule=made.id)
    assert removed.state == "removed" and removed.note == ""
    assert await definitions(jp_fetch) == []
    assert list(await asyncio.to_thread(operations.schedules, registry)) == []
