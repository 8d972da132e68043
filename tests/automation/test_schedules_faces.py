"""`jupyter-mlops schedule` and `%mlops schedule`: what each says when it refuses, with
its exit code, and the same schedule installed, listed and removed from a notebook."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from IPython.core.interactiveshell import InteractiveShell

from jupyter_mlops import Registry, operations
from jupyter_mlops.cli import main
from tests.automation.conftest import NEEDS_CRONTAB

pytestmark = NEEDS_CRONTAB


def refused(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().err.strip()


def test_refusals_say_what_to_do_and_exit_with_their_kind(
    registry: Registry,
    notebook: Path,
    crontab_text: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    home = ("--home", str(registry.home))
    code, said = refused(capsys, *home, "schedule", str(notebook), "--every", "7m")
    assert code == 2
    assert said.startswith("jupyter-mlops: --every 7m is not an interval cron keeps; use one of")
    assert "5m, 6m, 10m, 12m, 15m, 20m, 30m, 1h, 2h, 3h, 4h, 6h, 8h, 12h, 1d, 1w" in said

    code, said = refused(
        capsys, *home, "schedule", str(notebook), "--every", "1h", "--cron", "0 1 * * *"
    )
    assert code == 2
    assert said == (
        "jupyter-mlops: a schedule needs how often it runs, given once; give --every 1h or "
        '--cron "0 * * * *", not both.'
    )
    code, said = refused(
        capsys, *home, "schedule", str(notebook.with_name("gone.ipynb")), "--every", "1h"
    )
    assert (code, said.split(";")[0]) == (
        4,
        f"jupyter-mlops: notebook {str(notebook.with_name('gone.ipynb'))!r} does not exist",
    )

    code, said = refused(capsys, *home, "schedule", str(notebook), "--cron", "@reboot")
    assert code == 2 and "has no runs to step through" in said
    code, said = refused(capsys, *home, "schedule", str(notebook), "--cron", "*/90 * * * *")
    assert code == 2 and "one of its fields is out of range (minute 0-59" in said
    code, said = refused(capsys, *home, "schedule", str(notebook), "--cron", "* * *")
    assert code == 2 and "write five fields (minute, hour, day, month, weekday)" in said
    code, said = refused(
        capsys, *home, "schedule", str(notebook), "--every", "1h", "-p", "window", "yesterday"
    )
    assert code == 2 and "yesterday" in said, said

    code, said = refused(
        capsys, *home, "schedule", str(notebook), "--every", "1h", "-p", "w", "a\nb"
    )
    assert code == 2 and "holds a line break" in said

    code, said = refused(capsys, *home, "schedule", "--remove", "12")
    assert code == 4
    assert said == (
        "jupyter-mlops: no schedule has id 12 (this registry's: none); list them with "
        "jupyter-mlops schedule --list."
    )
    assert str(operations.schedules(registry)) == "no schedules"


def test_a_schedule_that_could_never_run_is_refused_as_the_runner_refuses_it(
    churn: Registry, notebook: Path, crontab_text: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """What `monitor` would refuse at every turn, and a `model` parameter naming no model
    or alias, is refused when scheduling, in the runner's words."""
    home = ("--home", str(churn.home))
    (notebook.parent / "bad.ipynb").write_text("not json")
    code, said = refused(
        capsys, *home, "schedule", str(notebook.parent / "bad.ipynb"), "--every", "1h"
    )
    monitored = refused(capsys, *home, "monitor", str(notebook.parent / "bad.ipynb"))
    assert (code, said) == monitored and "cannot be read as a notebook" in said
    kernelless = notebook.parent / "kernelless.ipynb"  # papermill could never start one
    kernelless.write_text(json.dumps({**json.loads(notebook.read_text()), "metadata": {}}))
    code, said = refused(capsys, *home, "schedule", str(kernelless), "--every", "1h")
    assert (code, said) == refused(capsys, *home, "monitor", str(kernelless))
    assert said.endswith("names no kernel to run it with (its metadata has no kernelspec); "
                         "open it in Jupyter, choose a kernel and save it."), said  # fmt: skip
    for model, words in [
        ("chrn", "no model named 'chrn' (did you mean 'churn'?)"),
        ("churn@nope", "churn has no alias 'nope'"),
        ("churn:9", "churn has no version 9"),
    ]:
        code, said = refused(
            capsys, *home, "schedule", str(notebook), "--every", "1h", "-p", "model", model
        )
        assert code == 4 and said.startswith(f"jupyter-mlops: {words}"), said
    assert str(operations.schedules(churn)) == "no schedules"


def test_a_run_claiming_a_schedule_not_its_own_is_refused(
    churn: Registry, notebook: Path, crontab_text: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """Only the schedule's own notebook and parameters run as it, and only while it is not
    removed: any other run would count as its last job and change its missed runs."""
    home = ("--home", str(churn.home))
    made = operations.schedule(churn, notebook=notebook, parameters={"window": "1d"}, every="1h")
    other = notebook.with_name("other.ipynb")
    other.write_text(notebook.read_text())
    for argv in [(other, "-p", "window", "1d"), (notebook, "-p", "window", "7d"), (notebook,)]:
        code, said = refused(capsys, *home, "monitor", *map(str, argv), "--schedule", str(made.id))
        assert code == 2 and said.startswith(f"jupyter-mlops: schedule {made.id} runs monitor"), (
            said
        )
        assert said.endswith(f"leave out --schedule {made.id} to run this notebook unscheduled.")
    operations.unschedule(churn, schedule=made.id)
    code, said = refused(
        capsys, *home, "monitor", str(notebook), "-p", "window", "1d", "--schedule", str(made.id)
    )
    assert (code, said.split(";")[0]) == (4, f"jupyter-mlops: schedule {made.id} was removed")
    assert operations.jobs(churn) == []


def test_without_a_crontab_program_nothing_is_recorded(
    registry: Registry,
    notebook: Path,
) -> None:
    """A shell whose PATH has no crontab: one sentence naming cron and the examples, exit 9."""
    env = {**os.environ, "PATH": str(Path(sys.executable).parent)}
    done = subprocess.run(
        [
            *(sys.executable, "-m", "jupyter_mlops.cli", "--home", str(registry.home)),
            *("schedule", str(notebook), "--every", "1h", "-p", "window", "1d"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 9
    assert done.stderr == (
        "jupyter-mlops: cannot install the schedule: this machine has no crontab program; "
        "install cron (apt-get install cron), or run `jupyter-mlops monitor` from systemd, "
        "Kubernetes or Airflow as examples/scheduling/ shows.\n"
    )
    assert str(operations.schedules(registry)) == "no schedules"
    assert not (registry.home / "jobs").exists()


def test_without_a_crontab_program_a_schedule_is_still_removed(
    registry: Registry,
    notebook: Path,
    crontab_text: None,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made = operations.schedule(registry, notebook=notebook, parameters={}, every="1h")
    monkeypatch.setenv("PATH", str(Path(sys.executable).parent))  # cron uninstalled since
    assert main(["--home", str(registry.home), "schedule", "--remove", str(made.id)]) == 0
    said = capsys.readouterr().out
    assert "crontab entry: removed" in said
    assert "this machine has no crontab program, so there was no crontab entry to take out" in said
    assert str(operations.schedules(registry)) == "no schedules"


def test_a_notebook_schedules_lists_and_removes(
    ipython: InteractiveShell,
    churn: Registry,
    notebook: Path,
    crontab_text: None,
) -> None:
    assert ipython.run_cell(f"%mlops connect {churn.home}").success
    made = ipython.run_line_magic(
        "mlops", f"schedule '{notebook}' --every 6h -p model churn@champion --timeout 2h"
    )
    assert (made.every, made.timeout, made.model, made.cron) == ("6h", "2h", "churn", "0 */6 * * *")
    shown = ipython.run_line_magic("mlops", "schedule --list churn")
    assert [(s.id, s.state) for s in shown] == [(made.id, "installed")]
    assert ipython.run_line_magic("mlops", f"schedule --remove {made.id}").state == "removed"
    assert len(ipython.run_line_magic("mlops", "schedule --list")) == 0


def test_a_listing_names_a_model_the_registry_holds_on_every_face(
    ipython: InteractiveShell, churn: Registry, capsys: pytest.CaptureFixture[str]
) -> None:
    """A misspelt model, a ref or an empty name is refused, never listed as no schedules."""
    home = ("--home", str(churn.home))
    code, said = refused(capsys, *home, "schedule", "--list", "churm")
    assert code == 4 and "no model named 'churm' (did you mean 'churn'?)" in said
    code, said = refused(capsys, *home, "schedule", "--list", "churn@champion")
    assert (code, said) == (
        2,
        "jupyter-mlops: 'churn@champion' names a version, but schedules are listed by model; "
        "give the model's name alone, e.g. 'churn'.",
    )
    assert refused(capsys, *home, "schedule", "--list", "")[0] == 2
    assert main([*home, "schedule", "--list", "churn"]) == 0
    assert capsys.readouterr().out.strip() == "no schedules"
    assert ipython.run_cell(f"%mlops connect {churn.home}").success
    result = ipython.run_cell("%mlops schedule --list churm")
    assert "no model named 'churm'" in str(result.error_in_exec)
