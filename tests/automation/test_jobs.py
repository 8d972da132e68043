"""Notebooks run as recorded jobs, by papermill in real processes: what each way a run can
end records, exits with and stores."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import nbformat
import pytest

from jupyter_mlops import Registry, operations
from jupyter_mlops.automation import overlap
from jupyter_mlops.clock import utc_now
from jupyter_mlops.deploying.processes import process_start
from jupyter_mlops.errors import MlopsError
from jupyter_mlops.store import jobs as sql
from jupyter_mlops.store import schedules
from tests.automation.conftest import CHECK
from tests.conftest import wait_for


@pytest.fixture
def registry(served: Registry) -> Registry:
    return served


def write_rows(registry: Registry, dataset, *, shifted: bool) -> str:
    X, _ = dataset
    path = registry.home.parent / ("shifted.parquet" if shifted else "calm.parquet")
    (X * 3 if shifted else X).to_parquet(path)
    return str(path)


def cells(path) -> list:
    return nbformat.reads(path.read_text(), as_version=4).cells


@pytest.mark.slow
def test_a_passing_run_stores_its_notebook_beside_the_checks_it_recorded(
    registry, write_notebook, dataset
):
    operations.add_alert(registry, ref="tumour@champion", expression="drift.share > 0.5")
    data = write_rows(registry, dataset, shifted=False)
    job = operations.monitor_job(
        registry,
        notebook=write_notebook("monitor.ipynb", 'model = "x"\ndata = ""', CHECK),
        parameters={"model": "tumour@champion", "data": data},
    )
    assert (job.status, job.exit_code, job.model) == ("passed", 0, "tumour")
    (check,) = job.detail["checks"]
    assert job.message == "1 check recorded, no alert fired, no rule of tumour firing"
    opened = operations.job_notebook(registry, job=job.id)
    shown = "".join(
        "".join(output.get("data", {}).get("text/plain", ""))
        for cell in cells(opened)
        for output in cell.get("outputs", [])
    )
    assert f"check {check} of tumour@champion" in shown
    assert registry.gc(older_than=0) == [] and registry.verify().job_notebooks == 1
    with registry.db.read() as conn:
        assert sql.job_checks(conn, job.id) == [check]


@pytest.mark.slow
def test_a_cell_that_raises_fails_the_job_naming_the_cell(registry, write_notebook, capsys):
    from jupyter_mlops.cli import main

    path = write_notebook("broken.ipynb", "x = 1", "y = x + 1", "raise ValueError('no rows today')")
    given = ["monitor", str(path), "-p", "x", "2", "--timeout", "1h30.5m"]
    assert main(["--home", str(registry.home), *given]) == 10
    (job,) = operations.jobs(registry)
    assert (job.status, job.failed_cell, job.detail["timeout"]) == ("failed", 4, 5430)
    assert job.message == "cell In [4] raised ValueError: no rows today"
    assert "ValueError: no rows today" in capsys.readouterr().out
    stored = cells(operations.job_notebook(registry, job=job.id))
    tags = [cell.metadata.get("tags", []) for cell in stored]
    marked = [i for i, tagged in enumerate(tags) if "papermill-error-cell-tag" in tagged]
    assert len(marked) == 2 and "raise ValueError" in stored[marked[1] + 1].source


@pytest.mark.slow
def test_an_output_papermill_cannot_store_names_its_cell_and_the_fix(registry, write_notebook):
    path = write_notebook(
        "odd.ipynb",
        "x = 1",
        "from IPython.display import display",
        "display({'application/x-weird': {'a': float('nan')}}, raw=True)",
    )
    job = operations.monitor_job(registry, notebook=path)
    assert (job.status, job.exit_code, job.stored) == ("failed", 10, True)
    assert job.message == (
        "papermill could not store an output of cell In [3], which is not valid in a notebook "
        "(nbformat.validator.NotebookValidationError: {'a': None} is not valid under any of "
        "the given schemas, on instance['data']['application/x-weird']); have that cell "
        "display text, or JSON without NaN or infinity"
    )


@pytest.mark.slow
def test_a_magic_refusing_in_the_notebook_is_named_like_any_raise(registry, write_notebook):
    """A refused `%mlops` line is a UsageError IPython shows as text: named all the same."""
    path = write_notebook(
        "refused.ipynb", "x = 1", "%load_ext jupyter_mlops", "%mlops check nosuch@champion --fail"
    )
    job = operations.monitor_job(registry, notebook=path)
    assert (job.status, job.exit_code, job.failed_cell) == ("failed", 10, 3)
    assert job.message.startswith("cell In [3] raised UsageError: no model named 'nosuch'")


@pytest.mark.slow
def test_a_notebook_that_hangs_is_killed_at_its_timeout_with_its_kernel(
    registry, write_notebook, tmp_path
):
    pid_file = tmp_path / "kernel.pid"
    path = write_notebook(
        "hangs.ipynb",
        "import os, time",
        f"open({str(pid_file)!r}, 'w').write(str(os.getpid()))",
        "time.sleep(600)",
        parameters=False,
    )
    # long enough for a kernel to start on a loaded machine (it took over 5 s at a load of 8
    # on two cores), so the kill this proves is of a running kernel
    job = operations.monitor_job(registry, notebook=path, parameters={}, timeout="15s")
    assert (job.status, job.exit_code) == ("timeout", 11)
    assert job.message.startswith("killed at its timeout of 15s; ")
    group = job.detail["process_group"]
    assert pid_file.exists(), "the kernel did not start within the 15 s timeout"
    kernel = int(pid_file.read_text())
    assert process_start(kernel) is None  # gone, or a zombie nothing runs in
    left = [pid for pid in os.listdir("/proc") if pid.isdigit() and _group(int(pid)) == group]
    assert [pid for pid in left if process_start(int(pid))] == []


def _group(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except ProcessLookupError:
        return None


@pytest.mark.slow
def test_a_run_while_the_previous_one_of_its_schedule_goes_is_skipped(
    registry, write_notebook, tmp_path
):
    go = tmp_path / "go"
    path = write_notebook(
        "waits.ipynb",
        "go = ''",
        "import os, time\nwhile not os.path.exists(go):\n    time.sleep(0.05)",
    )
    schedule = _schedule(registry, path, {"go": str(go)}, every=3600, created=utc_now())
    first = subprocess.Popen(
        [sys.executable, "-m", "jupyter_mlops.cli", "--home", str(registry.home), "monitor",
         str(path), "-p", "go", str(go), "--schedule", str(schedule)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        wait_for(lambda: operations.jobs(registry), "the first run's row", seconds=30)
        second = operations.monitor_job(
            registry, notebook=path, parameters={"go": str(go)}, schedule=schedule
        )
        (running,) = [job for job in operations.jobs(registry) if job.id != second.id]
        assert (second.status, second.exit_code) == ("skipped", 12)
        assert second.message.startswith("skipped: the previous run of this schedule is still")
        assert f"(job {running.id}, started" in second.message
        go.touch()
        assert first.wait(timeout=60) == 0
    finally:
        first.kill()
        first.wait()
    assert [job.status for job in operations.jobs(registry)] == ["skipped", "passed"]


@pytest.mark.slow
def test_an_alert_fails_the_job_and_so_does_a_rule_still_firing(registry, write_notebook, dataset):
    rule = operations.add_alert(registry, ref="tumour@champion", expression="drift.share > 0.5")
    data = write_rows(registry, dataset, shifted=True)
    path = write_notebook("monitor.ipynb", 'model = "x"\ndata = ""', CHECK)
    fired = operations.monitor_job(
        registry, notebook=path, parameters={"model": "tumour@champion", "data": data}
    )
    (check,) = fired.detail["checks"]
    assert (fired.status, fired.exit_code) == ("alert", 3)
    assert fired.message == f"rule {rule.id} (drift.share > 0.5) fired in check {check}"
    quiet = operations.monitor_job(
        registry,
        notebook=write_notebook("quiet.ipynb", "model = 'x'", "assert (n, share) == (5, 0.5)"),
        parameters={"model": "tumour@champion", "n": 5, "share": 0.5},  # numbers arrive so
    )
    assert (quiet.status, quiet.exit_code) == ("alert", 3)
    assert quiet.message == f"rule {rule.id} (drift.share > 0.5) is still firing"
    assert quiet.detail["checks"] == [] and quiet.detail["firing"][0]["rule"] == rule.id


def test_a_job_of_a_model_or_with_arguments_it_cannot_run_is_refused_in_a_sentence(
    registry, notebook
):
    refusals = [
        ({"notebook": notebook, "parameters": {"model": "tumor"}}, "(did you mean 'tumour'?)"),
        ({"notebook": notebook, "parameters": {"model": "tumour@champoin"}}, "no alias"),
        ({"notebook": notebook, "parameters": ["model", "tumour"]}, "a list, not a mapping"),
        ({"notebook": notebook, "parameters": {"x": {1}}}, "x={1} is a set, which"),
        ({"notebook": None}, "notebook None is None, not a path"),
        ({"notebook": 3}, "notebook 3 is an int, not a path"),
        ({"notebook": notebook, "schedule": 99}, "schedule 99 does not exist"),  # no parameters
    ]
    for given, said in refusals:
        with pytest.raises(MlopsError) as refused:
            operations.monitor_job(registry, **given)
        assert said in str(refused.value) and "\n" not in str(refused.value), given
    assert operations.jobs(registry) == []


@pytest.mark.slow
def test_a_scheduled_run_records_the_runs_its_schedule_missed(registry, write_notebook):
    now = utc_now()
    path = write_notebook("quiet.ipynb", "x = 1", "x")
    schedule = _schedule(registry, path, {}, every=3600, created=now - timedelta(days=1))
    with registry.db.write() as conn:
        sql.insert_job(
            conn,
            {"kind": "monitor", "notebook": str(path), "parameters": "{}",
             "schedule_id": schedule, "status": "passed", "started_at": now - timedelta(hours=5),
             "host": "elsewhere", "pid": 1, "created_by": "cron", "detail": "{}"},
        )  # fmt: skip
    job = operations.monitor_job(registry, notebook=path, parameters={}, schedule=schedule)
    newest = operations.jobs(registry)
    assert [j.status for j in newest] == ["passed", "missed", "passed"] and job == newest[0]
    missed = newest[1]
    local = (now - timedelta(hours=5)).replace(tzinfo=UTC).astimezone()  # cron's clock
    since = (local.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)).astimezone(UTC)
    since = since.replace(tzinfo=None)  # the first hour after the last run: 0 * * * *
    assert missed.detail["missed"] == 4 and missed.started_at == since
    said = f"4 runs due every 1h did not happen since {since:%Y-%m-%d %H:%M:%S} UTC"
    assert missed.message == said


def test_a_weekday_schedule_misses_nothing_over_a_weekend():
    def utc(text: str) -> datetime:  # a time on this machine's clock, as the registry keeps it
        return datetime.fromisoformat(text).astimezone(UTC).replace(tzinfo=None)

    weekdays = {"every_seconds": 86_400, "cron": "0 9 * * 1-5", "created_at": utc("2026-11-02")}
    friday, monday = utc("2026-11-27 09:00:02"), utc("2026-11-30 09:00:05")
    assert overlap.missed(weekdays, last=friday, now=monday) is None
    gone = overlap.missed(weekdays, last=friday, now=utc("2026-12-02 09:00:04"))
    assert gone is not None and (gone.count, gone.since) == (2, utc("2026-11-30 09:00"))
    elsewhere = {**weekdays, "cron": "not cron"}  # another scheduler's: every 1d then
    assert overlap.missed(elsewhere, last=friday, now=monday).count == 2


def _schedule(registry: Registry, notebook: Path, parameters: dict, *, every: int, created) -> int:
    with registry.db.write() as conn:
        return schedules.insert_schedule(
            conn,
            {"kind": "monitor", "notebook": str(notebook), "parameters": json.dumps(parameters),
             "every_seconds": every, "cron": "0 * * * *", "backend": "cron",
             "command": "jupyter-mlops monitor n.ipynb", "created_at": created,
             "created_by": "test"},
        )  # fmt: skip


@pytest.mark.slow
def test_a_runner_stopped_records_so_and_one_killed_takes_its_notebook_along(
    registry, write_notebook, tmp_path
):
    path = write_notebook(
        "slow.ipynb",
        "n = 0",
        f"import os, time\nopen(f'{tmp_path}/kernel-{{n}}.pid', 'w').write(str(os.getpid()))",
        "time.sleep(600)",
    )
    words = [sys.executable, "-m", "jupyter_mlops.cli", "--home", str(registry.home), "monitor"]
    runners = [
        subprocess.Popen(
            [*words, str(path), "-p", "n", str(n)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in (1, 2)
    ]
    try:
        try:
            kernels = wait_for(
                lambda: [_pid(tmp_path / f"kernel-{n}.pid") for n in (1, 2)] if all(
                    (tmp_path / f"kernel-{n}.pid").exists() for n in (1, 2)) else None,
                "both notebooks' kernels to start",
                seconds=60,
            )  # fmt: skip
        except AssertionError as late:  # what each runner said, so the cause is named
            for runner in runners:
                runner.kill()
            said = [runner.communicate()[1] for runner in runners]
            pytest.fail(f"{late}; the runners said: {said}; jobs: {operations.jobs(registry)}")
        runners[0].send_signal(signal.SIGKILL)  # no chance to end its notebook
        runners[1].send_signal(signal.SIGTERM)  # a timer stopping the job
        assert runners[1].wait(timeout=60) == 143
        assert runners[1].stderr.read().strip().count("\n") == 0
        wait_for(lambda: all(process_start(pid) is None for pid in kernels), "kernels to end")
        killed, stopped = sorted(operations.jobs(registry), key=lambda job: job.id)
        if json.loads(killed.parameters["n"]) == 2:
            killed, stopped = stopped, killed
    finally:
        for runner in runners:
            runner.kill()
            runner.wait()
    assert (stopped.status, stopped.exit_code) == ("stopped", 143)
    assert stopped.message == (
        "stopped by SIGTERM: the runner killed the notebook before it finished"
    )
    assert killed.status == "crashed" and killed.exit_code is None
    assert killed.message.endswith("ended without finishing it")  # and nothing runs on
    assert json.loads(json.dumps(killed.to_dict()))["status"] == "crashed"
    work = registry.home / "jobs" / "work"
    assert [path.name for path in work.iterdir()] == [f"job-{killed.id}"]  # left behind
    operations.monitor_job(registry, notebook=write_notebook("quick.ipynb", "n = 0"))
    assert list(work.iterdir()) == []  # the next job removed it


def _pid(path) -> int:
    return int(path.read_text())


HOLD = """\
import os, pathlib, sys, time
from jupyter_mlops import Registry
with Registry(sys.argv[1]).db.write():  # from before papermill ends to past the lock timeout
    pathlib.Path(sys.argv[2]).touch()
    stat = pathlib.Path(f"/proc/{sys.argv[3]}/stat")  # papermill's, the kernel's parent
    while stat.exists() and stat.read_text().rpartition(")")[2].split()[0] != "Z":
        time.sleep(0.02)
    time.sleep(1.5)
"""


@pytest.mark.slow
def test_a_run_is_finished_as_it_ended_past_a_full_disk_and_a_busy_registry(
    write_notebook, tmp_path
):
    registry = Registry(tmp_path / "registry", lock_timeout=0.5)
    (registry.home / "artifacts").mkdir(exist_ok=True)
    (registry.home / "artifacts" / "sha256").write_text("")  # no notebook can be stored there
    held = tmp_path / "held"
    path = write_notebook(
        "holds.ipynb",
        "import os, subprocess, sys, time",
        f"subprocess.Popen([sys.executable, '-c', {HOLD!r}, os.environ['MLOPS_HOME'], "
        f"{str(held)!r}, str(os.getppid())], start_new_session=True)\n"
        f"while not os.path.exists({str(held)!r}):\n    time.sleep(0.02)",
        parameters=False,
    )
    job = operations.monitor_job(registry, notebook=path)  # its row waits past the lock
    assert (job.status, job.exit_code, job.output_sha256) == ("passed", 0, None)
    assert "its executed notebook could not be stored (" in job.message
    assert [j.status for j in operations.jobs(registry)] == ["passed"]


@pytest.mark.slow
def test_a_run_on_a_full_disk_says_the_disk_is_full(write_notebook, tmp_path, disk):
    """papermill can write neither the executed notebook nor why it stopped there."""
    registry = Registry(tmp_path / "registry")
    (registry.home / "jobs").symlink_to(disk.mount, target_is_directory=True)
    path = write_notebook("filling.ipynb", "print('x' * 100_000)", parameters=False)
    disk.fill(leave=0)
    job = operations.monitor_job(registry, notebook=path)
    assert job.status == "failed", job.message
    assert f"the disk holding {registry.home / 'jobs'}/" in job.message, job.message
    assert job.message.endswith("free some space and run it again"), job.message


@pytest.mark.slow
def test_a_notebook_that_deletes_the_registry_is_one_sentence(write_notebook, tmp_path, capsys):
    from jupyter_mlops.cli import main

    home = tmp_path / "registry"
    Registry(home)
    path = write_notebook(
        "deletes.ipynb", "import os, shutil\nshutil.rmtree(os.environ['MLOPS_HOME'])"
    )
    assert main(["--home", str(home), "monitor", str(path)]) == 7
    said = capsys.readouterr().err.strip()
    assert "was deleted while job 1 ran (its notebook ended with exit code " in said
    assert len(said.splitlines()) == 1 and not home.exists()
