"""The core runs in a plain script: it never imports a Jupyter or plotting module."""

from __future__ import annotations

import subprocess
import sys

CORE = [
    "jupyter_mlops",
    "jupyter_mlops.errors",
    "jupyter_mlops.config",
    "jupyter_mlops.store",
    "jupyter_mlops.store.catalog",
    "jupyter_mlops.store.migrations",
    "jupyter_mlops.registry",
    "jupyter_mlops.monitoring",
    "jupyter_mlops.monitoring.monitor",
    "jupyter_mlops.monitoring.checking",
    "jupyter_mlops.monitor_commands",
    "jupyter_mlops.tracking",
    "jupyter_mlops.tracking.cells",
    "jupyter_mlops.commands",
    "jupyter_mlops.cli",
]
FORBIDDEN = ["IPython", "ipywidgets", "plotly", "jupyter_server", "tornado", "ipykernel"]

SCRIPT = f"""
import sys
for name in {CORE!r}:
    __import__(name)
from jupyter_mlops import Registry
import tempfile
from sklearn.linear_model import LogisticRegression
registry = Registry(tempfile.mkdtemp())
registry.register("m", LogisticRegression().fit([[0], [1]], [0, 1]), X=[[0], [1]], y=[0, 1])
registry.load("m")
from jupyter_mlops import Monitor
monitor = Monitor(registry)
monitor.add_alert("m:1", "drift.share > 0.5")
monitor.check("m:1", current=__import__("pandas").DataFrame({{"x0": [0.0, 1.0, 0.5]}}))
print(",".join(sorted(m for m in sys.modules if m.split(".")[0] in {FORBIDDEN!r})))
"""


def test_core_imports_no_jupyter_module():
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""
