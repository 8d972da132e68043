"""The dashboards as a person sees them: a real `jupyter lab` in Debian's Chromium, driven by
playwright, runs `%mlops dashboard` (the fleet) and `%mlops dashboard churn` against a
prepared registry, and the person looks, picks a feature, and rolls the champion back.

Every wait is on what the page shows. The widgets must render (no "Loading widget...", no
"Error displaying widget", nothing in the browser console), and the screenshots land in
`build/screenshots/` for a person to look at: each tab in the light theme, and the versions
in the dark theme, whose text is checked to stay readable."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from jupyter_mlops import Monitor, Registry, operations
from tests.conftest import ROOT
from tests.lab import PAINT, PANEL, browser_errors, contrast, errors_shown, run_all, use_theme
from tests.widgets.conftest import rows

SHOTS = ROOT / "build" / "screenshots"
CELLS = ["%load_ext jupyter_mlops", "%mlops dashboard", "%mlops dashboard churn"]
REASON = "complaints from support about v2"
# how long a dashboard may take to read, draw a figure or carry out an action
SLOW = 120_000
TABS = ("versions", "drift", "performance", "jobs", "controls")
# the dashboards' outputs are drawn: no widget still loading or failed, every status line
# has stopped reading (an error in one ends the wait too, and is reported)
DRAWN = """(panel) => {
  const outputs = [...document.querySelectorAll(`${panel} .jp-OutputArea-output`)];
  if (outputs.some(o => /Error displaying widget/.test(o.textContent))) return true;
  if (outputs.some(o => /Loading widget/.test(o.textContent))) return false;
  const dashboards = document.querySelectorAll(`${panel} .jp-mlops-dashboard`);
  const reading = document.querySelectorAll(`${panel} .jp-mlops-status-loading`);
  return dashboards.length >= 5 && reading.length === 0;
}"""
# the text of the shown model dashboard and what is under it, as they reach the screen
READABLE = (
    """(root) => {"""
    + PAINT
    + """
  const shown = (e) => e.offsetParent !== null && e.textContent.trim();
  const texts = [...root.querySelectorAll(
    'h3, td, th, .widget-label, .lm-TabBar-tabLabel, .jp-mlops-status span, button'
  )].filter(shown);
  return texts.map(e => ({text: e.textContent.trim().slice(0, 40), ...look(e)}));
}"""
)


@pytest.fixture
def home(lab: Any, prepared: Registry) -> Path:
    """The lab's registry: churn with two versions (champion: 2), a held-out reference,
    stored drift and performance checks, an alert rule, and a log of predictions."""
    shutil.copytree(prepared.home, lab.home)
    Monitor(Registry(lab.home)).log_predictions("churn@champion", rows(300, seed=5)[0])
    return Path(lab.home)


@pytest.mark.slow
def test_the_dashboards_render_and_roll_back_in_jupyterlab(lab, browser, home):
    SHOTS.mkdir(parents=True, exist_ok=True)
    lab.write("dashboards.ipynb", CELLS)
    page = browser.new_page(viewport={"width": 1400, "height": 2400})
    problems = browser_errors(page)
    lab.open(page, "dashboards.ipynb")
    run_all(page)
    fleet, model = _drawn(page)

    _the_fleet_lists_churn_with_its_badge(fleet, home)
    fleet.screenshot(path=SHOTS / "fleet.png")
    _the_model_dashboard_shows_its_versions(model)
    model.screenshot(path=SHOTS / "versions.png")
    _a_feature_overlays_its_distributions(model)
    model.screenshot(path=SHOTS / "drift.png")
    _tab(model, "Performance")
    _chart(_panel(model, "performance")).wait_for(timeout=SLOW)
    model.screenshot(path=SHOTS / "performance.png")
    _rolling_back_shows_the_reason_and_the_move(model)
    model.screenshot(path=SHOTS / "controls.png")
    _tab(model, "Versions")
    champion = _panel(model, "versions").locator("table tbody tr", has_text="champion")
    expect(champion.locator("td").first).to_have_text("1", timeout=SLOW)
    for theme in ("JupyterLab Light", "JupyterLab Dark"):
        use_theme(page, theme)
        for shown in model.evaluate(READABLE):
            ink, background = shown["ink"], shown["background"]
            assert contrast(ink, background) >= 4.5, f"unreadable in {theme}: {shown}"
    model.screenshot(path=SHOTS / "versions-dark.png")
    assert not problems, "\n".join(problems)

    registry = Registry(home)
    assert registry.get("churn@champion").version == 1
    newest = registry.history("churn")[-1]
    assert (newest.action, newest.reason) == ("rollback", REASON)


def _drawn(page: Any) -> tuple[Any, Any]:
    """The fleet's output and the model dashboard's, once both are drawn without error (or
    what the notebook showed when they were not, so a failure says where it stopped)."""
    try:
        page.wait_for_function(DRAWN, arg=PANEL, timeout=SLOW)
    except PlaywrightTimeout:
        shown = page.locator(PANEL).inner_text()
        statuses = page.locator(f"{PANEL} .jp-mlops-status").all_inner_texts()
        pytest.fail(f"the dashboards were not drawn in {SLOW / 1000:g} s: {statuses}\n{shown}")
    assert not errors_shown(page), errors_shown(page)[0]
    assert "Error displaying widget" not in page.locator(PANEL).inner_text()
    failed = page.locator(f"{PANEL} .jp-mlops-status-failed").all_inner_texts()
    assert not failed, failed
    cells = page.locator(f"{PANEL} .jp-Cell")
    return tuple(cells.nth(i).locator(".jp-OutputArea-output").first for i in (1, 2))


def _the_fleet_lists_churn_with_its_badge(fleet: Any, home: Path) -> None:
    health = next(m.health for m in operations.fleet(Registry(home)) if m.name == "churn")
    row = fleet.locator(".widget-hbox", has=fleet.page.locator("button", has_text="churn"))
    badge = row.locator(".jp-mlops-badge")
    assert badge.inner_text() == health
    assert badge.is_visible()
    assert "champion: v2" in row.inner_text()


def _the_model_dashboard_shows_its_versions(model: Any) -> None:
    tabs = model.locator(".lm-TabBar-tab .lm-TabBar-tabLabel").all_inner_texts()
    assert tabs == ["Versions", "Drift", "Performance", "Jobs", "Controls"]
    versions = _panel(model, "versions")
    champion = versions.locator("table tr", has_text="champion")
    assert champion.count() >= 1 and champion.first.is_visible()
    _chart(versions).wait_for(timeout=SLOW)


def _a_feature_overlays_its_distributions(model: Any) -> None:
    _tab(model, "Drift")
    drift = _panel(model, "drift")
    drift.locator(".widget-dropdown", has_text="feature").locator("select").select_option("n0")
    overlay = _chart(drift).filter(has=drift.page.locator(".legendtext", has_text="current"))
    overlay.wait_for(timeout=SLOW)
    legend = overlay.locator(".legendtext").all_text_contents()
    assert legend == ["reference", "current"], legend
    expect(drift.locator(".jp-mlops-status")).to_contain_text("n0", timeout=SLOW)


def _rolling_back_shows_the_reason_and_the_move(model: Any) -> None:
    _tab(model, "Controls")
    controls = _panel(model, "controls")
    alias = controls.locator(".widget-text", has_text="alias").locator("input")
    assert alias.input_value() == "champion"
    controls.locator(".widget-text", has_text="reason").locator("input").fill(REASON)
    controls.locator("button", has_text="Rollback").click()
    confirm = controls.locator("button", has_text="Confirm")
    expect(confirm).to_be_enabled(timeout=SLOW)
    expect(controls.locator(".jp-mlops-plan")).to_contain_text("champion: 2 -> 1")
    confirm.click()
    newest = controls.locator("table tbody tr").first
    newest.filter(has_text=REASON).wait_for(timeout=SLOW)
    cells = newest.locator("td").all_inner_texts()
    assert cells[1:5] == ["champion", "rollback", "2", "1"], cells


def _chart(view: Any) -> Any:
    """The first plotly chart in `view` with its traces drawn (before, plotly shows empty
    axes)."""
    return view.locator(".js-plotly-plot:has(g.trace)").first


def _tab(model: Any, title: str) -> None:
    model.locator(".lm-TabBar-tab", has_text=title).click()


def _panel(model: Any, which: str) -> Any:
    """The model dashboard's tab `which` (`versions`, `drift`, `performance`, `controls`)."""
    return model.locator(".jp-mlops-dashboard").nth(TABS.index(which))
