"""A schedule of a shared registry run as cron runs it (`sh -c`, cron's environment, which
names no registry): its crontab line names the registry by URL and data path (and, for a
bucket, the $MLOPS_HOME of this machine's folder of it), its tag by
the catalog's id and place (the same whatever spelling of the URL reaches it, another for a
copy of the catalog), and the job and the check its monitoring notebook records are the
shared registry's. A URL holding a password
is refused: the command would carry it where every reader sees it."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from crontab import CronTab

from jupyter_mlops import Registry, operations
from jupyter_mlops.cli import build_parser
from jupyter_mlops.errors import ConflictError, InvalidArgumentError
from jupyter_mlops.registry.locations import catalog_key
from tests.automation.conftest import CHECK, NEEDS_CRONTAB
from tests.conftest import copied, wait_for
from tests.postgres import Cluster, respelt
from tests.s3 import server


@NEEDS_CRONTAB
def test_a_scheduled_monitoring_job_records_its_job_and_check_in_the_shared_registry(
    lake_url: str,
    write_notebook: Callable[..., Path],
    crontab_text: None,
    tmp_path: Path,
    dataset: Any,
    fitted: Any,
) -> None:
    registry = Registry(lake_url, data_path=tmp_path / "team")
    X, y = dataset
    registry.register("tumour", fitted, X=X, y=y)
    X.to_parquet(rows := tmp_path / "calm.parquet")
    notebook = write_notebook("monitor.ipynb", 'model = "x"\ndata = ""', CHECK)
    made = operations.schedule(
        registry,
        notebook=notebook,
        parameters={"model": "tumour:1", "data": str(rows)},
        every="1h",
        timeout="5m",
    )
    tag = f"jupyter-mlops schedule {made.id} {catalog_key(registry.db)}"
    (command,) = [entry.command for entry in CronTab(user=True) if entry.comment == tag]

    cron = {"PATH": "/usr/bin:/bin", "HOME": str(Path.home()), "SHELL": "/bin/sh"}
    if "PYTHONPATH" in os.environ:  # a source tree under test, not the installed package
        cron["PYTHONPATH"] = os.environ["PYTHONPATH"]
    ran = subprocess.run(["sh", "-c", command], cwd=tmp_path, env=cron)

    log = (tmp_path / "team" / "jobs" / f"schedule-{made.id}.log").read_text()
    assert ran.returncode == 0, log
    (job,) = operations.jobs(registry, model="tumour")
    assert (job.schedule_id, job.status) == (made.id, "passed"), job.message
    (check,) = job.detail["checks"]  # what the notebook's `%mlops check` wrote, it wrote here
    history = operations.drift_history(registry, model="tumour").to_frame()
    assert set(history["check_id"]) == {check}
    umask = os.umask(0)
    os.umask(umask)
    (lock,) = (tmp_path / "team" / "jobs" / "locks").iterdir()  # made as any file of the team's
    assert stat.S_IMODE(lock.stat().st_mode) == 0o666 & ~umask


CLI = str(Path(sys.executable).parent / "jupyter-mlops")
TAG = "jupyter-mlops schedule "
WAITS = """\
import os, pathlib, time
folder = pathlib.Path(gate)
(folder / f"started-{os.environ['MLOPS_JOB_ID']}").touch()
while not (folder / "release").exists():
    time.sleep(0.05)"""


@NEEDS_CRONTAB
def test_a_bucket_registrys_schedule_run_by_cron_and_run_now_never_overlap(
    postgres: Cluster,
    write_notebook: Callable[..., Path],
    crontab_text: None,
    tmp_path: Path,
    subprocess_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Its job locks are in this machine's folder of the registry, under $MLOPS_HOME: the
    crontab line carries the one it was scheduled with, so while the run cron starts (whose
    environment has none) goes, the same run typed in that shell is skipped, and so is one
    started now from a process with another $MLOPS_HOME (a Jupyter server's sidebar)."""
    with server() as s3:
        bucket = f"s3://{s3.new_bucket()}/team"
        url = postgres.url(postgres.new_schema())
        cli = [CLI, "--home", url, "--data-path", bucket]
        shell = subprocess_env | s3.environment() | {"MLOPS_HOME": str(tmp_path / "mine")}
        (gate := tmp_path / "gate").mkdir()
        notebook = write_notebook("wait.ipynb", "gate = ''", WAITS)
        given = [str(notebook), "-p", "gate", str(gate)]
        made = subprocess.run(
            [*cli, "schedule", *given, "--every", "1h", "--backend", "cron"],
            env=shell, capture_output=True, text=True,
        )  # fmt: skip
        assert made.returncode == 0, made.stderr
        (entry,) = [each for each in CronTab(user=True) if each.comment.startswith(TAG)]
        number = entry.comment.split()[2]

        cron = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "SHELL": "/bin/sh"}
        cron |= s3.environment()  # the bucket's keys, as the user's crontab or ~/.aws gives them
        if "PYTHONPATH" in os.environ:  # a source tree under test, not the installed package
            cron["PYTHONPATH"] = os.environ["PYTHONPATH"]
        for name, value in (s3.environment() | {"MLOPS_HOME": str(tmp_path / "other")}).items():
            monkeypatch.setenv(name, value)
        team = Registry(url, data_path=bucket)
        by_cron = subprocess.Popen(["sh", "-c", entry.command], cwd=tmp_path, env=cron)
        try:
            wait_for(lambda: started(gate), "the cron run's notebook to start", seconds=120)
            now = [*cli, "monitor", *given, "--schedule", number, "--timeout", "1h"]
            by_hand = subprocess.Popen(now, env=shell, stdout=subprocess.PIPE, text=True)
            wait_for(lambda: by_hand.poll() is not None or len(started(gate)) > 1, "the second")
            operations.run_schedule(team, schedule=int(number))
            wait_for(
                lambda: len(started(gate)) > 1 or len(operations.jobs(team)) == 3,
                "the run started now to be recorded",
            )
        finally:
            (gate / "release").touch()
        said, _ = by_hand.communicate(timeout=120)
        assert (by_cron.wait(timeout=120), by_hand.returncode) == (0, 12), said
        assert "skipped: the previous run of this schedule is still going (job 1," in said
        assert [job.status for job in operations.jobs(team)] == ["skipped", "skipped", "passed"]


def started(gate: Path) -> list[Path]:
    """The marks of the runs whose notebook has started (`WAITS`)."""
    return sorted(gate.glob("started-*"))


def test_a_schedule_of_a_url_holding_a_password_is_refused_and_nothing_is_recorded(
    postgres: Cluster, notebook: Path, tmp_path: Path
) -> None:
    registry = Registry(postgres.url(postgres.new_schema(), password="hush"), data_path=tmp_path)
    with pytest.raises(InvalidArgumentError) as refused:
        operations.schedule(registry, notebook=notebook, parameters={}, every="1h")
    said = str(refused.value)
    assert "holds a password" in said and "~/.pgpass" in said and "hush" not in said
    assert str(operations.schedules(registry)) == "no schedules"


@NEEDS_CRONTAB
def test_a_schedule_made_on_one_machine_is_listed_there_and_never_removed_from_another(
    lake_url: str,
    notebook: Path,
    crontab_text: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    subprocess_env: dict[str, str],
) -> None:
    """The crontab entry lives on the machine that made the schedule: another machine of the
    team lists it as that machine's (its own crontab has no such line, which is no sign the
    schedule is gone) and is refused its removal, which would leave cron running it there,
    in one sentence naming the command (a real one) to run on that machine."""
    registry = Registry(lake_url, data_path=tmp_path / "team")
    monkeypatch.setenv("MLOPS_HOSTNAME", "box-a")
    made = operations.schedule(registry, notebook=notebook, parameters={}, every="1h")
    assert (made.host, made.state) == ("box-a", "installed")

    monkeypatch.setenv("MLOPS_HOSTNAME", "box-b")
    (listed,) = operations.schedules(registry)
    assert listed.state == "on box-a (its crontab is not read from here)"
    assert listed.next_run is not None and listed.installed.startswith("cron: on box-a")
    with pytest.raises(ConflictError) as refused:
        operations.unschedule(registry, schedule=made.id)
    assert str(refused.value) == (
        f"schedule {made.id}'s crontab entry is on box-a, not on box-b, so it cannot be taken "
        f"out from here; on box-a, run operations.unschedule(registry, schedule={made.id})."
    )
    remove = ["jupyter-mlops", "--home", lake_url, "--data-path", str(tmp_path / "team")]
    remove += ["schedule", "--remove", str(made.id)]
    done = subprocess.run(
        remove, env=subprocess_env | {"MLOPS_HOSTNAME": "box-b"}, capture_output=True, text=True
    )
    said = done.stderr.strip()
    assert done.returncode == 5 and "\n" not in said, done.stderr  # as another's server
    assert said.endswith(f"on box-a, run jupyter-mlops schedule --remove {made.id}."), said
    assert "MLOPS_HOSTNAME" not in said
    build_parser().parse_args(said.rsplit(", run ", 1)[1][len("jupyter-mlops ") : -1].split())
    tag = f"jupyter-mlops schedule {made.id} {catalog_key(registry.db)}"
    assert [entry.comment for entry in CronTab(user=True)].count(tag) == 1  # still there
    (still,) = operations.schedules(registry)
    assert still.removed_at is None

    monkeypatch.setenv("MLOPS_HOSTNAME", "box-a")
    assert operations.unschedule(registry, schedule=made.id).state == "removed"
    assert tag not in [entry.comment for entry in CronTab(user=True)]


@NEEDS_CRONTAB
def test_a_schedule_is_listed_and_removed_through_another_spelling_of_the_url(
    lake_url: str, notebook: Path, crontab_text: None, tmp_path: Path
) -> None:
    """Two spaces where the URL had one, its words in another order: the same catalog, so
    the same schedule, whose crontab line is taken out (it was left firing, the schedule
    marked removed)."""
    registry = Registry(lake_url, data_path=tmp_path / "team")
    made = operations.schedule(registry, notebook=notebook, parameters={}, every="1h")
    other = Registry(respelt(lake_url), data_path=tmp_path / "team")
    assert other.db.name != registry.db.name  # not told apart as the same by the URL

    assert [listed.state for listed in operations.schedules(other)] == ["installed"]
    removed = operations.unschedule(other, schedule=made.id)
    assert (removed.state, removed.note) == ("removed", "")
    assert _tags() == []


@NEEDS_CRONTAB
def test_a_copy_of_the_catalog_never_takes_out_the_originals_crontab_line(
    lake_url: str, notebook: Path, crontab_text: None, tmp_path: Path
) -> None:
    """A copy keeps the catalog's id and the schedule's number, not its place: the copy
    lists the schedule not installed, and its removal leaves the original's line firing."""
    registry = Registry(lake_url, data_path=tmp_path / "team")
    made = operations.schedule(registry, notebook=notebook, parameters={}, every="1h")
    copy = copied(registry, tmp_path / "copy")
    assert copy.db.catalog_id() == registry.db.catalog_id()

    assert [listed.state for listed in operations.schedules(copy)] == ["not installed"]
    assert operations.unschedule(copy, schedule=made.id).note != ""
    assert [listed.state for listed in operations.schedules(registry)] == ["installed"]
    assert _tags() == [f"jupyter-mlops schedule {made.id} {catalog_key(registry.db)}"]


@NEEDS_CRONTAB
def test_a_schedule_an_older_version_tagged_with_the_url_is_listed_and_removed(
    lake_url: str, notebook: Path, crontab_text: None, tmp_path: Path
) -> None:
    """Older versions tagged a shared registry's line with its URL as given: such a line is
    still this registry's, listed installed and taken out."""
    registry = Registry(lake_url, data_path=tmp_path / "team")
    made = operations.schedule(registry, notebook=notebook, parameters={}, every="1h")
    cron = CronTab(user=True)
    (entry,) = [each for each in cron if each.comment.startswith("jupyter-mlops schedule")]
    entry.comment = f"jupyter-mlops schedule {made.id} {lake_url}"
    cron.write()

    assert [listed.state for listed in operations.schedules(registry)] == ["installed"]
    assert operations.unschedule(registry, schedule=made.id).note == ""
    assert _tags() == []


def _tags() -> list[str]:
    return [each.comment for each in CronTab(user=True) if "jupyter-mlops" in each.comment]
