"""The jobs as users list and open them from a shell and from a notebook, and what a job
refuses before anything runs; no kernel is started here."""

from __future__ import annotations

import html
import json
import os
import socket
from datetime import timedelta
from pathlib import Path

import pytest

from jupyter_mlops import Registry, config, operations
from jupyter_mlops.automation import outcomes
from jupyter_mlops.cli import main
from jupyter_mlops.clock import utc_now
from jupyter_mlops.commands import exits
from jupyter_mlops.errors import InvalidArgumentError
from jupyter_mlops.store import jobs as sql

NOTEBOOK = {
    "cells": [],
    "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
    "nbformat": 4,
    "nbformat_minor": 5,
}


def record(registry: Registry, *, status: str, model: str, ago: int, notebook: bytes | None = None):
    """A finished job's row, written as a runner writes it, `ago` minutes ago."""
    digest = None if notebook is None else registry.artifacts.put(notebook)
    started = utc_now() - timedelta(minutes=ago)
    with registry.db.write() as conn:
        return sql.insert_job(
            conn,
            {"kind": "monitor", "model": model, "notebook": "/work/monitoring.ipynb",
             "parameters": json.dumps({"model": f"{model}@champion"}), "status": status,
             "started_at": started, "finished_at": started + timedelta(seconds=12),
             "seconds": 12.0, "exit_code": {"passed": 0, "alert": 3}[status],
             "message": f"{status} message", "output_sha256": digest,
             "output_bytes": None if notebook is None else len(notebook),
             "host": socket.gethostname(), "pid": os.getpid(), "created_by": "cron",
             "detail": "{}"},
        )  # fmt: skip


@pytest.fixture
def listed(tmp_path) -> Registry:
    registry = Registry(tmp_path / "registry")
    record(registry, status="passed", model="churn", ago=120)
    record(registry, status="alert", model="churn", ago=60, notebook=json.dumps(NOTEBOOK).encode())
    record(registry, status="passed", model="other", ago=30)
    return registry


def test_jobs_lists_newest_first_and_opens_a_stored_notebook_from_a_shell(listed, capsys):
    home = str(listed.home)
    assert main(["--home", home, "jobs", "churn"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines[1:] if line[:1].isdigit()] == ["2", "1"]
    assert "alert message" in lines[1] and "jupyter-mlops jobs --open 2" in "\n".join(lines)
    assert main(["--home", home, "jobs", "--limit", "1"]) == 0
    assert "other" in capsys.readouterr().out
    assert main(["--home", home, "jobs", "--open", "2"]) == 0
    opened = capsys.readouterr().out.strip()
    assert json.loads(Path(opened).read_text()) == NOTEBOOK
    assert main(["--home", home, "jobs", "--open", "1"]) == 4
    assert "job 1 stored no executed notebook" in capsys.readouterr().err


def test_jobs_in_a_notebook_link_the_executed_notebook(listed, ipython):
    ipython.run_cell(f"%mlops connect {listed.home}")
    ipython.run_cell("listing = %mlops jobs churn")
    listing = ipython.user_ns["listing"]
    assert [job.id for job in listing] == [2, 1]
    assert "%mlops jobs --open 2" in listing._repr_html_()
    assert ipython.run_cell("opened = %mlops jobs --open 2").success
    path = ipython.user_ns["opened"].path
    assert f">{path}</a>" in ipython.user_ns["opened"]._repr_html_()
    ipython.run_cell("listing = %mlops jobs churn")
    assert f">{path}</a>" in ipython.user_ns["listing"]._repr_html_()
    assert listing.to_dict()["rows"][0]["status"] == "alert"


def test_a_job_is_refused_before_anything_is_recorded(tmp_path, capsys):
    home = str(tmp_path / "registry")
    good = tmp_path / "good.ipynb"
    good.write_text(json.dumps(NOTEBOOK))
    (tmp_path / "bad.ipynb").write_text("{not json")
    (tmp_path / "kernelless.ipynb").write_text(json.dumps({**NOTEBOOK, "metadata": {}}))
    (tmp_path / "notes.txt").write_text("")
    (tmp_path / "folder.ipynb").mkdir()
    refusals = {
        ("good.ipynb", "-p", "model", "a", "-p", "model", "b"): "parameter 'model' is given twice",
        ("good.ipynb", "-p", "2x", "a"): "parameter name '2x' is not a Python name",
        ("missing.ipynb",): "does not exist",
        ("folder.ipynb",): "is a directory, not a notebook",
        ("good.ipynb", "-p", "model", "nosuch"): "no model named 'nosuch'",
        ("good.ipynb", "-p", "model", "5"): "no model named '5'",
        ("notes.txt",): "is not a notebook",
        ("bad.ipynb",): "cannot be read as a notebook",
        ("kernelless.ipynb",): "names no kernel to run it with",
        ("good.ipynb", "--timeout", "soon"): "timeout 'soon' is not a duration",
        ("good.ipynb", "--schedule", "7"): "schedule 7 does not exist",
    }
    for arguments, said in refusals.items():
        where = [str(tmp_path / arguments[0]), *arguments[1:]]
        assert main(["--home", home, "monitor", *where]) in (2, 4), arguments
        err = capsys.readouterr().err
        assert said in err and len(err.strip().splitlines()) == 1, err
    assert not Path(home).exists()  # a refused command leaves no new registry behind
    assert operations.jobs(Registry(home)) == []


def test_checks_carry_the_job_id_only_when_it_is_a_number(monkeypatch):
    for raw, read in [("17", 17), ("", None), ("17; DROP", None), ("-3", None), ("0", None)]:
        monkeypatch.setenv(config.JOB_VARIABLE, raw)
        assert config.job_id() == read


def test_a_job_exits_with_the_codes_the_command_line_documents():
    assert (outcomes.ALERT_FIRED, outcomes.NOTEBOOK_FAILED, outcomes.TIMED_OUT) == (
        exits.ALERT_FIRED,
        exits.NOTEBOOK_FAILED,
        exits.TIMED_OUT,
    )
    assert outcomes.SKIPPED == exits.SKIPPED


def test_an_empty_or_refused_listing_says_which_models_have_jobs(listed, capsys):
    home = str(listed.home)
    crashed = _running(listed, pid=2**22 + 7)  # no such process: its runner is gone
    assert main(["--home", home, "jobs", "chrun"]) == 4
    assert "no model named 'chrun' (did you mean 'churn'?)" in capsys.readouterr().err
    assert main(["--home", home, "jobs", "churn@champion"]) == 2
    assert "give the model's name alone, e.g. 'churn'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--home", home, "jobs", "--limit", "0"])
    assert "'0' is not a whole number of 1 or more" in capsys.readouterr().err
    assert main(["--home", home, "jobs", "--limit", "9" * 23]) == 0  # as many as there are
    rows = [line for line in capsys.readouterr().out.splitlines() if line[:1].isdigit()]
    assert [line.split()[0] for line in rows] == ["4", "3", "2", "1"]
    assert main(["--home", home, "jobs", "--open", "9" * 23]) == 4
    assert f"job {2**62} does not exist" in capsys.readouterr().err
    assert main(["--home", home, "jobs", "--open", str(crashed)]) == 4
    assert "(it crashed: its runner ended before" in capsys.readouterr().err
    for wrong in (1.0, True, "1"):
        with pytest.raises(InvalidArgumentError, match="is not a job id"):
            operations.job_notebook(listed, job=wrong)


def test_a_job_running_on_another_machine_says_only_that_machine_can_tell(listed, capsys):
    """This machine cannot prove a runner elsewhere gone, so the job stays running, and
    says where it runs and where its end can be told."""
    _running(listed, pid=2**22 + 7, host="elsewhere")
    [job] = [j for j in operations.jobs(listed, model="churn") if j.status == "running"]
    assert job.message == (
        f"running on elsewhere (pid {2**22 + 7}) as far as the registry knows; whether its "
        "runner is still there is told only on elsewhere"
    )
    assert main(["--home", str(listed.home), "jobs", "churn"]) == 0
    assert "running on elsewhere" in " ".join(capsys.readouterr().out.split())


def _running(registry: Registry, *, pid: int, host: str | None = None) -> int:
    with registry.db.write() as conn:
        return sql.insert_job(
            conn,
            {"kind": "monitor", "model": "churn", "notebook": "/work/monitoring.ipynb",
             "parameters": "{}", "status": "running", "started_at": utc_now(),
             "host": host or socket.gethostname(), "pid": pid, "created_by": "cron",
             "detail": "{}"},
        )  # fmt: skip


# what each status's row holds, as a runner or a skip writes it
ENDED = {
    "passed": (0, "1 check recorded, no alert fired"),
    "alert": (3, "rule 1 (drift.share > 0.3) fired in check 4"),
    "failed": (10, "cell In [4] raised ValueError: no rows today"),
    "timeout": (11, "killed at its timeout of 15s"),
    "skipped": (12, "skipped: the previous run of this schedule is still going"),
    "kept": (13, "registered churn version 2, now the challenger; keep: not better"),
    "stopped": (143, "stopped by SIGTERM: the runner killed the notebook"),
    "missed": (None, "1 run due every 1h did not happen since 2026-12-02 02:36:00 UTC"),
    "running": (None, None),  # its runner is gone: shown 'crashed'
}


def test_a_job_of_every_status_shows_as_html_with_or_without_its_notebook(tmp_path):
    registry = Registry(tmp_path / "registry")
    stored = registry.artifacts.put(json.dumps(NOTEBOOK).encode())
    now = utc_now()
    with registry.db.write() as conn:
        for status, (code, message) in ENDED.items():
            for digest in (stored, None):
                sql.insert_job(
                    conn,
                    {"kind": "retrain", "model": "churn", "notebook": "/work/rt new.ipynb",
                     "parameters": "{}", "status": status, "started_at": now,
                     "exit_code": code, "message": message, "output_sha256": digest,
                     "host": socket.gethostname(), "pid": 2**22 + 7, "created_by": "cron",
                     "detail": "{}"},
                )  # fmt: skip
    listed = operations.jobs(registry)
    assert len(listed) == 2 * len(ENDED)
    for job in listed:
        shown = job._repr_html_()
        assert html.escape(job.title()) in shown and html.escape(job.message or "") in shown
        assert (f"job_notebook(registry, job={job.id})" in shown) is job.stored
        failed = job.exit_code not in (0, None) or job.status == "crashed"
        assert ('class="jp-mlops-diff"' in shown) is failed, job.status
    assert "crashed" in {job.status for job in listed}
    table = listed._repr_html_()
    assert table.count("<tr") == 1 + len(listed) and table.count('class="jp-mlops-diff"') == 14


def test_jobs_are_listed_by_when_they_started_a_missed_row_by_when_its_run_was_due(tmp_path):
    """A missed row is written when the next run starts, but names a time before it."""
    registry = Registry(tmp_path / "registry")
    record(registry, status="passed", model="churn", ago=10)
    record(registry, status="passed", model="churn", ago=1)
    with registry.db.write() as conn:
        sql.insert_job(
            conn,
            {"kind": "monitor", "model": "churn", "notebook": "/work/monitoring.ipynb",
             "parameters": "{}", "status": "missed", "started_at": utc_now() - timedelta(minutes=5),
             "host": "vm", "pid": 1, "created_by": "cron", "detail": "{}"},
        )  # fmt: skip
    assert [job.id for job in operations.jobs(registry)] == [2, 3, 1]
