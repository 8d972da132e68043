"""A real `jupyter lab` and Debian's Chromium for the tests that look at what a person sees.

The lab runs on a free loopback port with its settings, runtime files and registry
(MLOPS_HOME) under the test's tmp_path; a test writes its notebook into `Lab.notebooks`
and opens it. Playwright drives /usr/bin/chromium (it never downloads a browser of its own).
Every wait here is on what the page or the server shows, never on a fixed sleep."""

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


@dataclass
class Lab:
    url: str
    token: str
    home: Path  # the registry the notebook's kernel opens (its MLOPS_HOME)
    notebooks: Path  # the lab's root folder

    def write(self, name: str, cells: list[str]) -> None:
        """A notebook of these code cells in the lab's root, on the Python 3 kernel."""
        notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
        notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
        nbformat.write(notebook, self.notebooks / name)

    def open(self, page: Any, name: str) -> None:
        """Open notebook `name` in `page` and wait until its kernel is idle."""
        page.goto(f"{self.url}/lab/tree/{name}?token={self.token}")
        wait_for_kernel(page)


def running_lab(tmp_path: Path, *options: str) -> Iterator[Lab]:
    """`jupyter lab` on a free loopback port, on a temp root for the notebooks, with its
    settings, runtime files and registry under tmp_path, and these command-line `options`;
    stopped when the test ends."""
    folders = {name: tmp_path / name for name in ("notebooks", "jupyter", "settings", "ipython")}
    for folder in folders.values():
        folder.mkdir()
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
        *options,
    ]
    with open(tmp_path / "lab.log", "wb") as log:
        server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_for_server(server, f"{url}/api/status?token={token}", tmp_path / "lab.log")
        yield Lab(url, token, tmp_path / "registry", folders["notebooks"])
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def set_lab_settings(tmp_path: Path, plugin: str, values: dict[str, Any]) -> None:
    """The user settings of a lab's `plugin` (`package:name`), as the settings editor saves
    them, for a lab `running_lab(tmp_path)` starts or has started (read at page load)."""
    package, _, name = plugin.partition(":")
    folder = tmp_path / "settings" / package
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.jupyterlab-settings").write_text(json.dumps(values))


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


def chromium() -> Iterator[Any]:
    """Debian's chromium, headless; skipped where it is missing and cannot be installed
    (no root), a failure where `make test` should have installed it."""
    if not CHROMIUM.exists():
        if os.geteuid() != 0:
            pytest.skip(
                "Debian's chromium is not installed and installing it needs root "
                "(as root, `make test` runs apt-get install chromium)"
            )
        pytest.fail("/usr/bin/chromium is missing; `make test` installs it with apt-get")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        try:
            yield browser
        finally:
            browser.close()


def wait_for_kernel(page: Any) -> None:
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


def browser_errors(page: Any) -> list[str]:
    """What the page reports as errors from now on: console errors, uncaught exceptions."""
    problems: list[str] = []

    def console(message: Any) -> None:
        if message.type == "error":
            problems.append(f"console: {message.text}")

    page.on("console", console)
    page.on("pageerror", lambda error: problems.append(f"uncaught: {error}"))
    return problems


def run_all(page: Any) -> None:
    """Run every cell of the visible notebook, and wait until the kernel has taken the first.

    The command does nothing at all while the notebook has no active cell, or, named by no
    id, while JupyterLab has not yet made it "the current notebook"; a page under load can
    show the notebook and its idle kernel before either, so both are waited for or given."""
    page.wait_for_function(
        "(panel) => document.querySelector(`${panel} .jp-Cell.jp-mod-active`) !== null",
        arg=PANEL,
        timeout=120_000,
    )
    page.evaluate(
        """(panel) => {
          const id = document.querySelector(panel).id;
          window.jupyterapp.commands.execute('notebook:run-all-cells', {widgetId: id});
        }""",
        PANEL,
    )
    page.wait_for_function(
        """(panel) => {
          const prompt = document.querySelector(`${panel} .jp-InputPrompt`);
          return prompt !== null && !/^\\[ \\]/.test(prompt.textContent.trim());
        }""",
        arg=PANEL,
        timeout=120_000,
    )


def errors_shown(page: Any) -> list[str]:
    """The error outputs (tracebacks, error messages on stderr) of the visible notebook."""
    errors = page.locator(f"{PANEL} .jp-OutputArea-output[data-mime-type*=stderr]")
    return [text for text in errors.all_inner_texts() if "Error" in text or "Traceback" in text]


def use_theme(page: Any, theme: str) -> None:
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


# the colours of an element as they reach the screen: its background painted over the
# backgrounds under it (down to an opaque one), and its text over that, read from a canvas
PAINT = """
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
  const under = (element) => {
    const layers = [];
    for (let at = element; at; at = at.parentElement) {
      layers.unshift(getComputedStyle(at).backgroundColor);
      if (opaque(layers[0])) break;
    }
    return layers;
  };
  const look = (element) => element && {
    background: paint(under(element)),
    ink: paint([...under(element), getComputedStyle(element).color]),
  };
"""


def distance(a: list[int], b: list[int]) -> float:
    return float(sum((x - y) ** 2 for x, y in zip(a, b, strict=True)) ** 0.5)


def contrast(a: list[int], b: list[int]) -> float:
    """WCAG's contrast ratio of two sRGB colours (4.5 is the floor for body text)."""

    def luminance(rgb: list[int]) -> float:
        linear = [c / 255 / 12.92 if c <= 10 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in rgb]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)
