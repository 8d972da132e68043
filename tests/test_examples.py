"""Every example notebook is a tutorial, so every one must run top to bottom under papermill."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import nbformat
import papermill
import pytest

from jupyter_mlops import Monitor, Registry, operations
from jupyter_mlops.cli import main
from tests.conftest import ROOT
from tests.postgres import Cluster
from tests.team.people import set_up

# the drift tutorial and the monitoring job it sets up run as a pair, in their own test;
# the retraining job runs in tests/automation (it needs a served model's labelled log); the
# team tutorial runs in its own test, on a PostgreSQL with the README's roles
OWN_TEST = ("drift_and_alerts.ipynb", "monitoring.ipynb", "retrain.ipynb", "team.ipynb")
NOTEBOOKS = sorted(n for n in (ROOT / "examples").glob("*.ipynb") if n.name not in OWN_TEST)


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


@pytest.mark.slow
def test_the_team_tutorial_shares_one_registry_between_a_writer_and_a_reader(
    kernel_env: Path, postgres: Cluster
) -> None:
    """The tutorial, given the URLs of a writer and a reader of the README's roles (names of
    this test's own): history names the writer whatever MLOPS_USER claims, and the reader is
    told why its promotion is refused."""
    data_path = kernel_env / "team"
    team = set_up(postgres, data_path)
    writer, reader = team.names["alice"], team.names["carol"]
    output = kernel_env / "team.ipynb"
    parameters = {"url": team.alice, "data_path": str(data_path), "reader_url": team.carol}
    papermill.execute_notebook(
        str(ROOT / "examples" / "team.ipynb"), str(output), kernel_name="python3",
        parameters=parameters, cwd=str(ROOT), progress_bar=False,
    )  # fmt: skip
    registry = Registry(parameters["url"])  # its data path: the one it was made with
    assert registry.home == data_path and registry.get("churn@champion").version == 2
    assert {event.moved_by for event in registry.history("churn")} == {writer}
    (dashboard,) = dashboards(output)
    assert "churn: versions" in dashboard["text/html"]
    assert f"PostgreSQL role {reader!r} may only read" in output.read_text()


@pytest.mark.slow
def test_the_monitoring_job_of_a_version_without_labelled_held_out_rows_says_so_and_passes(
    kernel_env, fitted, dataset, capsys
):
    """Nothing calibrates an estimate of such a version: the job says so and goes on to the
    alert rules, rather than failing every scheduled run."""
    X, y = dataset
    registry = Registry(kernel_env / "registry")
    registry.register("plain", fitted, X=X, y=y)  # training rows only
    registry.promote("plain", 1)
    Monitor(registry).log_predictions("plain@champion", X.iloc[:200])
    notebook = str(ROOT / "examples" / "monitoring.ipynb")
    given = ["monitor", notebook, "-p", "model", "plain@champion", "-p", "window", "1d"]
    assert main(["--home", str(kernel_env / "registry"), *given]) == 0, capsys.readouterr()
    (job,) = operations.jobs(registry, model="plain")
    assert job.status == "passed"
    executed = nbformat.read(operations.job_notebook(registry, job=job.id), as_version=4)
    said = [o.get("text", "") for cell in executed.cells for o in cell.get("outputs", [])]
    assert any("Not estimated: " in text and "held-out" in text for text in said), said
