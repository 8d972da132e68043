"""jupyter-mlops: register, version, deploy, monitor and roll back models from the notebook."""

import sys
from typing import Any

from jupyter_mlops.errors import MlopsError
from jupyter_mlops.registry import Registry
from jupyter_mlops.tracking import (
    Tracker,
    log_artifact,
    log_metric,
    log_metrics,
    log_param,
    log_params,
    run,
)

__version__ = "0.1.0"
__all__ = [
    "MlopsError",
    "Monitor",
    "Registry",
    "Tracker",
    "__version__",
    "load_ipython_extension",
    "log_artifact",
    "log_metric",
    "log_metrics",
    "log_param",
    "log_params",
    "run",
    "unload_ipython_extension",
]


def __getattr__(name: str) -> object:
    # Monitor pulls in pandas and NumPy: imported on first use, not with the package
    if name == "Monitor":
        from jupyter_mlops.monitoring.monitor import Monitor

        return Monitor
    raise AttributeError(name)


def load_ipython_extension(ipython: Any) -> None:
    """`%load_ext jupyter_mlops`: registers the %mlops magics (imported only now)."""
    from jupyter_mlops.magics import load_ipython_extension as load

    load(ipython)
    ipython.user_ns.setdefault("mlops", sys.modules[__name__])  # `mlops.log_metric(...)` in cells


def unload_ipython_extension(ipython: Any) -> None:
    """`%unload_ext jupyter_mlops`: `mlops.run()` and the rest go back to $MLOPS_HOME."""
    from jupyter_mlops.magics import unload_ipython_extension as unload

    unload(ipython)
