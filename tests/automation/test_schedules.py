"""Schedules in a real crontab: installed, listed with their next run, removed, and a
user's own lines kept as they were. The crontab is this user's; each test puts back what
was there before it."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from crontab import CronTab

from jupyter_mlops import Registry, operations
from jupyter_mlops.errors import UnavailableError
from tests.automation.conftest import FOREIGN, NEEDS_CRONTAB

pytestmark = NEEDS_CRONTAB


def listed() -> str:
    return subprocess.run(["crontab", "-l"], capture_output=True, text=True, check=True).stdout


def entries() -> dict[str, str]:
    """This user's crontab entries by comment: their commands as cron hands them to sh."""
    return {entry.comment: entry.command for entry in CronTab(user=True)}


def test_two_schedules_install_list_and_remove_leaving_the_users_lines(
    registry: Registry, notebook: Path, crontab_text: None
) -> None:
    hourly = operations.schedule(
        registry,
        notebook=notebook,
        parameters={"model": "churn@champion", "window": "1d"},
        every="1h",
        timeout="30m",
    )
    weekdays = operations.schedule(
        registry, notebook=notebook, parameters={"model": "fraud"}, cron="0 9 * * 1-5"
    )
    assert listed().startswith(FOREIGN)
    assert f"@hourly {hourly.command} # jupyter-mlops schedule {hourly.id}" in listed()

    found = operations.schedules(registry)
    assert [(s.id, s.state, s.every, s.timeout) for s in found] == [
        (hourly.id, "installed", "1h", "30m"),
        (weekdays.id, "installed", "0 9 * * 1-5", "1d"),  # the shortest gap: a day
    ]
    assert all(s.next_run is not None and s.last == "none yet" for s in found)
    assert "next run (UTC)" in str(found) and "installed" in found._repr_html_()
    data = found.to_dict()
    assert json.loads(json.dumps(data, allow_nan=False)) == data
    assert data["schedules"][0]["parameters"] == {"model": "churn@champion", "window": "1d"}
    assert [s.id for s in operations.schedules(registry, model="fraud")] == [weekdays.id]

    removed = operations.unschedule(registry, schedule=hourly.id)
    assert removed.state == "removed" and not removed.note
    assert list(entries()) == ["backup", f"jupyter-mlops schedule {weekdays.id} {registry.home}"]
    assert [s.id for s in operations.schedules(registry)] == [weekdays.id]

    operations.unschedule(registry, schedule=weekdays.id)
    assert listed() == FOREIGN
    assert str(operations.schedules(registry)) == "no schedules"


def test_an_entry_deleted_by_hand_is_listed_not_installed(
    registry: Registry, notebook: Path, crontab_text: None
) -> None:
    made = operations.schedule(registry, notebook=notebook, parameters={}, every="15m")
    subprocess.run(["crontab", "-"], input=FOREIGN, text=True, check=True)  # crontab -e

    (found,) = operations.schedules(registry)
    assert (found.state, found.next_run) == ("not installed", None)
    removed = operations.unschedule(registry, schedule=made.id)
    assert removed.note == "its crontab entry was already gone (deleted by hand)"


def test_a_line_python_crontab_cannot_keep_stops_the_install(
    registry: Registry, notebook: Path, crontab_text: None
) -> None:
    """python-crontab would write `@daily echo 'a#b'` back commented out: nothing changes."""
    kept = FOREIGN + "@daily echo 'a#b'\n"
    subprocess.run(["crontab", "-"], input=kept, text=True, check=True)
    with pytest.raises(UnavailableError, match="crontab -e"):
        operations.schedule(registry, notebook=notebook, parameters={}, every="1d")
    assert listed() == kept
    assert str(operations.schedules(registry)) == "no schedules"


HOSTILE = {
    "model": "churn@champion",
    "quote": "'; touch {marker} #",
    "substitution": "$(touch {marker}) `touch {marker}`",
    "spaces": "  two  spaces, 50% off  ",
    "quotes": "\"double\" and 'single' \\ backslash",
}


def test_hostile_parameter_values_reach_the_runner_intact(
    registry: Registry, notebook: Path, crontab_text: None, tmp_path: Path
) -> None:
    """The entry's command, run by sh as cron runs it, hands the runner each value whole;
    `set --` shows the words sh would run the runner with."""
    marker = tmp_path / "injected"
    parameters = {key: value.format(marker=marker) for key, value in HOSTILE.items()}
    made = operations.schedule(registry, notebook=notebook, parameters=parameters, every="1h")
    command = entries()[f"jupyter-mlops schedule {made.id} {registry.home}"]

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
        *("--home", str(registry.home), "monitor", str(notebook), *pairs),
        *("--schedule", str(made.id), "--timeout", "1h"),
    ]
    assert Path(argv[0]).name in ("jupyter-mlops", "python") and Path(argv[0]).is_absolute()
    assert not marker.exists()
    assert command.endswith(f">> {registry.home / 'jobs' / f'schedule-{made.id}.log'} 2>&1")
