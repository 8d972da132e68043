"""jupyter-mlops: register, version, deploy, monitor and roll back models from the notebook."""

import importlib
import sys
from typing import TYPE_CHECKING, Any

from jupyter_mlops.errors import MlopsError

if TYPE_CHECKING:
    from jupyter_mlops.monitoring.monitor import Monitor
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

# The public names, each imported from its module on first use: the registry pulls in pandas
# and NumPy, which a process that only needs a corner of the package (the Jupyter server
# loading its extension, a command's --help) should not pay for.
_LAZY = {
    "Monitor": "jupyter_mlops.monitoring.monitor",
    "Registry": "jupyter_mlops.registry",
    **dict.fromkeys(
        ["Tracker", "log_artifact", "log_metric", "log_metrics", "log_param", "log_params", "run"],
        "jupyter_mlops.tracking",
    ),
}


def __getattr__(name: str) -> object:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value  # looked up once
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


def load_ipython_extension(ipython: Any) -> None:
    """`%load_ext jupyter_mlops`: registers the %mlops magics (imported only now)."""
    from jupyter_mlops.magics import load_ipython_extension as load

    load(ipython)
    ipython.user_ns.setdefault("mlops", sys.modules[__name__])  # `mlops.log_metric(...)` in cells


def unload_ipython_extension(ipython: Any) -> None:
    """`%unload_ext jupyter_mlops`: `mlops.run()` and the rest go back to $MLOPS_HOME."""
    from jupyter_mlops.magics import unload_ipython_extension as unload

    unload(ipython)
