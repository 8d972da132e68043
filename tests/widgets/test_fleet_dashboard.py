"""The fleet dashboard: every model with its health, filtered, sorted, opened in place."""

from __future__ import annotations

import pytest
from sklearn.linear_model import LogisticRegression

from jupyter_mlops import Registry
from jupyter_mlops.widgets import dashboard
from jupyter_mlops.widgets.fleet import FleetDashboard
from jupyter_mlops.widgets.model import ModelDashboard
from jupyter_mlops.widgets.status import DONE
from tests.widgets.conftest import rows


def fleet(registry: Registry) -> FleetDashboard:
    X, y = rows(300, seed=4)
    registry.register("spam", LogisticRegression(max_iter=5000).fit(X, y), X=X, y=y)
    found = dashboard(registry)
    assert isinstance(found, FleetDashboard)
    found.opening.result(timeout=60)
    return found


def names(view: FleetDashboard) -> list[str]:
    return [row.children[0].description for row in view.rows.children]


@pytest.mark.backends("file", "lake")
def test_every_model_with_its_health(registry: Registry) -> None:
    view = fleet(registry)
    assert view.status.state == DONE, view.status.text
    assert sorted(names(view)) == ["churn", "spam"]
    lines = {row.children[0].description: row.children[1].value for row in view.rows.children}
    assert "never checked" in lines["spam"] and "champion: v2" in lines["churn"]


def test_filter_and_sort(registry: Registry) -> None:
    view = fleet(registry)
    view.sort.value = "name"
    view.wait()
    assert names(view) == ["churn", "spam"]
    view.health.value = "never checked"
    view.wait()
    assert names(view) == ["spam"]
    view.health.value = "any"
    view.name.value = "chu"
    view.wait()
    assert names(view) == ["churn"]


def test_clicking_a_model_opens_its_dashboard_in_place(registry: Registry) -> None:
    view = fleet(registry)
    button = next(r.children[0] for r in view.rows.children if r.children[0].description == "churn")
    button.click()
    opened = view.open_view.children[1]
    assert isinstance(opened, ModelDashboard) and opened.model == "churn"
    opened.opening.result(timeout=60)
    assert view.list_view.layout.display == "none"
    view.close_model().result(timeout=60)
    assert view.open_view.children == () and view.list_view.layout.display is None


def test_an_empty_registry_says_what_to_run(tmp_path) -> None:
    view = dashboard(Registry(tmp_path / "empty"))
    view.opening.result(timeout=60)
    assert "register one with %mlops register" in view.status.text
