"""Result tables as a person sees them: a real `jupyter lab` in Debian's Chromium, driven by
playwright, runs a notebook that registers two versions and shows `compare` and a drift
report, in the light theme and then the dark one.

JupyterLab's own table rules (cells aligned right, every row painted white or grey) are more
specific than a plain class, so what the browser computes is what is checked: highlighted
cells stand out from the page and stay readable, cells are aligned left, and a long value is
shown whole inside the output."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import pytest

from jupyter_mlops import Registry
from tests.conftest import ROOT, free_port

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"
CELLS = [
    """%load_ext jupyter_mlops
from sklearn.datasets import load_breast_cancer
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

X, y = load_breast_cancer(return_X_y=True, as_frame=True)
first = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
second = make_pipeline(
    StandardScaler(), PCA(n_components=10), LogisticRegression(C=0.5, max_iter=500)
).fit(X, y)
drifted = X.assign(**{"mean radius": X["mean radius"] * 1.5})
%mlops register cancer first --data X y --metrics auc=0.91
_ = %mlops register cancer second --data X y --metrics auc=0.95""",
    "%mlops compare cancer 1 2",
    "%mlops drift cancer:2 --current drifted --no-save --no-multivariate",
]
# what the page shows of each table: computed styles, and colours as they reach the screen
# (a translucent background painted over what lies under it, read back from a canvas)
MEASURE = """([panel, caption]) => {
  const table = [...document.querySelectorAll(`${panel} .jp-OutputArea-output table`)]
    .find(t => t.closest('.jp-OutputArea-output').textContent.includes(caption));
  if (!table) return null;
  const context = document.createElement('canvas').getContext('2d', {willReadFrequently: true});
  const paint = (colours) => {
    context.clearRect(0, 0, 1, 1);
    for (const colour of colours) { context.fillStyle = colour; context.fillRect(0, 0, 1, 1); }
    return [...context.getImageData(0, 0, 1, 1).data.slice(0, 3)];
  };
  const opaque = (colour) => {
    context.fillStyle = colour;
    return context.fillStyle.startsWith('#');
  };
  const under = (element) => {  // its background and those under it, down to an opaque one
    const layers = [];
    for (let at = element; at; at = at.parentElement) {
      layers.unshift(getComputedStyle(at).backgroundColor);
      if (opaque(layers[0])) break;
    }
    return layers;
  };
  const look = (cell) => cell && {
    background: paint(under(cell)), ink: paint([...under(cell), getComputedStyle(cell).color]),
  };
  const output = table.closest('.jp-OutputArea-output');
  const cells = [...table.querySelectorAll('td')].map(td => ({
    text: td.textContent, align: getComputedStyle(td).textAlign,
    right: td.getBoundingClientRect().right, overflowing: td.scrollWidth > td.clientWidth + 1,
  }));
  return {
    page: paint(under(output)),
    marked: look(table.querySelector('tr.jp-mlops-diff > td')),
    plain: look(table.querySelector('tbody tr:not(.jp-mlops-diff) > td')),
    outputRight: output.getBoundingClientRect().right,
    cells,
  };
}"""


@dataclass
class Lab:
    url: str
    token: str
    home: Path


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    """`jupyter lab` on a free loopback port, on a temp root holding the notebook, with its
    settings, runtime files and registry under tmp_path."""
    folders = {name: tmp_path / name for name in ("notebooks", "jupyter", "settings", "ipython")}
    for folder in folders.values():
        folder.mkdir()
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nbformat.write(notebook, folders["notebooks"] / "display.ipynb")
    notices = folders["settings"] / "@jupyterlab" / "apputils-extension"
    notices.mkdir(parents=True)
    (notices / "notification.jupyterlab-settings").write_text(json.dumps({"fetchNews": "false"}))
    port, token = free_port(), secrets.token_hex(16)
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        MLOPS_HOME=str(tmp_path / "registry"),
        JUPYTER_CONFIG_DIR=str(folders["jupyter"] / "config"),
        JUPYTER_DATA_DIR=str(folders["jupyter"] / "data"),
        JUPYTER_RUNTIME_DIR=str(folders["jupyter"] / "runtime"),
        JUPYTERLAB_SETTINGS_DIR=str(folders["settings"]),
        JUPYTERLAB_WORKSPACES_DIR=str(folders["jupyter"] / "workspaces"),
        IPYTHONDIR=str(folders["ipython"]),
    )
    command = [
        *(sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1"),
        *(f"--port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}"),
        f"--ServerApp.root_dir={folders['notebooks']}",
        *("--LabApp.expose_app_in_browser=True", "--LabApp.news_url=None"),
        *(["--allow-root"] if os.geteuid() == 0 else []),
    ]
    with open(tmp_path / "lab.log", "wb") as log:
        server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_for_server(server, f"{url}/api/status?token={token}", tmp_path / "lab.log")
        yield Lab(url, token, tmp_path / "registry")
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _wait_for_server(server: subprocess.Popen[bytes], status_url: str, log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"jupyter lab exited with {server.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(status_url, timeout=5):
                return
        except OSError:
            time.sleep(0.1)  # between two looks at the server's state
    pytest.fail(f"jupyter lab did not answer within 90 s:\n{log.read_text()}")


@pytest.fixture
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        if os.geteuid() != 0:
            pytest.skip(
                "Debian's chromium is not installed and installing it needs root "
                "(as root, `make test` runs apt-get install chromium)"
            )
        pytest.fail("/usr/bin/chromium is missing; `make test` installs it with apt-get")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.mark.slow
def test_tables_read_well_in_jupyterlab_light_and_dark(lab, browser, tmp_path):
    page = browser.new_page(viewport={"width": 1280, "height": 2000})
    page.goto(f"{lab.url}/lab/tree/display.ipynb?token={lab.token}")
    _wait_for_kernel(page)
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
    _wait_for_outputs(page)
    steps = Registry(lab.home).get("cancer:2").params["steps"]
    for theme in ("JupyterLab Light", "JupyterLab Dark"):
        _use_theme(page, theme)
        compare = page.evaluate(MEASURE, [PANEL, "differences highlighted"])
        drift = page.evaluate(MEASURE, [PANEL, "features drifted"])
        for name, shown in (("compare", compare), ("drift", drift)):
            _assert_readable(shown, f"{name} in {theme}")
        whole = [c for c in compare["cells"] if c["text"] == steps]
        assert whole, f"the long value is cut: {steps!r} is in no cell"
        long_value = whole[0]
        assert not long_value["overflowing"]
        assert long_value["right"] <= compare["outputRight"], "the long value leaves the output"
        outputs = page.locator(f"{PANEL} .jp-OutputArea-output:has(table)")
        name = theme.split()[-1].lower()
        outputs.first.screenshot(path=tmp_path / f"compare-{name}.png")
        outputs.last.screenshot(path=tmp_path / f"drift-{name}.png")


def _wait_for_kernel(page: Any) -> None:
    """Until the visible notebook's own kernel is idle (the status reads idle before a kernel
    exists, so its name must be there too)."""
    page.wait_for_function(
        """(panel) => {
          const p = document.querySelector(panel);
          const name = p?.querySelector('.jp-Toolbar-kernelName')?.textContent ?? 'No Kernel';
          const status = p?.querySelector('.jp-Notebook-ExecutionIndicator')?.dataset.status;
          return name !== 'No Kernel' && status === 'idle';
        }""",
        arg=PANEL,
        timeout=120_000,
    )


def _wait_for_outputs(page: Any) -> None:
    """Until the drift report is shown; an error output ends the wait at once, with its text."""
    page.wait_for_function(
        """(panel) => {
          const outputs = [...document.querySelectorAll(`${panel} .jp-OutputArea-output`)];
          const failed = (o) => o.dataset.mimeType?.includes('stderr')
            && /Error|Traceback/.test(o.textContent);
          return outputs.some(o => o.textContent.includes('features drifted') || failed(o));
        }""",
        arg=PANEL,
        timeout=180_000,
    )
    errors = page.locator(f"{PANEL} .jp-OutputArea-output[data-mime-type*=stderr]")
    texts = [text for text in errors.all_inner_texts() if "Error" in text or "Traceback" in text]
    assert not texts, texts[0]


def _use_theme(page: Any, theme: str) -> None:
    page.evaluate(
        "(theme) => window.jupyterapp.commands.execute('apputils:change-theme', {theme})", theme
    )
    page.wait_for_function(
        "(theme) => document.body.dataset.jpThemeName === theme", arg=theme, timeout=60_000
    )
    light = "true" if theme.endswith("Light") else "false"
    page.wait_for_function(
        "(light) => document.body.dataset.jpThemeLight === light", arg=light, timeout=60_000
    )


def _assert_readable(shown: dict[str, Any] | None, what: str) -> None:
    assert shown is not None, f"{what}: no table"
    assert shown["marked"] is not None, f"{what}: no highlighted row"
    marked, plain = shown["marked"], shown["plain"]
    assert _distance(marked["background"], shown["page"]) > 20, f"{what}: highlight invisible"
    assert _distance(marked["background"], plain["background"]) > 20, f"{what}: highlight lost"
    assert _contrast(marked["ink"], marked["background"]) >= 4.5, f"{what}: highlighted unreadable"
    assert {c["align"] for c in shown["cells"]} == {"left"}, f"{what}: cells not aligned left"


def _distance(a: list[int], b: list[int]) -> float:
    return float(sum((x - y) ** 2 for x, y in zip(a, b, strict=True)) ** 0.5)


def _contrast(a: list[int], b: list[int]) -> float:
    """WCAG's contrast ratio of two sRGB colours (4.5 is the floor for body text)."""

    def luminance(rgb: list[int]) -> float:
        linear = [c / 255 / 12.92 if c <= 10 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in rgb]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)
