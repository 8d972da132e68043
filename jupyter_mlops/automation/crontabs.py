"""The user's crontab, read and written only through python-crontab, and the one line a
schedule installs in it.

What this module keeps true of a user's crontab:
- It changes only entries whose comment is a schedule's tag of this registry
  (`jupyter-mlops schedule ID HOME`); every other line is written back as python-crontab
  read it. A line python-crontab cannot read back (which it would write back commented
  out) stops the write: the crontab is left as it was and the user is told which line.
- A schedule's command is words quoted by `shlex.quote`, so a `;`, `$(...)` or quote in a
  parameter stays part of its value. It holds no `#`: python-crontab reads a `#` after a
  space (and in an `@hourly` line any `#`) as where the line's comment starts, so a `#`
  in a word is written `$(printf '\\043')` inside double quotes, which the shell turns back
  into `#`. python-crontab escapes a `%` (cron would read it as a line break); a real line
  break cannot be in a crontab line, and a word holding one is refused.
Two processes changing one user's crontab at once could lose one's change (crontab has no
lock); changes of one registry are serialised by its writer lock (see `schedules`).
"""

from __future__ import annotations

import shlex
import shutil
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from jupyter_mlops.errors import InvalidArgumentError, UnavailableError

TAG = "jupyter-mlops schedule"
INSTALLED, DISABLED, NOT_INSTALLED = "installed", "disabled", "not installed"
NO_CRONTAB = "no crontab program"
ELSEWHERE = (
    "install cron (apt-get install cron), or run `jupyter-mlops monitor` from systemd, "
    "Kubernetes or Airflow as examples/scheduling/ shows"
)
_HASH = "'\"$(printf '\\043')\"'"  # closes the quote, a `#` the shell makes, reopens it


def tag_of(schedule_id: int, home: Path) -> str:
    """The comment that marks a schedule's entry: its id and its registry."""
    return f"{TAG} {schedule_id} {home}"


def runner() -> list[str]:
    """This environment's `jupyter-mlops` by its absolute path (cron's PATH has no venv);
    where it has no such script, the same command through this interpreter."""
    script = Path(sys.executable).parent / "jupyter-mlops"
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-m", "jupyter_mlops.cli"]


def command_line(words: Sequence[str], *, log: Path) -> str:
    """`words` as one shell command appending its output and errors to `log`."""
    return " ".join(map(quoted, words)) + f" >> {quoted(str(log))} 2>&1"


def quoted(word: str) -> str:
    """One word for the shell, safe in a crontab line read by python-crontab."""
    one_line(word, what="a word of the command")
    return shlex.quote(word).replace("#", _HASH)


def one_line(text: str, *, what: str) -> str:
    """`text`, refused when a crontab line could not hold it (a line break, a NUL)."""
    if any(char in text for char in "\n\r\0"):
        raise InvalidArgumentError(
            f"{what} {text!r} holds a line break, which a crontab line cannot; give it on one line."
        )
    return text


def install(tag: str, *, cron: str, command: str) -> None:
    """Add the entry `tag` (replacing one left with that tag) running `command` at `cron`."""
    tab = user_crontab(doing="install the schedule")
    tab.remove_all(comment=tag)
    entry = tab.new(command=command, comment=tag)
    entry.setall(cron)
    _write(tab, doing="install the schedule")


def uninstall(tag: str) -> bool:
    """Remove the entry `tag`; whether there was one (a user may have deleted it)."""
    tab = user_crontab(doing="remove the schedule")
    if not tab.remove_all(comment=tag):
        return False
    _write(tab, doing="remove the schedule")
    return True


def states(tags: Iterable[str]) -> dict[str, str]:
    """Each tag's entry: installed, disabled (commented out), or not installed; all
    `NO_CRONTAB` where this machine has no crontab program."""
    tags = list(tags)
    if shutil.which("crontab") is None:
        return dict.fromkeys(tags, NO_CRONTAB)
    found = {entry.comment: entry for entry in user_crontab(doing="list schedules")}
    return {tag: _state(found.get(tag)) for tag in tags}


def _state(entry: Any) -> str:
    if entry is None:
        return NOT_INSTALLED
    return INSTALLED if entry.is_enabled() else DISABLED


def user_crontab(*, doing: str) -> Any:
    """This user's crontab, read through the `crontab` program on PATH."""
    from crontab import CronTab

    program = shutil.which("crontab")
    if program is None:
        raise UnavailableError(f"cannot {doing}: this machine has no crontab program; {ELSEWHERE}.")
    try:
        tab = CronTab(user=True)
        if tab.cron_command != program:  # python-crontab found its own when imported
            tab.cron_command = program
            tab.read()
    except OSError as exc:
        raise UnavailableError(f"cannot {doing}: reading the crontab failed ({exc}).") from None
    return tab


def _write(tab: Any, *, doing: str) -> None:
    """Write `tab` back; a line python-crontab cannot read stops it (nothing is written)."""
    try:
        tab.write(errors=True)
    except ValueError as exc:
        line = str(exc).removeprefix("Invalid line: ")
        raise UnavailableError(
            f"cannot {doing}: python-crontab cannot read back the crontab line {line!r}, so "
            "the crontab was left as it was; correct or delete that line with crontab -e and "
            "run this again."
        ) from None
    except OSError as exc:
        raise UnavailableError(f"cannot {doing}: writing the crontab failed ({exc}).") from None
