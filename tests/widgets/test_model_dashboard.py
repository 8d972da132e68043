"""One model's dashboard driven as a person would: tabs read in the background and show
what the registry holds; an error lands in the status line; another process's change shows
after refresh()."""

from __future__ import annotations

import subprocess
import sys

import pytest

from jupyter_mlops import Registry
from jupyter_mlops.widgets import dashboard
from jupyter_mlops.widgets.model import ModelDashboard
from jupyter_mlops.widgets.status import DONE, FAILED
from tests.widgets.conftest import elsewhere


def opened(registry: Registry) -> ModelDashboard:
    found = dashboard(registry, "churn")
    assert isinstance(found, ModelDashboard)
    found.refresh().result(timeout=60)
    return found


@pytest.mark.backends("file", "lake")
def test_the_tabs_show_versions_drift_and_performance(registry: Registry) -> None:
    dash = opened(registry)
    assert [dash.tabs.get_title(i) for i in range(5)] == [
        "Versions", "Drift", "Performance", "Jobs", "Controls",
    ]  # fmt: skip
    assert all(panel.status.state == DONE for panel in dash.panels), [
        panel.status.text for panel in dash.panels
    ]
    assert "2 versions of churn" in dash.versions.status.text
    assert "1 drift check of churn" in dash.drift.status.text
    assert "champion" in dash.versions.table.value
    assert dash.drift.feature.options, "the features a check measured"
    assert dash.performance.figure.children, "a figure of the stored metrics"


def test_two_versions_compare_with_their_differences(registry: Registry) -> None:
    dash = opened(registry)
    dash.versions.compare(1, 2).result(timeout=60)
    assert "C" in dash.versions.comparison.value  # the param that differs
    assert dash.versions.status.state == DONE


def test_a_feature_overlays_its_distributions_and_its_statistic_over_checks(
    registry: Registry,
) -> None:
    from tests.widgets.conftest import rows

    frames = {"week": rows(300, seed=9, shifted=True)[0]}
    dash = dashboard(registry, "churn", variables=frames.__getitem__)
    dash.refresh().result(timeout=60)
    dash.drift.measure(variable="week").result(timeout=120)
    feature = dash.drift.feature.options[0]
    dash.drift.show_feature(feature).result(timeout=60)
    overlay = dash.drift.overlay.children[0]
    assert [trace.name for trace in overlay.figure.data] == ["reference", "current"]
    assert dash.drift.figure.children, "its statistic per check"
    assert feature in dash.drift.status.text


def test_measuring_drift_of_a_notebook_frame(registry: Registry) -> None:
    from tests.widgets.conftest import rows

    frames = {"week": rows(300, seed=9, shifted=True)[0]}
    dash = dashboard(registry, "churn", variables=frames.__getitem__)
    dash.refresh().result(timeout=60)
    dash.drift.measure(variable="week").result(timeout=120)
    assert "drift" in dash.drift.report.value.lower()
    dash.drift.measure(variable="nosuch")  # refused before any read
    assert dash.drift.status.state == FAILED


@pytest.mark.backends("file", "lake")
def test_a_change_by_another_process_shows_after_refresh(registry: Registry) -> None:
    dash = opened(registry)
    script = "from jupyter_mlops import Registry; " + elsewhere(registry)
    script += ".rollback('churn', reason='elsewhere')"
    subprocess.run([sys.executable, "-c", script], check=True, timeout=120)
    dash.refresh().result(timeout=60)
    assert "elsewhere" in dash.controls.audit.value


def test_a_deleted_model_is_said_in_the_status_line(registry: Registry) -> None:
    import shutil

    dash = opened(registry)
    shutil.rmtree(registry.home)
    dash.refresh().result(timeout=60)
    assert dash.versions.status.state == FAILED
    assert dash.versions.status.text


def test_an_unknown_model_is_said_with_a_did_you_mean_without_blocking(
    registry: Registry,
) -> None:
    dash = dashboard(registry, "chrun")
    dash.opening.result(timeout=60)
    assert dash.versions.status.state == FAILED
    assert "did you mean 'churn'" in dash.versions.status.text


def test_an_alias_or_version_is_refused_a_dashboard_is_of_a_model(registry: Registry) -> None:
    from jupyter_mlops.errors import InvalidArgumentError

    for ref in ("churn@nope", "churn:99"):
        with pytest.raises(InvalidArgumentError, match="give its name alone"):
            dashboard(registry, ref)


def test_papermill_and_other_static_readers_get_html(registry: Registry) -> None:
    dash = opened(registry)
    bundle = dash._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert "<table" in bundle["text/html"] and "churn" in bundle["text/html"]


def test_a_version_from_a_run_shows_its_learning_curves(registry: Registry) -> None:
    from sklearn.linear_model import LogisticRegression

    from jupyter_mlops import operations
    from jupyter_mlops.tracking import Tracker
    from tests.widgets.conftest import rows

    X, y = rows(300, seed=11)
    with Tracker(registry).run("curves") as run:
        for step in range(5):
            run.log_metric("loss", 1 / (step + 1), step=step)
        run.log_model("clf", LogisticRegression(max_iter=5000).fit(X, y))
    operations.register_run(registry, run=run.id, name="churn")
    dash = opened(registry)
    label, run_id = dash.versions.run.options[-1]
    assert run_id == str(run.id) and "version 3" in label
    dash.versions.curves(run_id).result(timeout=60)
    (curve,) = dash.versions.curve.children
    (loss,) = curve.figure.data
    assert loss.name == "loss" and len(loss.y) == 5


@pytest.mark.backends("file", "lake")
def test_measuring_drift_of_a_range_of_dates_of_the_log(registry: Registry) -> None:
    import datetime as dt

    import pandas as pd

    from jupyter_mlops import Monitor
    from tests.widgets.conftest import rows

    batch = rows(48, seed=12, shifted=True)[0]
    start = pd.Timestamp.now(tz="UTC").ceil("h")  # after the champion was promoted
    times = pd.date_range(start, periods=48, freq="h")
    Monitor(registry).log_predictions("churn@champion", batch, timestamps=times)
    dash = opened(registry)
    dash.drift.window.value = "dates"
    dash.drift.measure()  # no dates picked: refused before any read
    assert dash.drift.status.state == FAILED and "pick both dates" in dash.drift.status.text
    first = start.date()
    dash.drift.since.value, dash.drift.until.value = first, first + dt.timedelta(days=2)
    dash.drift.measure().result(timeout=120)
    assert dash.drift.status.state == DONE, dash.drift.status.text
    assert "48 rows" in dash.drift.report.value  # the last day included
    dash.drift.since.value = dash.drift.until.value = first - dt.timedelta(days=3)
    dash.drift.measure().result(timeout=120)
    assert dash.drift.status.state == FAILED and "has no rows" in dash.drift.status.text


def test_versions_without_metrics_say_so_instead_of_drawing_empty_axes(tmp_path, fitted, dataset):
    registry = Registry(tmp_path / "plain")
    X, y = dataset
    registry.register("tumour", fitted, X=X, y=y)
    dash = dashboard(registry, "tumour")
    dash.refresh().result(timeout=60)
    shown = dash.versions.figure.children
    assert len(shown) == 1, shown
    assert "No version of tumour has metrics" in shown[0].value
    assert dash.versions.run.layout.display == "none", "no run to pick"
