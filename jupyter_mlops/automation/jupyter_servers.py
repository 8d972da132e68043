"""The Jupyter servers this user runs, as their runtime files describe them: where a
schedule kept by jupyter-scheduler is made, listed, run and removed.

Each running server writes `jpserver-PID.json` (its URL, token, root directory and pid)
in the Jupyter runtime directory and deletes it when it stops. The servers are read here
as jupyter_server's `list_running_servers` reads them: a file that cannot be read (being
written) is passed over, and so is one whose process is gone (a server that was killed);
unlike it, nothing here deletes another program's files. A server on a Unix socket is
passed over too: the standard library's HTTP client cannot reach it.

The server this process runs under (a kernel's, or a terminal's inside JupyterLab: an
ancestor process, by the parent chain of /proc/PID/stat) comes first, so a notebook's
`%mlops schedule` goes to the JupyterLab it was typed in when several run. Only
jupyter_core is imported (the core never imports jupyter_server).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RUNTIME_FILES = "jpserver-*.json"


@dataclass(frozen=True)
class JupyterServer:
    """A running Jupyter server as its runtime file describes it."""

    url: str  # its base URL, ending in '/'
    token: str
    root_dir: str
    pid: int | None = None

    @classmethod
    def from_info(cls, info: Mapping[str, Any]) -> JupyterServer:
        """From the contents of a server's runtime file."""
        url = str(info["url"])
        pid = info.get("pid")
        return cls(
            url=url if url.endswith("/") else url + "/",
            token=str(info.get("token") or ""),
            root_dir=str(info.get("root_dir") or info.get("notebook_dir") or ""),
            pid=pid if isinstance(pid, int) else None,
        )


def running_servers(runtime_dir: str | Path | None = None) -> list[JupyterServer]:
    """The Jupyter servers of this user that run now (their runtime files in `runtime_dir`,
    by default Jupyter's runtime directory), the one this process runs under first."""
    if runtime_dir is None:
        from jupyter_core.paths import jupyter_runtime_dir

        runtime_dir = jupyter_runtime_dir()
    found = [
        JupyterServer.from_info(info)
        for info in map(_read, sorted(Path(runtime_dir).glob(RUNTIME_FILES)))
        if info is not None and _alive(info.get("pid")) and info.get("url") and not info.get("sock")
    ]
    ancestors = _ancestors(os.getpid())
    return sorted(found, key=lambda server: server.pid not in ancestors)


def this_first(server: JupyterServer) -> Iterator[JupyterServer]:
    """`server`, then the other running servers of this user, read only if asked for (the
    server extension's own server is found first: no file is read while it answers)."""
    yield server
    yield from (other for other in running_servers() if other.url != server.url)


def _read(path: Path) -> dict[str, Any] | None:
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # gone, or being written
        return None
    return found if isinstance(found, dict) else None


def _alive(pid: Any) -> bool:
    """Whether process `pid` runs (one of another user's, which may not be signalled, too)."""
    if isinstance(pid, bool) or not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def _ancestors(pid: int) -> set[int]:
    """`pid` and the processes it descends from, read from /proc (none where there is no
    /proc: the servers keep their order)."""
    found: set[int] = set()
    while pid > 0 and pid not in found:
        found.add(pid)
        try:
            stat = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8", errors="replace")
            pid = int(stat.rsplit(")", 1)[1].split()[1])  # after the command's name: state, ppid
        except (OSError, ValueError, IndexError):
            break
    return found
