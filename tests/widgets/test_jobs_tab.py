"""The Jobs tab of a model's dashboard and the fleet's schedules and last job: a real job
run by papermill, a schedule recorded in the registry, shown as a person sees them."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from jupyter_mlops import Registry, operations
from jupyter_mlops.clock import utc_now
from jupyter_mlops.store import jobs as jobs_sql
from jupyter_mlops.store import schedules as schedules_sql
from jupyter_mlops.widgets import dashboard
from jupyter_mlops.widgets.model import ModelDashboard
from jupyter_mlops.widgets.status import DONE, FAILED
from jupyter_mlops.widgets.style import STYLE
from tests.automation.conftest import write_notebook  # noqa: F401


def opened(registry: Registry, model: str = "churn") -> ModelDashboard:
    found = dashboard(registry, model)
    assert isinstance(found, ModelDashboard)
    found.refresh().result(timeout=60)
    return found


def scheduled(registry: Registry, parameters: str = '{"model": "churn@champion"}') -> int:
    """A schedule of churn as the registry records one (its crontab entry not installed)."""
    with registry.db.write() as conn:
        return schedules_sql.insert_schedule(
            conn,
            {"kind": "monitor", "model": "churn", "notebook": "/nb/monitoring.ipynb",
             "parameters": parameters, "every_seconds": 3600,
             "cron": "0 * * * *", "backend": "cron", "command": "true",
             "created_at": datetime.now(UTC).replace(tzinfo=None), "created_by": "ana"},
        )  # fmt: skip


@pytest.mark.slow
def test_a_job_shows_with_its_result_and_its_notebook_opens_from_the_tab(
    registry: Registry,
    write_notebook,  # noqa: F811
) -> None:
    notebook = write_notebook("monitor.ipynb", 'model = "x"', "print(model)")
    job = operations.monitor_job(
        registry, notebook=notebook, parameters={"model": "churn@champion"}
    )
    schedule = scheduled(registry)
    dash = opened(registry)
    assert dash.tabs.get_title(3) == "Jobs"
    tab = dash.jobs
    assert tab.status.state == DONE and tab.status.text == "1 job and 1 schedule of churn"
    assert job.status == "passed"  # green, as a model whose health is ok
    assert re.search(r'jp-mlops-health-ok" data-status="passed"', tab.jobs.value)
    assert html.escape(job.message) in tab.jobs.value and "%mlops jobs --open" in tab.jobs.value
    shown = f"<td>{schedule}</td><td>monitoring.ipynb</td><td>model=churn@champion</td><td>1h</td>"
    assert shown in tab.schedules.value
    assert "not installed" in tab.schedules.value
    assert tab.job.options == ((f"job {job.id} (passed)", job.id),)
    tab.open_notebook(job.id).result(timeout=60)
    tab.wait()
    path = str(registry.home / "jobs" / "notebooks" / f"job-{job.id}.ipynb")
    assert path in tab.opened.value and f">{path}</a>" in tab.jobs.value
    assert "print(model)" in Path(path).read_text()
    fleet = dashboard(registry)
    fleet.opening.result(timeout=60)
    line = fleet.rows.children[0].children[1].value
    assert "1 schedule" in line and f'last job {job.id} <span class="jp-mlops-badge' in line
    assert 'data-status="passed"' in dash._repr_mimebundle_()["text/html"]


def test_no_job_nor_schedule_says_how_to_schedule_and_a_typo_is_said(registry: Registry) -> None:
    dash = opened(registry)
    assert dash.jobs.status.state == DONE
    assert dash.jobs.status.text.startswith("no jobs or schedules of churn yet; schedule")
    assert "%mlops schedule examples/monitoring.ipynb --every 1h" in dash.jobs.status.text
    assert dash.jobs.job.layout.display == "none", "no notebook to open"
    fleet = dashboard(registry)
    fleet.opening.result(timeout=60)
    assert "not scheduled &middot; no job yet" in fleet.rows.children[0].children[1].value
    typo = dashboard(registry, "chrun")
    typo.opening.result(timeout=60)
    assert typo.jobs.status.state == FAILED
    assert "did you mean 'churn'" in typo.jobs.status.text


def test_a_kept_retraining_is_neutral_and_schedules_of_one_notebook_differ_by_parameters(
    registry: Registry,
) -> None:
    """A gate that kept the champion is coloured apart from a job never checked; two
    schedules of one notebook read apart by their parameters."""
    daily = scheduled(registry)
    weekly = scheduled(registry, '{"model": "churn@champion", "window": "7d"}')
    with registry.db.write() as conn:
        jobs_sql.insert_job(
            conn,
            {"kind": "retrain", "model": "churn", "notebook": "/nb/retrain.ipynb",
             "parameters": "{}", "status": "kept", "started_at": utc_now(), "exit_code": 13,
             "host": "here", "pid": 1, "created_by": "cron", "detail": "{}"},
        )  # fmt: skip
    tab = opened(registry).jobs
    assert 'jp-mlops-health-neutral" data-status="kept"' in tab.jobs.value
    assert ".jp-mlops-health-neutral {" in STYLE
    assert f"<td>{daily}</td><td>monitoring.ipynb</td><td>model=churn@champion</td>" in (
        tab.schedules.value
    )
    assert (
        f"<td>{weekly}</td><td>monitoring.ipynb</td><td>model=churn@champion, window=7d</td>"
        in (tab.schedules.value)
    )
