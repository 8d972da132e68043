"""Promote, roll back and archive from the Controls tab, as a person clicks them: a reason,
the plan of what will change, a confirming click; the alias moves, the audit trail records
it, and every open dashboard of the model shows it."""

from __future__ import annotations

import pytest

from jupyter_mlops import Registry
from jupyter_mlops.widgets import dashboard
from jupyter_mlops.widgets.model import ModelDashboard
from jupyter_mlops.widgets.status import DONE, FAILED


def opened(registry: Registry) -> ModelDashboard:
    found = dashboard(registry, "churn")
    assert isinstance(found, ModelDashboard)
    found.opening.result(timeout=60)
    return found


@pytest.mark.backends("file", "lake")
def test_rollback_with_a_reason_moves_the_alias_and_records_it(registry: Registry) -> None:
    dash, other = opened(registry), opened(registry)
    controls = dash.controls
    controls.alias.value = "champion"
    controls.reason.value = "complaints from support"
    controls.buttons["rollback"].click()
    controls.wait()
    assert "2" in controls.plan.value and "1" in controls.plan.value, controls.plan.value
    assert registry.get("churn@champion").version == 2, "a plan changes nothing"
    assert not controls.confirm_button.disabled
    controls.confirm_button.click()
    controls.wait()
    other.refresh().result(timeout=60)
    dash.refresh().result(timeout=60)
    assert registry.get("churn@champion").version == 1
    newest = registry.history("churn")[-1]
    assert newest.action == "rollback" and newest.reason == "complaints from support"
    for shown in (dash, other):
        assert "complaints from support" in shown.controls.audit.value
        assert shown.controls.status.state == DONE


def test_an_action_without_a_reason_is_refused_in_the_status_line(registry: Registry) -> None:
    dash = opened(registry)
    dash.controls.reason.value = "  "
    dash.controls.buttons["rollback"].click()
    assert dash.controls.status.state == FAILED and "reason" in dash.controls.status.text
    assert dash.controls.confirm_button.disabled
    assert registry.get("churn@champion").version == 2


def test_a_refused_plan_says_why_and_cannot_be_confirmed(registry: Registry) -> None:
    dash = opened(registry)
    dash.controls.version.value = 2  # the champion: archiving it is refused
    dash.controls.reason.value = "retire it"
    dash.controls.buttons["archive"].click()
    dash.controls.wait()
    assert dash.controls.status.state == FAILED
    assert "champion" in dash.controls.status.text
    assert dash.controls.confirm_button.disabled
    assert registry.get("churn:2").status != "archived"


def test_promote_and_archive(registry: Registry) -> None:
    dash = opened(registry)
    controls = dash.controls
    controls.version.value, controls.alias.value = 1, "challenger"
    controls.reason.value = "shadow it"
    controls.buttons["promote"].click()
    controls.wait()
    controls.confirm_button.click()
    controls.wait()
    assert registry.get("churn@challenger").version == 1
    registry.remove_alias("churn", "challenger", reason="done")
    dash.refresh().result(timeout=60)
    controls.version.value, controls.reason.value = 1, "superseded"
    controls.buttons["archive"].click()
    controls.wait()
    controls.confirm_button.click()
    controls.wait()
    assert registry.get("churn:1").status == "archived"


def test_a_plan_made_stale_by_another_process_is_not_carried_out(registry: Registry) -> None:
    dash = opened(registry)
    controls = dash.controls
    controls.reason.value = "roll back"
    controls.buttons["rollback"].click()
    controls.wait()
    registry.promote("churn", 1, reason="elsewhere")  # another process moves it meanwhile
    controls.confirm_button.click()
    controls.wait()
    assert controls.status.state == FAILED and "changed since the plan" in controls.status.text
    assert [e.reason for e in registry.history("churn")][-1] == "elsewhere"
    assert registry.get("churn@champion").version == 1


def test_editing_after_the_plan_withdraws_it(registry: Registry) -> None:
    dash = opened(registry)
    controls = dash.controls
    controls.reason.value = "first reason"
    controls.buttons["rollback"].click()
    controls.wait()
    assert not controls.confirm_button.disabled
    controls.reason.value = "corrected reason"
    assert controls.confirm_button.disabled and controls.pending is None


def test_a_reason_the_action_would_refuse_is_refused_at_the_plan(registry: Registry) -> None:
    dash = opened(registry)
    dash.controls.reason.value = "bad\x00reason"
    dash.controls.buttons["rollback"].click()
    assert dash.controls.status.state == FAILED and "control character" in dash.controls.status.text
    assert dash.controls.confirm_button.disabled


def test_a_closed_dashboard_ignores_clicks(registry: Registry) -> None:
    dash = opened(registry)
    controls = dash.controls
    dash.close()
    controls.reason.value = "after close"
    controls.buttons["rollback"].click()  # no traceback: nothing is read or done
    dash.refresh().result(timeout=5)
    assert registry.get("churn@champion").version == 2
