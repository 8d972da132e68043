"""Executing a notebook with papermill in a child process, which a deadline can end whole.

papermill runs as `python -m papermill` (never imported: the core runs without Jupyter) in a
session of its own, so its process group is its own. The kernel it starts is not in that
group: jupyter_client starts every kernel in a new session too. So ending a run ends the
papermill group and the group of each of its children (the kernel, and whatever the kernel
started in its group), found through /proc before papermill dies (once it has, its kernel
belongs to init and cannot be told from any other process); the papermill group is stopped
first, so it starts no kernel between the look and the kill. No kernel outlives a run
killed at its deadline, or a runner interrupted while it waits. What the notebook started
in a session of its own on purpose (a model server `%mlops deploy` started) is left
running, as it would be had the notebook ended.

A runner that dies without a chance to end the run (SIGKILL, out of memory) takes papermill
with it: on Linux papermill starts with a parent-death signal (`prctl(PR_SET_PDEATHSIG)`),
and the kernel, whose parent papermill was, polls for its parent and ends once it is gone
(ipykernel does, a second at most), so a notebook never runs on unowned beside the next run.

The executed notebook is what papermill writes: saved after each cell, and on failure with
the failing cell marked (a markdown cell tagged `papermill-error-cell-tag` before it).
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ERROR_TAG = "papermill-error-cell-tag"  # the tag papermill gives the cells marking a failure
_PROC = Path("/proc")
FULL = 1 << 20  # bytes free below which a disk is told full: no notebook fits in less
_PR_SET_PDEATHSIG = 1  # linux/prctl.h


@dataclass(frozen=True)
class Execution:
    """How a papermill run ended: its exit status, whether the deadline ended it, the last
    line it wrote to stderr (why it failed, when no cell did)."""

    returncode: int
    timed_out: bool
    process_group: int
    last_words: str


@dataclass(frozen=True)
class Failure:
    """The cell that raised: its execution count (`In [n]`) and the error's last line."""

    cell: int | None
    error: str


def command(notebook: Path, output: Path, parameters: Mapping[str, str]) -> list[str]:
    """The papermill command line running `notebook` in its own directory into `output`."""
    words = [sys.executable, "-m", "papermill", str(notebook), str(output)]
    for key, value in parameters.items():
        words += ["-p", key, value]
    return [*words, "--cwd", str(notebook.parent), "--no-log-output", "--no-progress-bar"]


def execute(
    notebook: Path,
    output: Path,
    *,
    parameters: Mapping[str, str],
    env: Mapping[str, str],
    timeout: float | None,
    started: Any = None,
) -> Execution:
    """Run `notebook` into `output` in the environment `env` (the whole of it: what names
    the registry is `locations.environment`'s); at `timeout` seconds the whole run is killed.
    `started(process_group)` is called once the child is running."""
    stderr_path = output.with_suffix(".stderr")
    with open(stderr_path, "wb") as stderr:
        child = subprocess.Popen(
            command(notebook, output, parameters),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            env=dict(env),
            start_new_session=True,
            preexec_fn=_dies_with(os.getpid()),
        )
    timed_out = False
    try:
        if started is not None:
            started(child.pid)
        child.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        kill_tree(child.pid)
        child.wait()
    except BaseException:  # an interrupt of the runner, or a failure to record the start
        kill_tree(child.pid)
        child.wait()
        raise
    said = _last_line(stderr_path)
    if child.returncode != 0 and not said:  # where papermill wrote nothing, a full disk says why
        said = _disk_full(output.parent)
    return Execution(child.returncode, timed_out, child.pid, said)


def _disk_full(folder: Path) -> str:
    """Why a run that failed left no word: the disk holding its folder is full ('' when it
    is not, or cannot be asked)."""
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        return ""
    if free >= FULL:
        return ""
    return (
        f"the disk holding {folder} is full ({free:,} bytes free), so papermill could write "
        "neither the executed notebook nor why it stopped; free some space and run it again"
    )


def _dies_with(parent: int) -> Any:
    """What a child runs before papermill starts, on Linux: be killed when `parent` dies
    (and end at once if it already has). Elsewhere nothing: the deadline still holds."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl  # found here: a forked child only calls
    except (OSError, AttributeError):
        return None

    def die_with_parent() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # it died before the signal was asked for
            os._exit(1)

    return die_with_parent


def kill_tree(group: int) -> None:
    """SIGKILL the process group `group` leads and the group of each of its children."""
    try:
        os.killpg(group, signal.SIGSTOP)  # it starts nothing new while its children are read
    except ProcessLookupError:
        return
    groups = {group} | {_group_of(pid) for pid in children(group)}
    for each in groups - {0, os.getpgrp()}:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(each, signal.SIGKILL)


def group_running(group: int) -> bool:
    """Whether a live process (not a zombie) of process group `group` runs on this machine."""
    for entry in _PROC.iterdir():
        fields = _stat(int(entry.name)) if entry.name.isdigit() else None
        if fields and int(fields[2]) == group and fields[0] != "Z":
            return True
    return False


def children(pid: int) -> list[int]:
    """The live children of `pid` on this machine, read from /proc."""
    found = []
    for entry in _PROC.iterdir():
        if entry.name.isdigit() and _parent_of(int(entry.name)) == pid:
            found.append(int(entry.name))
    return found


def _stat(pid: int) -> list[str] | None:
    try:
        text = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    return text.rpartition(")")[2].split()  # the name in parentheses may hold spaces


def _parent_of(pid: int) -> int | None:
    fields = _stat(pid)
    return int(fields[1]) if fields else None


def _group_of(pid: int) -> int:
    fields = _stat(pid)
    return int(fields[2]) if fields else 0


def _last_line(path: Path) -> str:
    """Why papermill failed, from what it wrote to stderr ('' when nothing): the last line
    naming an exception (`nbclient.exceptions.DeadKernelError: Kernel died`), with where
    in the output an invalid one was (`On instance['data'][...]`); else its last line."""
    try:
        lines = [line.strip() for line in path.read_text(errors="replace").splitlines()]
    except OSError:
        return ""
    lines = [line for line in lines if line]
    raised = [i for i, line in enumerate(lines) if _RAISED.match(line)]
    if not raised:
        return lines[-1] if lines else ""
    said = lines[raised[-1]]
    where = next((line for line in lines[raised[-1] :] if line.startswith("On instance")), "")
    where = where.rstrip(":").replace("On instance", "on instance", 1)
    return f"{said}, {where}" if where else said


_RAISED = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Interrupt|Exit)\w*(:\s|:?$)")


# the executed notebook


def read_notebook(path: Path) -> bytes | None:
    """The executed notebook's bytes, when papermill wrote a whole one (a run killed while
    writing leaves a part that is no JSON: None, as when it wrote nothing)."""
    try:
        data = path.read_bytes()
        json.loads(data)
    except (OSError, ValueError):
        return None
    return data


def failure(data: bytes) -> Failure | None:
    """The cell that raised in an executed notebook, as papermill marked it; None when none
    did. Its error's last line is the exception's name and message."""
    cells = json.loads(data).get("cells", [])
    marked = [i for i, cell in enumerate(cells) if ERROR_TAG in _tags(cell)]
    candidates = [cells[i + 1] for i in marked if i + 1 < len(cells)] + cells
    for cell in candidates:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error" and not _clean_exit(output):
                line = f"{output.get('ename', 'Error')}: {output.get('evalue', '')}"
                return Failure(cell.get("execution_count"), line.strip().rstrip(":"))
    for cell in candidates[: len(marked)]:  # a magic's UsageError: IPython writes only a line
        line = _usage_error(cell)
        if line:
            return Failure(cell.get("execution_count"), line)
    return None


def _usage_error(cell: dict[str, Any]) -> str:
    """The `UsageError: ...` line a magic's refusal wrote to stderr ('' when none): IPython
    shows it as text, not as an error output."""
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream" and output.get("name") == "stderr":
            text = output.get("text", "")
            text = "".join(text) if isinstance(text, list) else str(text)
            found = [line for line in text.splitlines() if line.startswith("UsageError: ")]
            if found:
                return found[-1].strip()
    return ""


def last_started(data: bytes) -> int | None:
    """The execution count of the last cell papermill started in an executed notebook (the
    one it was running when it failed without a cell raising); None when none started."""
    cells = json.loads(data).get("cells", [])
    started = [
        cell for cell in cells if cell.get("metadata", {}).get("papermill", {}).get("start_time")
    ]
    return started[-1].get("execution_count") if started else None


def has_parameters_cell(notebook: dict[str, Any]) -> bool:
    """Whether a cell is tagged `parameters` (papermill adds one of its own otherwise)."""
    return any("parameters" in _tags(cell) for cell in notebook.get("cells", []))


def _tags(cell: dict[str, Any]) -> list[str]:
    tags = cell.get("metadata", {}).get("tags", [])
    return tags if isinstance(tags, list) else []


def _clean_exit(output: dict[str, Any]) -> bool:
    """`sys.exit()` or `sys.exit(0)`: papermill does not count it as a failure."""
    return output.get("ename") == "SystemExit" and output.get("evalue") in ("", "0")
