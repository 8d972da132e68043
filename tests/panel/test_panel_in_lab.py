"""The MLOps sidebar as a person uses it: a real `jupyter lab` (with the jupyter-mlops server
extension the package enables on install) in Debian's Chromium, driven by playwright, on a
prepared registry.

The person opens the panel, finds the models with their health and aliases, filters them,
rolls the champion back through the panel's dialog, sees a model that another process
registers appear by itself, and opens a model's dashboard from the panel; with a fleet of
many models and a very long name, the header, filter and alerts stay in view and nothing
scrolls sideways. Every wait is on what the page shows; nothing may reach the browser
console. Screenshots land in `build/screenshots/`: panel.png, panel-dark.png,
panel-rollback.png, panel-dashboard.png, panel-many.png."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
from playwright.sync_api import expect
from sklearn.linear_model import LogisticRegression

from jupyter_mlops import Monitor, Registry, operations
from tests.automation.conftest import NEEDS_CRONTAB, crontab_text  # noqa: F401
from tests.conftest import ROOT
from tests.lab import (
    PAINT,
    PANEL,
    browser_errors,
    contrast,
    running_lab,
    set_lab_settings,
    use_theme,
)
from tests.widgets.conftest import prepared, rows  # noqa: F401  (the prepared registry)

SHOTS = ROOT / "build" / "screenshots"
SIDEBAR = "#jp-mlops-panel"
REASON = "v2 mislabels the new region"
REFRESH = 2  # seconds between the panel's own looks at the registry, in these tests
# how long reading, drawing or an action may take on a loaded machine (a bound, not a claim)
SLOW = 120_000
FIRING = "drift.share > 0.1"  # a rule the shifted data sets off

# another process registers a model while the panel is open
REGISTER_FRAUD = """
from sklearn.linear_model import LogisticRegression
from jupyter_mlops import Registry
from tests.widgets.conftest import rows
X, y = rows(300, seed=9)
Registry().register("fraud", LogisticRegression().fit(X, y), X=X, y=y, description="card fraud")
"""


@pytest.fixture
def home(lab: Any, prepared: Registry, tmp_path: Path) -> Path:  # noqa: F811
    """The lab's registry: churn (two versions, champion -> 2, an alert firing on shifted
    data, a log of predictions) and the panel's refresh every REFRESH seconds."""
    shutil.copytree(prepared.home, lab.home)
    monitor = Monitor(Registry(lab.home))
    monitor.log_predictions("churn@champion", rows(300, seed=5)[0])
    monitor.add_alert("churn@champion", FIRING)
    assert monitor.check("churn@champion", current=rows(600, seed=3, shifted=True)[0]).alerts
    set_lab_settings(tmp_path, "jupyter-mlops:panel", {"refreshInterval": REFRESH})
    return Path(lab.home)


@pytest.mark.slow
def test_the_panel_lists_filters_rolls_back_and_follows_the_registry(lab, browser, home):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    problems = browser_errors(page)
    panel = _open_panel(page, lab)

    _the_header_names_the_registry(panel, home)
    _churn_shows_its_health_aliases_and_versions(panel, home)
    _the_recent_alerts_name_their_model(panel)
    panel.screenshot(path=SHOTS / "panel.png")
    _the_filter_hides_other_models(panel)
    for theme in ("JupyterLab Dark", "JupyterLab Light"):
        use_theme(page, theme)
        _text_stays_readable(panel, theme)
        if theme.endswith("Dark"):
            panel.screenshot(path=SHOTS / "panel-dark.png")

    _rolling_back_through_the_dialog(page, panel)
    registry = Registry(home)
    assert registry.get("churn@champion").version == 1
    newest = registry.history("churn")[-1]
    assert (newest.action, newest.reason) == ("rollback", REASON)

    _a_model_registered_elsewhere_appears(panel, lab)
    assert not problems, "\n".join(problems)


@pytest.mark.slow
def test_the_dashboard_action_opens_a_notebook_with_the_dashboard(lab, browser, home):
    page = browser.new_page(viewport={"width": 1400, "height": 1400})
    problems = browser_errors(page)
    panel = _open_panel(page, lab)
    model = panel.locator('.jp-mlops-model[data-model="churn"]')
    model.locator('[data-action="dashboard"]').click()
    notebook = page.locator(PANEL)
    cell = notebook.locator(".jp-Cell", has_text="%mlops dashboard churn")
    cell.wait_for(timeout=SLOW)
    dashboard = notebook.locator(".jp-mlops-dashboard").first
    dashboard.wait_for(timeout=SLOW)
    expect(notebook.locator(".jp-mlops-status-loading")).to_have_count(0, timeout=SLOW)
    assert "Error displaying widget" not in notebook.inner_text()
    assert notebook.locator(".jp-mlops-status-failed").count() == 0
    assert not notebook.locator(".jp-OutputArea-output[data-mime-type*=stderr]").count()
    page.screenshot(path=SHOTS / "panel-dashboard.png")
    assert not problems, "\n".join(problems)


@NEEDS_CRONTAB
@pytest.mark.slow
def test_run_now_runs_a_schedule_and_its_job_shows(lab, browser, home, crontab_text):  # noqa: F811
    notebook = nbformat.v4.new_notebook(
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        }
    )
    notebook.cells = [nbformat.v4.new_code_cell("model = ''", metadata={"tags": ["parameters"]})]
    nbformat.write(notebook, lab.notebooks / "hourly.ipynb")
    made = operations.schedule(
        Registry(home),
        notebook=lab.notebooks / "hourly.ipynb",
        parameters={"model": "churn@champion"},
        every="1h",
    )
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    problems = browser_errors(page)
    panel = _open_panel(page, lab)
    scheduled = panel.locator(
        f'.jp-mlops-model[data-model="churn"] .jp-mlops-schedule[data-schedule="{made.id}"]'
    )
    expect(scheduled).to_contain_text("every 1h", timeout=SLOW)
    expect(scheduled).to_contain_text("no job yet")
    scheduled.locator('[data-action="run-now"]').click()
    # the notebook runs no check, but churn's rule still fires: the job is an alert
    expect(scheduled.locator('.jp-mlops-job[data-status="alert"]')).to_be_visible(timeout=SLOW)
    (job,) = operations.jobs(Registry(home), model="churn")
    assert (job.schedule_id, job.status, job.exit_code) == (made.id, "alert", 3)
    assert job.detail["evidence"]["via"] == "jupyterlab"
    assert not problems, "\n".join(problems)


LONG_NAME = "churn_" + "x" * 122  # 128 characters
MANY = 60  # models beside churn: far more than the panel's height holds


@pytest.fixture
def crowded(home: Path) -> Path:
    """The lab's registry with MANY more models, one of them with a 128-character name."""
    registry = Registry(home)
    X, y = rows(200, seed=11)
    model = LogisticRegression(max_iter=2000).fit(X, y)
    for name in [LONG_NAME, *(f"model_{i:03d}" for i in range(MANY - 1))]:
        registry.register(name, model, X=X, y=y)
    registry.promote(LONG_NAME, 1, reason="first")
    return home


@pytest.mark.slow
def test_many_models_and_a_long_name_keep_the_panel_in_shape(lab, browser, crowded):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1400, "height": 800})
    problems = browser_errors(page)
    panel = _open_panel(page, lab)
    expect(panel.locator(".jp-mlops-model")).to_have_count(MANY + 1, timeout=SLOW)
    long = panel.locator(f'.jp-mlops-model[data-model="{LONG_NAME}"]')
    long.locator(".jp-mlops-toggle").click()
    expect(long.locator(".jp-mlops-version")).to_have_count(1, timeout=SLOW)
    name = long.locator(".jp-mlops-toggle .jp-mlops-name")
    expect(name).to_have_attribute("title", LONG_NAME)
    shape = panel.evaluate(SHAPE)
    panel.screenshot(path=SHOTS / "panel-many.png")
    assert shape["body"]["scrollWidth"] <= shape["body"]["clientWidth"], shape
    assert shape["name"]["clientWidth"] < shape["name"]["scrollWidth"], shape  # cut, with "…"
    assert shape["registry"]["height"] > 0, shape
    for part in ("header", "registry", "filter", "alerts"):  # all above the fold
        assert shape[part]["bottom"] <= shape["body"]["bottom"], (part, shape)
    assert shape["alerts"]["bottom"] <= shape["models"]["top"], shape
    assert shape["models"]["scrollHeight"] > shape["models"]["clientHeight"], shape
    assert not problems, "\n".join(problems)


# where the panel's parts are, and what scrolls
SHAPE = """(root) => {
  const box = (selector) => {
    const node = root.querySelector(selector);
    const rect = node.getBoundingClientRect();
    return {top: rect.top, bottom: rect.bottom, height: rect.height,
            scrollWidth: node.scrollWidth, clientWidth: node.clientWidth,
            scrollHeight: node.scrollHeight, clientHeight: node.clientHeight};
  };
  return {body: box('.jp-mlops-body'), header: box('.jp-mlops-header'),
          registry: box('.jp-mlops-registry'), filter: box('.jp-mlops-filter'),
          alerts: box('.jp-mlops-alerts'), models: box('.jp-mlops-models'),
          name: box('.jp-mlops-model .jp-mlops-toggle .jp-mlops-name[title^="churn_x"]')};
}"""


@pytest.fixture
def bare_lab(tmp_path: Path) -> Iterator[Any]:
    """A lab whose server runs without the jupyter-mlops server extension, as after
    `jupyter server extension disable jupyter_mlops.server`."""
    yield from running_lab(
        tmp_path, "--ServerApp.jpserver_extensions={'jupyter_mlops.server': False}"
    )


@pytest.mark.slow
def test_without_the_server_extension_the_panel_says_how_to_enable_it(bare_lab, browser):
    page = browser.new_page()
    panel = _open_panel(page, bare_lab)
    error = panel.locator(".jp-mlops-error")
    expect(error).to_contain_text("server extension is not enabled", timeout=SLOW)
    expect(error).to_contain_text("jupyter server extension enable jupyter_mlops.server")


@pytest.mark.slow
def test_with_no_registry_yet_the_panel_says_so_and_creates_none(lab, browser):
    page = browser.new_page()
    problems = browser_errors(page)
    panel = _open_panel(page, lab)
    expect(panel.locator(".jp-mlops-empty")).to_contain_text("%mlops register", timeout=SLOW)
    expect(panel.locator(".jp-mlops-registry")).to_contain_text(str(lab.home))
    assert panel.locator(".jp-mlops-model").count() == 0
    assert not Path(lab.home).exists()
    assert not problems, "\n".join(problems)


def _open_panel(page: Any, lab: Any) -> Any:
    """Open JupyterLab with no notebook and the MLOps tab of the left sidebar, as a person
    clicks it; the panel once it has read the registry (or said why not)."""
    page.goto(f"{lab.url}/lab?token={lab.token}")
    tab = page.locator(f'.jp-SideBar .lm-TabBar-tab[data-id="{SIDEBAR[1:]}"]')
    tab.wait_for(timeout=SLOW)
    tab.click()
    panel = page.locator(SIDEBAR)
    expect(panel).to_be_visible(timeout=SLOW)
    shown = ".jp-mlops-model, .jp-mlops-empty, .jp-mlops-error"
    panel.locator(shown).first.wait_for(timeout=SLOW)
    return panel


def _the_header_names_the_registry(panel: Any, home: Path) -> None:
    expect(panel.locator(".jp-mlops-registry")).to_contain_text(str(home))


def _churn_shows_its_health_aliases_and_versions(panel: Any, home: Path) -> None:
    health = next(m.health for m in operations.fleet(Registry(home)) if m.name == "churn")
    model = panel.locator('.jp-mlops-model[data-model="churn"]')
    badge = model.locator(".jp-mlops-health")
    expect(badge).to_have_text(health)
    assert f"jp-mlops-health-{health.replace(' ', '-')}" in badge.get_attribute("class")
    champion = model.locator('.jp-mlops-alias[data-alias="champion"]')
    expect(champion).to_have_attribute("data-version", "2")
    model.locator(".jp-mlops-toggle").first.click()
    versions = model.locator(".jp-mlops-version")
    expect(versions).to_have_count(2, timeout=SLOW)
    registered = {v.version: v for v in Registry(home).versions("churn")}
    for number, version in registered.items():
        row = model.locator(f'.jp-mlops-version[data-version="{number}"]')
        expect(row).to_contain_text(version.created_by)
        expect(row).to_contain_text("auc")


def _the_recent_alerts_name_their_model(panel: Any) -> None:
    alert = panel.locator('.jp-mlops-alerts .jp-mlops-alert[data-model="churn"]').first
    expect(alert).to_contain_text(FIRING)


def _the_filter_hides_other_models(panel: Any) -> None:
    box = panel.locator("input.jp-mlops-filter")
    box.fill("no such model")
    expect(panel.locator(".jp-mlops-model")).to_have_count(0)
    box.fill("chu")
    expect(panel.locator(".jp-mlops-model")).to_have_count(1)
    box.fill("")


def _text_stays_readable(panel: Any, theme: str) -> None:
    looks = panel.evaluate(
        "(root) => {"
        + PAINT
        + """
      const shown = (e) => e.offsetParent !== null && e.childElementCount === 0
        && e.textContent.trim();
      return [...root.querySelectorAll('*')].filter(shown)
        .map(e => ({text: e.textContent.trim().slice(0, 40), ...look(e)}));
    }"""
    )
    assert looks
    for shown in looks:
        assert contrast(shown["ink"], shown["background"]) >= 4.5, f"unreadable in {theme}: {shown}"


def _rolling_back_through_the_dialog(page: Any, panel: Any) -> None:
    model = panel.locator('.jp-mlops-model[data-model="churn"]')
    model.locator('[data-action="rollback"][data-alias="champion"]').click()
    dialog = page.locator(".jp-Dialog")
    expect(dialog.locator(".jp-mlops-plan")).to_contain_text("2 -> 1", timeout=SLOW)
    dialog.locator("input.jp-mlops-reason").fill(REASON)
    page.screenshot(path=SHOTS / "panel-rollback.png")
    dialog.locator(".jp-Dialog-button.jp-mod-accept").click()
    expect(dialog).to_have_count(0, timeout=SLOW)
    champion = model.locator('.jp-mlops-alias[data-alias="champion"]')
    expect(champion).to_have_attribute("data-version", "1", timeout=SLOW)


def _a_model_registered_elsewhere_appears(panel: Any, lab: Any) -> None:
    env = dict(os.environ, MLOPS_HOME=str(lab.home), PYTHONPATH=str(ROOT))
    subprocess.run([sys.executable, "-c", REGISTER_FRAUD], env=env, check=True, cwd=ROOT)
    # the panel looks every REFRESH seconds; the bound only keeps a broken panel from hanging
    fraud = panel.locator('.jp-mlops-model[data-model="fraud"]')
    expect(fraud).to_be_visible(timeout=REFRESH * 1000 * 10)
    expect(fraud.locator(".jp-mlops-health")).to_have_text("never checked")
