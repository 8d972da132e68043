"""The user's crontab, read and written as text, and the one line a schedule installs in it.

What this module keeps true of a user's crontab:
- A change adds or takes out only a schedule's own line: one whose comment is the tag of a
  schedule of this registry (`jupyter-mlops schedule ID HOME`, or a shared registry's URL
  without its password in place of HOME). Every other line (settings
  like `A = b`, comments, blank lines, entries) stays byte for byte as it was, so an
  install followed by its removal leaves the crontab as it was. python-crontab only renders
  our line and reads a line to tell whether it is ours (and commented out); it never
  rewrites the user's text, and the error it logs for a line it cannot read (a user's own
  that mentions our tag: `*/90 * * * *`, which cron takes) is not shown: not ours to report.
- A change is one read, edit and write (`crontab -l`, `crontab -`) under a lock file of this
  user's: two registries scheduling at once never lose each other's line (crontab itself
  has no lock). The line is read back after an install; one not there is an error, never a
  silent success.
- A schedule's command is words quoted by `shlex.quote`, so a `;`, `$(...)` or quote in a
  parameter stays part of its value. It holds no `#`: python-crontab reads a `#` after a
  space (and in an `@hourly` line any `#`) as where the line's comment starts, so a `#`
  in a word is written `$(printf '\\043')` inside double quotes, which the shell turns back
  into `#`. python-crontab escapes a `%` (cron would read it as a line break); a real line
  break cannot be in a crontab line, and a word holding one is refused.
"""

from __future__ import annotations

import fcntl
import logging
import os
import pwd
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from jupyter_mlops.errors import InvalidArgumentError, UnavailableError

TAG = "jupyter-mlops schedule"
INSTALLED, DISABLED, NOT_INSTALLED = "installed", "disabled", "not installed"
NO_CRONTAB = "no crontab program"
ELSEWHERE = (
    "install cron (apt-get install cron), or run `jupyter-mlops monitor` from systemd, "
    "Kubernetes or Airflow as examples/scheduling/ shows"
)
NO_DAEMON = (
    "no cron daemon runs on this machine (no cron or crond process), so cron runs no entry "
    "until one starts (service cron start)"
)
LOCK_WAIT = 60.0  # seconds another process's change of the crontab may hold us up
_HASH = "'\"$(printf '\\043')\"'"  # closes the quote, a `#` the shell makes, reopens it
_SHELL_HASH = "$(printf '\\043')"  # what of `_HASH` is left in a word the shell splits


def tag_of(schedule_id: int, registry: str | Path) -> str:
    """The comment that marks a schedule's entry: its id and its registry (its home, or a
    shared registry's URL: `locations.identity`)."""
    return f"{TAG} {schedule_id} {registry}"


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


def words_of(command: str) -> list[str]:
    """The words of a command `command_line` made, as the shell hands them on (a `#` where
    `quoted` wrote one; the redirection to the log as words of their own too); [] for text
    the shell could not split."""
    try:
        return [word.replace(_SHELL_HASH, "#") for word in shlex.split(command)]
    except ValueError:
        return []


def one_line(text: str, *, what: str) -> str:
    """`text`, refused when a crontab line could not hold it (a line break, a NUL)."""
    if any(char in text for char in "\n\r\0"):
        raise InvalidArgumentError(
            f"{what} {text!r} holds a line break, which a crontab line cannot; give it on one line."
        )
    return text


def install(tag: str, *, cron: str, command: str) -> None:
    """Add the line `tag` (replacing one left with that tag) running `command` at `cron`,
    and read it back."""
    from crontab import CronItem

    entry = CronItem(command=command, comment=tag)
    entry.setall(cron)
    doing = "install the schedule"
    with _locked(doing=doing):
        text = _without(_read(doing=doing), tag)
        if text and not text.endswith("\n"):
            text += "\n"
        _write(text + entry.render() + "\n", doing=doing)
        if _entries(_read(doing=doing)).get(tag) is not True:
            raise UnavailableError(
                f"cannot {doing}: its crontab line ({tag}) was not there when read back, so "
                "something else changed the crontab at once; run this again."
            )


def uninstall(tag: str) -> bool:
    """Take out the line `tag`; whether there was one (a user may have deleted it)."""
    doing = "remove the schedule"
    with _locked(doing=doing):
        text = _read(doing=doing)
        kept = _without(text, tag)
        if kept == text:
            return False
        _write(kept, doing=doing)
    return True


def states(tags: Iterable[str]) -> dict[str, str]:
    """Each tag's line: installed, disabled (commented out), or not installed; all
    `NO_CRONTAB` where this machine has no crontab program."""
    tags = list(tags)
    if shutil.which("crontab") is None:
        return dict.fromkeys(tags, NO_CRONTAB)
    found = _entries(_read(doing="list schedules"))
    return {tag: _state(found.get(tag)) for tag in tags}


def require_program(*, doing: str) -> str:
    """The `crontab` program on PATH, refused in one sentence where there is none."""
    program = shutil.which("crontab")
    if program is None:
        raise UnavailableError(f"cannot {doing}: this machine has no crontab program; {ELSEWHERE}.")
    return program


def cron_running() -> bool | None:
    """Whether a cron daemon (a `cron` or `crond` process) runs on this machine; None where
    that cannot be told (no /proc)."""
    proc = Path("/proc")
    if not (proc / "self").is_dir():
        return None
    for comm in proc.glob("[0-9]*/comm"):
        try:
            if comm.read_text().strip() in ("cron", "crond"):
                return True
        except OSError:  # the process ended while we looked
            continue
    return False


def _state(enabled: bool | None) -> str:
    if enabled is None:
        return NOT_INSTALLED
    return INSTALLED if enabled else DISABLED


def _entries(text: str) -> dict[str, bool]:
    """The schedules' lines of a crontab: each tag, and whether its line is enabled."""
    found = {}
    for line in text.splitlines():
        tag, enabled = _ours(line)
        if tag:
            found[tag] = enabled
    return found


def _without(text: str, tag: str) -> str:
    """`text` but for the lines of schedule `tag` (enabled or commented out)."""
    return "".join(line for line in text.splitlines(keepends=True) if _ours(line)[0] != tag)


def _ours(line: str) -> tuple[str, bool]:
    """The tag of a schedule's line and whether it is enabled; ('', False) for a line of
    the user's own."""
    if TAG not in line:
        return "", False
    from crontab import CronTab

    with _unlogged():
        items = list(CronTab(tab=line.rstrip("\r\n")))
    if len(items) == 1 and items[0].comment.startswith(TAG + " "):
        return items[0].comment, bool(items[0].is_enabled())
    return "", False


@contextmanager
def _unlogged() -> Iterator[None]:
    """python-crontab's log records dropped in this thread while the block runs (another
    thread's, a user's own use of python-crontab, still go where they go)."""
    log, thread = logging.getLogger("crontab"), threading.get_ident()

    def elsewhere(record: logging.LogRecord) -> bool:
        return record.thread != thread

    log.addFilter(elsewhere)
    try:
        yield
    finally:
        log.removeFilter(elsewhere)


def _read(*, doing: str) -> str:
    """This user's crontab as `crontab -l` prints it ('' when the user has none), its bytes
    kept as they are (`surrogateescape`)."""
    done = _crontab(["-l"], doing=doing)
    if done.returncode != 0:
        said = done.stderr.decode(errors="replace").strip()
        if "no crontab for" in said:
            return ""
        raise UnavailableError(f"cannot {doing}: crontab -l failed ({said}).")
    return done.stdout.decode(errors="surrogateescape")


def _write(text: str, *, doing: str) -> None:
    """Install `text` as this user's crontab (none at all when it is empty)."""
    data = text.encode(errors="surrogateescape")
    done = _crontab(["-"] if data else ["-r"], doing=doing, data=data)
    if done.returncode != 0 and data:
        said = done.stderr.decode(errors="replace").strip()
        raise UnavailableError(f"cannot {doing}: writing the crontab failed ({said}).")


def _crontab(
    args: list[str], *, doing: str, data: bytes = b""
) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(
            [require_program(doing=doing), *args], input=data, capture_output=True, timeout=60
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise UnavailableError(f"cannot {doing}: running crontab failed ({exc}).") from None


@contextmanager
def _locked(*, doing: str) -> Iterator[None]:
    """This user's crontab lock held while the block reads, edits and writes the crontab."""
    path = _lock_path()
    with path.open("a") as handle:
        deadline = time.monotonic() + LOCK_WAIT
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise UnavailableError(
                        f"cannot {doing}: another process has held the crontab lock {path} "
                        f"for {LOCK_WAIT:g} s; run this again once it has finished."
                    ) from None
                time.sleep(0.02)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _lock_path() -> Path:
    """The lock file of this user's crontab: one per user id, whatever HOME says, in the
    user's cache directory (the temporary directory where that cannot be written)."""
    uid = os.getuid()
    folder = Path(pwd.getpwuid(uid).pw_dir) / ".cache" / "jupyter-mlops"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        return folder / "crontab.lock"
    except OSError:
        return Path(tempfile.gettempdir()) / f"jupyter-mlops-crontab-{uid}.lock"
