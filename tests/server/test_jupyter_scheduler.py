"""Schedules kept by jupyter-scheduler on a real Jupyter server that has both extensions:
made with `backend="auto"` (what could never run, and a second schedule of the same run,
refused before any definition is made), listed with their definition's state, a copied
registry leaving the original's definition alone, a run started through jupyter-scheduler's
own "run now" recorded as our job with its exit code, and removed (the definition gone from
jupyter-scheduler too)."""

from __future__ import annotations

import asyncio
import json
import shutil
import time
from pathlib import Path
from typing import Any

import nbformat
import pytest

from jupyter_mlops import operations
from jupyter_mlops.automation import job_definitions
from jupyter_mlops.automation.job_definitions import JupyterServer
from jupyter_mlops.errors import ConflictError, ModelNotFoundError
from jupyter_mlops.registry import Registry
from tests.automation.conftest import KERNEL

pytest.importorskip("jupyter_scheduler")  # an optional extra; its own CI step installs it


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
    removed = await asyncio.to_thread(
        operations.unschedule, copy, schedule=schedule_id, servers=[server]
    )
    assert "this registry is a copy" in removed.note
    (still,) = await definitions(jp_fetch)
    assert still["active"] and still["name"].startswith(f"jupyter-mlops schedule {schedule_id}")


@pytest.mark.slow
async def test_a_schedule_lives_in_jupyter_scheduler_and_its_runs_are_our_jobs(
    home: Path, server: JupyterServer, jp_fetch: Any
) -> None:
    registry = Registry(home)
    notebook = failing_notebook(home.parent)
    made = await asyncio.to_thread(
        operations.schedule, registry, notebook=notebook,
        parameters={"model": "churn@champion"}, every="1d", servers=[server],
    )  # fmt: skip
    assert (made.backend, made.state) == ("jupyter-scheduler", "defined")
    assert made.next_run is not None and "jupyter-scheduler" in str(made)

    answer = await jp_fetch("scheduler", "job_definitions", method="GET")
    (definition,) = json.loads(answer.body)["job_definitions"]
    assert definition["name"] == f"jupyter-mlops schedule {made.id} (churn)"
    assert definition["schedule"] == "0 0 * * *" and definition["active"]

    listed = await asyncio.to_thread(operations.schedules, registry, servers=[server])
    assert [(s.id, s.backend, s.state) for s in listed] == [
        (made.id, "jupyter-scheduler", "defined")
    ]
    # without a server to ask, the list says so rather than guessing
    (unknown,) = await asyncio.to_thread(operations.schedules, registry)
    assert unknown.state == "no server running" and unknown.next_run is None
    await refused_before_any_definition(registry, server, jp_fetch, notebook=notebook)
    await a_copy_leaves_the_originals_definition(registry, server, jp_fetch, schedule_id=made.id)

    # jupyter-scheduler's own "run now": a job of the definition
    ran = await jp_fetch("scheduler", "job_definitions", definition["job_definition_id"],
                         "jobs", method="POST", body="{}")  # fmt: skip
    their_job = json.loads(ran.body)["job_id"]

    def ours() -> Any:
        found = operations.jobs(registry, model="churn")
        return [job for job in found if job.schedule_id == made.id and job.finished_at] or None

    (job,) = await until(ours, "the run's job in the registry")
    assert (job.status, job.exit_code) == ("failed", 10)
    assert "no data this hour" in str(job.message)

    def theirs() -> Any:
        found = job_definitions.job(server, their_job)
        return found if found["status"] in ("COMPLETED", "FAILED") else None

    finished = await until(theirs, "jupyter-scheduler's job to end")
    assert finished["status"] == "FAILED" and "exit code 10" in finished["status_message"]

    removed = await asyncio.to_thread(
        operations.unschedule, registry, schedule=made.id, servers=[server]
    )
    assert removed.state == "removed" and removed.note == ""
    answer = await jp_fetch("scheduler", "job_definitions", method="GET")
    assert json.loads(answer.body)["job_definitions"] == []
    assert list(await asyncio.to_thread(operations.schedules, registry, servers=[server])) == []
