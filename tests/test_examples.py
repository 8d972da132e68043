"""Every example notebook is a tutorial, so every one must run top to bottom under papermill."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import papermill
import pytest

from jupyter_mlops import Registry, operations
from jupyter_mlops.cli import main
from tests.conftest import ROOT

# the drift tutorial and the monitoring job it sets up run as a pair, in their own test;
# the retraining job runs in tests/automation (it needs a served model's labelled log)
PAIRED = ("drift_and_alerts.ipynb", "monitoring.ipynb", "retrain.ipynb")
NOTEBOOKS = sorted(n for n in (ROOT / "examples").glob("*.ipynb") if n.name not in PAIRED)


@pytest.fixture
def kernel_env(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"])
    monkeypatch.setenv("MLOPS_HOME", str(tmp_path / "registry"))
    return tmp_path


@pytest.mark.slow
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[n.stem for n in NOTEBOOKS])
def test_example_runs_end_to_end(notebook, kernel_env):
    output = kernel_env / notebook.name
    papermill.execute_notebook(
        str(notebook), str(output), kernel_name="python3", cwd=str(ROOT), progress_bar=False
    )
    assert output.exists()
    for shown in dashboards(output):  # a saved notebook reads without a kernel
        assert "<table" in shown["text/html"], shown["text/plain"]


def dashboards(path: Path) -> list[dict]:
    """The data of every output that shows a dashboard, from an executed notebook (other
    widgets, such as a deployment's token, are not saved whole on purpose)."""
    import nbformat

    found = []
    for cell in nbformat.read(path, as_version=4).cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            plain = "".join(data.get("text/plain", ""))
            if "application/vnd.jupyter.widget-view+json" in data and "Dashboard(" in plain:
                found.append(data)
    return found


@pytest.mark.slow
def test_the_tutorial_then_its_monitoring_job_save_their_dashboards(kernel_env, capsys):
    """The drift tutorial registers churn and leaves its alert rule firing; the monitoring
    notebook, run as a job against that registry, says so with exit code 3."""
    output = kernel_env / "drift_and_alerts.ipynb"
    papermill.execute_notebook(
        str(ROOT / "examples" / "drift_and_alerts.ipynb"),
        str(output),
        kernel_name="python3",
        parameters={"rows_per_day": 1500},
        progress_bar=False,
    )
    (dashboard,) = dashboards(output)
    saved = dashboard["text/html"]
    assert "churn: drift" in saved and "churn: versions" in saved and "plotly" in saved

    notebook = str(ROOT / "examples" / "monitoring.ipynb")
    home = str(kernel_env / "registry")  # the tutorial's (its kernel's $MLOPS_HOME)
    given = ["monitor", notebook, "-p", "model", "churn@champion", "-p", "window", "1d"]
    assert main(["--home", home, *given]) == 3
    assert "is still firing" in capsys.readouterr().out
    registry = Registry(kernel_env / "registry")
    (job,) = operations.jobs(registry, model="churn")
    assert (job.status, job.exit_code) == ("alert", 3) and job.detail["checks"]
    (dashboard,) = dashboards(operations.job_notebook(registry, job=job.id))
    assert "churn: drift" in dashboard["text/html"]


def test_quickstart_leaves_the_registry_it_describes(kernel_env):
    papermill.execute_notebook(
        str(ROOT / "examples" / "quickstart.ipynb"),
        str(kernel_env / "out.ipynb"),
        kernel_name="python3",
        progress_bar=False,
    )
    registry = Registry(kernel_env / "registry")
    assert registry.get("diagnosis@champion").version == 1
    assert [e.action for e in registry.history("diagnosis")] == ["promote", "promote", "rollback"]
    assert registry.verify().ok
