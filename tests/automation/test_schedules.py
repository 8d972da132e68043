"""Schedules in a crontab (the tests' own, behind a `crontab` program as cron's): installed,
listed with their next run, removed, and a user's own lines kept as they were; each test puts
back what was there before it."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from crontab import CronTab

from jupyter_mlops import Registry, operations
from jupyter_mlops.errors import ConflictError
from tests.automation.conftest import FOREIGN, NEEDS_CRONTAB

pytestmark = NEEDS_CRONTAB


def listed() -> str:
    return subprocess.run(["crontab", "-l"], capture_output=True, text=True, check=True).stdout


def entries() -> dict[str, str]:
    """This user's crontab entries by comment (the schedules' and `FOREIGN`'s, not what the
    user had before the test): their commands as cron hands them to sh."""
    return {
        entry.comment: entry.command
        for entry in CronTab(user=True)
        if entry.comment == "backup" or entry.comment.startswith("jupyter-mlops")
    }


def test_two_schedules_install_list_and_remove_leaving_the_users_lines(
    churn: Registry, notebook: Path, crontab_text: None
) -> None:
    hourly = operations.schedule(
        churn,
        notebook=notebook,
        parameters={"model": "churn@champion", "window": "1d"},
        every="1h",
        timeout="30m",
    )
    weekdays = operations.schedule(
        churn, notebook=notebook, parameters={"window": "7d"}, cron="0 9 * * 1-5"
    )
    assert FOREIGN + "@hourly" in listed()  # the user's lines first, as they were
    assert f"@hourly {hourly.command} # jupyter-mlops schedule {hourly.id}" in listed()

    found = operations.schedules(churn)
    assert [(s.id, s.state, s.every, s.timeout) for s in found] == [
        (hourly.id, "installed", "1h", "30m"),
        (weekdays.id, "installed", "0 9 * * 1-5", "1d"),  # the shortest gap: a day
    ]
    assert all(s.next_run is not None and s.last == "none yet" for s in found)
    assert "next run (UTC)" in str(found) and "installed" in found._repr_html_()
    data = found.to_dict()
    assert json.loads(json.dumps(data, allow_nan=False)) == data
    assert data["schedules"][0]["parameters"] == {"model": "churn@champion", "window": "1d"}
    assert [s.id for s in operations.schedules(churn, model="churn")] == [hourly.id]

    removed = operations.unschedule(churn, schedule=hourly.id)
    assert removed.state == "removed" and not removed.note
    assert list(entries()) == ["backup", f"jupyter-mlops schedule {weekdays.id} {churn.home}"]
    assert [s.id for s in operations.schedules(churn)] == [weekdays.id]

    operations.unschedule(churn, schedule=weekdays.id)
    assert listed().endswith(FOREIGN) and "jupyter-mlops" not in listed()
    assert str(operations.schedules(churn)) == "no schedules"


def test_an_entry_deleted_by_hand_is_listed_not_installed(
    registry: Registry, notebook: Path, crontab_text: None
) -> None:
    made = operations.schedule(registry, notebook=notebook, parameters={}, every="15m")
    by_hand = "".join(line for line in listed().splitlines(True) if "jupyter-mlops" not in line)
    subprocess.run(["crontab", "-"], input=by_hand, text=True, check=True)  # crontab -e

    (found,) = operations.schedules(registry)
    assert (found.state, found.next_run) == ("not installed", None)
    removed = operations.unschedule(registry, schedule=made.id)
    assert removed.note.startswith("its crontab entry was already gone (deleted by hand")


MINE = (
    "# my own comment, above MAILTO\n"
    'MAILTO=""\n'
    'A1 = one\nA2=two words\nA3 = three words\nA4= four\nA5 ="five"\nFOO = bar baz\n'
    "*/5 * * * * echo mine >> /dev/null # a trailing comment\n"
    "\n"
    "@daily echo 'a#b'\n"
    "#*/10 * * * * echo off\n"
)


def test_installing_and_removing_leaves_every_line_of_the_users_byte_for_byte(
    registry: Registry, notebook: Path, crontab_text: None
) -> None:
    """Settings with spaces around `=`, comments, a blank line and lines python-crontab would
    rewrite stay as they were, however often schedules come and go."""
    before = listed()
    mine = before + MINE
    subprocess.run(["crontab", "-"], input=mine, text=True, check=True)
    try:
        for turn in range(2):
            made = operations.schedule(
                registry, notebook=notebook, parameters={"turn": str(turn)}, every="1d"
            )
            text = listed()
            assert text.startswith(mine) and text.count("\n") == mine.count("\n") + 1
            assert text.endswith(f" # jupyter-mlops schedule {made.id} {registry.home}\n")
            operations.unschedule(registry, schedule=made.id)
            assert listed() == mine
    finally:
        subprocess.run(["crontab", "-"], input=before, text=True, check=True)


# lines cron takes (a step past the hour, a range going down: `crontab -n` checks them) and
# python-crontab cannot read, holding the schedules' tag text
UNREADABLE = (
    "*/90 * * * * rotate-logs # jupyter-mlops schedule notes\n"
    "5-1 * * * * echo jupyter-mlops schedule 1 is mine\n"
)


def test_a_users_line_holding_the_tag_that_python_crontab_cannot_read_is_left_quietly(
    registry: Registry, notebook: Path, crontab_text: None, subprocess_env: dict[str, str]
) -> None:
    """`schedule`, `--list` and `--remove` say nothing of such a line on stderr, list the
    schedule as installed, and leave the line byte for byte."""
    mine = listed() + UNREADABLE
    subprocess.run(["crontab", "-"], input=mine, text=True, check=True)
    cli = [str(Path(sys.executable).parent / "jupyter-mlops"), "--home", str(registry.home)]

    def run(*words: str) -> str:
        done = subprocess.run(
            [*cli, "schedule", *words], env=subprocess_env, capture_output=True, text=True
        )
        assert (done.returncode, done.stderr) == (0, ""), done.stderr
        return done.stdout

    run(str(notebook), "--every", "1h", "--backend", "cron")
    assert listed().startswith(mine) and listed().count("\n") == mine.count("\n") + 1
    assert "cron: installed" in run("--list")
    (made,) = operations.schedules(registry)
    run("--remove", str(made.id))
    assert listed() == mine


def test_a_copied_registry_neither_lists_nor_removes_the_originals_entries(
    registry: Registry, notebook: Path, crontab_text: None, tmp_path: Path
) -> None:
    made = operations.schedule(registry, notebook=notebook, parameters={}, every="1h")
    copy = Registry(shutil.copytree(registry.home, tmp_path / "copy"))
    (copied,) = operations.schedules(copy)
    assert (copied.id, copied.state, copied.next_run) == (made.id, "not installed", None)
    run = operations.run_schedule(copy, schedule=made.id)  # Run now in the copy's sidebar
    os.killpg(run.pid, signal.SIGKILL)  # its runner would take seconds to start
    assert f"--home {copy.home} monitor" in run.command and str(registry.home) not in run.command

    assert "this registry is a copy" in operations.unschedule(copy, schedule=made.id).note
    assert str(operations.schedules(copy)) == "no schedules"
    (original,) = operations.schedules(registry)
    assert original.state == "installed"
    assert list(entries()) == ["backup", f"jupyter-mlops schedule {made.id} {registry.home}"]


INSTALLS = """\
import sys
from jupyter_mlops.automation import crontabs
first, home = int(sys.argv[1]), sys.argv[2]
for number in range(first, first + 8):
    crontabs.install(crontabs.tag_of(number, home), cron="0 0 * * *", command="true")
"""


def test_crontab_changes_made_at_once_by_several_processes_are_all_kept(
    crontab_text: None, tmp_path: Path
) -> None:
    """Every change reads, edits and writes the crontab under this user's lock: three
    processes installing eight lines each (as three registries scheduling at once would)
    lose none of them."""
    started = [
        subprocess.Popen([sys.executable, "-c", INSTALLS, str(first), str(tmp_path / home)])
        for first, home in [(1, "a"), (1, "b"), (9, "a")]
    ]
    assert [process.wait(timeout=120) for process in started] == [0, 0, 0]
    tags = [tag for tag in entries() if tag != "backup"]
    assert len(tags) == len(set(tags)) == 24
    assert FOREIGN in listed()


def test_a_second_schedule_of_the_same_notebook_and_parameters_is_refused(
    registry: Registry, notebook: Path, crontab_text: None
) -> None:
    made = operations.schedule(
        registry, notebook=notebook, parameters={"a": "1", "b": 2}, every="1h"
    )
    with pytest.raises(ConflictError, match=f"already scheduled as schedule {made.id}; remove"):
        operations.schedule(registry, notebook=notebook, parameters={"b": "2", "a": 1}, every="1d")
    assert [s.id for s in operations.schedules(registry)] == [made.id]
    assert list(entries()) == ["backup", f"jupyter-mlops schedule {made.id} {registry.home}"]
    operations.schedule(registry, notebook=notebook, parameters={"a": "2", "b": 2}, every="1h")


def test_without_a_cron_daemon_the_schedule_and_the_list_say_so(
    registry: Registry, notebook: Path, crontab_text: None
) -> None:
    running = subprocess.run(["pgrep", "-x", "cron|crond"], capture_output=True).returncode == 0
    said = "no cron daemon runs on this machine"
    made = operations.schedule(registry, notebook=notebook, parameters={}, every="1h")
    found = operations.schedules(registry)
    assert made.state == "installed"
    assert (said in str(made), said in str(found)) == (not running, not running)
    assert (said in found._repr_html_(), said in found.to_dict()["note"]) == (not running,) * 2


HOSTILE = {
    "model": "churn@champion",
    "quote": "'; touch {marker} #",
    "substitution": "$(touch {marker}) `touch {marker}`",
    "spaces": "  two  spaces, 50% off  ",
    "quotes": "\"double\" and 'single' \\ backslash",
}


def test_hostile_parameter_values_reach_the_runner_intact(
    churn: Registry, notebook: Path, crontab_text: None, tmp_path: Path
) -> None:
    """The entry's command, run by sh as cron runs it, hands the runner each value whole;
    `set --` shows the words sh would run the runner with."""
    marker = tmp_path / "injected"
    parameters = {key: value.format(marker=marker) for key, value in HOSTILE.items()}
    made = operations.schedule(churn, notebook=notebook, parameters=parameters, every="1h")
    command = entries()[f"jupyter-mlops schedule {made.id} {churn.home}"]

    shown = subprocess.run(
        ["sh", "-c", f"set -- {command}\nprintf '%s\\0' \"$@\""],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    argv = shown.stdout.split("\0")[:-1]
    pairs = [word for item in parameters.items() for word in ("-p", *item)]
    assert argv[argv.index("--home") :] == [
        *("--home", str(churn.home), "monitor", str(notebook), *pairs),
        *("--schedule", str(made.id), "--timeout", "1h"),
    ]
    assert Path(argv[0]).name in ("jupyter-mlops", "python") and Path(argv[0]).is_absolute()
    assert not marker.exists()
    assert command.endswith(f">> {churn.home / 'jobs' / f'schedule-{made.id}.log'} 2>&1")
