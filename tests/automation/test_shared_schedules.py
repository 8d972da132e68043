"""A schedule of a shared registry run as cron runs it (`sh -c`, cron's environment, which
names no registry): its crontab line names the registry by URL and data path, its tag by
URL, and the job and the check its monitoring notebook records are the shared registry's."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from crontab import CronTab

from jupyter_mlops import Registry, operations
from tests.automation.conftest import CHECK, NEEDS_CRONTAB


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
    tag = f"jupyter-mlops schedule {made.id} {lake_url}"  # the URL, not the data path
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
