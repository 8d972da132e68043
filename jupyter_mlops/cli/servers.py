"""The Jupyter servers this user runs, where `schedule` looks for jupyter-scheduler."""

from __future__ import annotations

from jupyter_mlops.automation.job_definitions import JupyterServer


def running_servers() -> list[JupyterServer]:
    """The running Jupyter servers of this user (their runtime files), the one this
    process runs under (a kernel's, or a terminal's in JupyterLab) first."""
    from jupyter_server.serverapp import list_running_servers

    ancestors = _ancestors()
    servers = [JupyterServer.from_info(info) for info in list_running_servers()]
    return sorted(servers, key=lambda server: server.pid not in ancestors)


def _ancestors() -> set[int]:
    try:
        import psutil  # ipykernel's dependency, so where a kernel runs
    except ImportError:
        return set()
    return {process.pid for process in psutil.Process().parents()}
