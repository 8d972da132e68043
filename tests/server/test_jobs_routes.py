"""The jobs and schedules of the REST API on a real server, registry and crontab: a
schedule listed with its next run, run now as its crontab entry runs it (the job it records
carrying where the run was asked from, a second run at once skipped by the overlap lock),
and the model's jobs and the fleet's last job showing what the runs came to."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import nbformat
import pytest

from jupyter_mlops import operations
from jupyter_mlops.registry import Registry
from tests.automation.conftest import KERNEL, NEEDS_CRONTAB, crontab_text  # noqa: F401

pytestmark = [NEEDS_CRONTAB, pytest.mark.usefixtures("crontab_text")]


@pytest.fixture
def scheduled(home: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    """Schedule 1: a notebook of churn@champion that takes a second, every hour."""
    monkeypatch.setenv("PATH", str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"])
    made = nbformat.v4.new_notebook(metadata={"kernelspec": KERNEL})
    made.cells = [nbformat.v4.new_code_cell('model = "x"'), nbformat.v4.new_code_cell(
        "import time\ntime.sleep(1)")]  # fmt: skip
    made.cells[0].metadata["tags"] = ["parameters"]
    path = home.parent / "hourly.ipynb"
    nbformat.write(made, path)
    found = operations.schedule(
        Registry(home), notebook=path, parameters={"model": "churn@champion"}, every="1h",
        backend="cron",  # the server under test cannot answer while a fixture runs: not asked
    )  # fmt: skip
    return found.id


async def until(check: Callable[[], Awaitable[Any]], what: str, *, seconds: float = 90) -> Any:
    """What `check()` gives once it is true, asked again while the server goes on serving."""
    deadline = time.monotonic() + seconds
    while not (found := await check()):
        assert time.monotonic() < deadline, f"waited {seconds} s for {what}"
        await asyncio.sleep(0.1)
    return found


async def test_schedules_list_with_their_next_run_and_filter_by_model(
    api: Any, scheduled: int
) -> None:
    status, found = await api("schedules")
    assert status == 200
    (listed,) = found["schedules"]
    assert (listed["id"], listed["model"], listed["every"]) == (scheduled, "churn", "1h")
    assert listed["state"] == "installed" and listed["next_run"].endswith("+00:00")
    assert listed["last_job"] is None
    assert await api("schedules", model="fraud") == (200, {"schedules": [], "note": ""})
    status, refusal = await api("schedules", model="churm")
    assert status == 404 and "no model named 'churm' (did you mean 'churn'?)" in refusal["message"]
    for path, params in (("schedules", {"model": "churn@champion"}), ("models/churn:1/jobs", {})):
        status, refusal = await api(path, **params)
        listed = "schedules" if path == "schedules" else "jobs"
        assert (status, refusal["message"]) == (
            400,
            f"'{params.get('model', 'churn:1')}' names a version, but {listed} are listed by "
            "model; give the model's name alone, e.g. 'churn'.",
        )
    _, fleet = await api("models")
    counted = {m["name"]: (m["schedules"], m["last_job"]) for m in fleet["models"]}
    assert counted == {"churn": (1, None), "fraud": (0, None)}


@pytest.mark.slow
async def test_run_now_starts_the_crontab_command_and_its_jobs_show(
    api: Any, scheduled: int
) -> None:
    first = await api(f"schedules/{scheduled}/run", b"")
    second = await api(f"schedules/{scheduled}/run", {})
    for status, started in (first, second):
        assert status == 202 and started["schedule"] == scheduled and started["pid"] > 0
        assert started["model"] == "churn" and "--schedule" in started["command"]
        assert started["evidence"] == {"via": "rest api"}
        assert "its job is listed in the jobs of churn once recorded" in started["note"]

    async def finished() -> list[dict[str, Any]]:
        _, jobs = await api("models/churn/jobs")
        done = [j for j in jobs["rows"] if j["finished_at"] is not None]
        return jobs["rows"] if len(done) == 2 else []

    jobs = await until(finished, "both runs' jobs to finish")
    # the overlap lock skips one; the other ends in alert, as churn has a rule firing
    assert sorted(j["status"] for j in jobs) == ["alert", "skipped"]
    assert all(j["detail"]["evidence"] == {"via": "rest api"} for j in jobs)
    assert all(j["schedule_id"] == scheduled for j in jobs)
    _, newest = await api("models/churn/jobs", limit="1")
    # newest by when it started (the two runs start at once: the later id may start first)
    latest = max(jobs, key=lambda j: (j["started_at"], j["id"]))
    assert [j["id"] for j in newest["rows"]] == [latest["id"]]
    _, fleet = await api("models", name="churn")
    (churn,) = fleet["models"]
    assert churn["last_job"]["id"] == newest["rows"][0]["id"]
    assert churn["last_job"]["status"] == newest["rows"][0]["status"]


async def test_run_now_refuses_an_unknown_or_removed_schedule_and_any_field(
    api: Any, home: Path, scheduled: int
) -> None:
    status, refusal = await api("schedules/99/run", b"")
    assert (status, refusal["error"]) == (404, "not_found")
    assert f"this registry's: {scheduled}" in refusal["message"]
    assert "%mlops schedule --list" in refusal["message"]
    for wrong in ("one", "-1", "0", "9" * 20):
        status, refusal = await api(f"schedules/{wrong}/run", b"")
        assert (status, refusal["error"]) == (400, "usage")
        assert refusal["message"].startswith(
            f"'{wrong}' is not a schedule id (a positive whole number); send the id GET"
        )
    status, refusal = await api(f"schedules/{scheduled}/run", {"now": True})
    assert (status, refusal["message"]) == (
        400,
        "the body has a field 'now', but this request takes no field; send no body, or {}.",
    )
    operations.unschedule(Registry(home), schedule=scheduled)
    status, refusal = await api(f"schedules/{scheduled}/run", b"")
    assert status == 404 and "was already removed" in refusal["message"]
    assert (await api("models/churn/jobs"))[1] == {"rows": []}  # nothing was started
    status, refusal = await api("models/churn/jobs", limit="501")
    assert status == 400 and "from 1 to 500" in refusal["message"]
