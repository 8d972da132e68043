"""What registration captures about where a model came from.

The calling code, the notebook, the git commit, the Python and package versions,
the user. None of it needs Jupyter: a notebook cell's source is found through
`linecache`, where IPython registers every cell it runs.
"""

from __future__ import annotations

import functools
import getpass
import importlib.metadata
import inspect
import linecache
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

from jupyter_mlops.config import machine
from jupyter_mlops.registry.refs import check_user

PACKAGES = ("jupyter-mlops", "scikit-learn", "numpy", "pandas", "scipy", "skops", "duckdb")
_PACKAGE_ROOT = str(Path(__file__).resolve().parent.parent)
_PLUMBING = {"contextlib", "importlib", "functools", "runpy"}  # frames between caller and us


def current_user() -> str:
    """Who a change is recorded as: $MLOPS_USER (checked: it is shown in every listing),
    else the operating system's user."""
    explicit = os.environ.get("MLOPS_USER")
    if explicit:
        return check_user(explicit)
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def process_gone(host: str | None, pid: int | None) -> bool:
    """True when a recorded process (a run, a server) is known to be gone: checked on its
    own host only; elsewhere, or without a pid, it is not known to be gone."""
    if pid is None or host != machine():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


# code compiled under a name of its own (a cell a cell magic runs), as it was typed
_TYPED: dict[str, str] = {}


def remember_typed(filename: str, source: str) -> None:
    """Code compiled as `filename` was typed as `source`: what a run started in it records."""
    _TYPED[filename] = source


def caller_code() -> str | None:
    """The source of the first frame outside this package: a notebook cell or a script."""
    frame = inspect.currentframe()
    while frame is not None:
        filename = frame.f_code.co_filename
        module = str(frame.f_globals.get("__name__", ""))
        ours = filename.startswith(_PACKAGE_ROOT)
        if not ours and module.split(".")[0] not in _PLUMBING:
            lines = linecache.getlines(filename, frame.f_globals)
            return _as_typed("".join(lines), filename, frame.f_globals) or None
        frame = frame.f_back
    return None


def _as_typed(source: str, filename: str, namespace: dict[str, Any]) -> str:
    """A notebook cell as the user typed it (`%time clf = fit()`), not as IPython ran it
    (`get_ipython().run_line_magic('time', 'clf = fit()')`); other code as it is. The shell
    is the one the cell's namespace holds, so IPython is never imported here."""
    if filename in _TYPED:
        return _TYPED[filename]
    get_ipython = namespace.get("get_ipython")
    if not source or not callable(get_ipython):
        return source
    try:
        shell = get_ipython()
        _, name = shell.compile.format_code_name(filename)  # ("Cell", "In[12]")
        number = int(name.removeprefix("In[").removesuffix("]"))
        history = shell.history_manager
        if history.input_hist_parsed[number].rstrip() == source.rstrip():
            return str(history.input_hist_raw[number])
    except (AttributeError, IndexError, TypeError, ValueError):  # not a cell of this shell
        pass
    return source


def notebook_path() -> str | None:
    """The notebook the kernel runs, when the Jupyter server said (JPY_SESSION_NAME)."""
    return os.environ.get("JPY_SESSION_NAME") or None


def git_commit(directory: Path | None = None) -> str | None:
    """HEAD of the git repository around `directory` (`+dirty` with local changes)."""
    try:
        status = subprocess.run(
            ["git", "status", "--porcelain=v2", "--branch", "--untracked-files=no"],
            cwd=directory or Path.cwd(),
            capture_output=True,
            text=True,
            timeout=5,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if status.returncode != 0:
        return None
    lines = status.stdout.splitlines()
    commit = next((line.split()[2] for line in lines if line.startswith("# branch.oid ")), None)
    if commit is None or commit == "(initial)":
        return None
    dirty = any(not line.startswith("#") for line in lines)
    return commit + ("+dirty" if dirty else "")


def environment(model: Any) -> dict[str, Any]:
    """Python, platform and the versions of the packages the model and registry rely on."""
    names = set(PACKAGES)
    for cls in type(model).__mro__:
        top = cls.__module__.split(".")[0]
        if top not in ("builtins", "abc"):
            names.add(top)
    packages = {name: version for name in sorted(names) if (version := _version(name))}
    return {
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "executable": sys.executable,
        "packages": packages,
    }


@functools.lru_cache(maxsize=256)
def _version(distribution: str) -> str | None:
    """The installed version (read once per process: package metadata is slow to parse)."""
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None
