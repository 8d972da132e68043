"""From `pip install` to the MLOps sidebar on screen, in a fresh virtual environment.

    python benchmarks/panel_install.py [--keep]

What a new user does, timed step by step on a clean clone of this repository (nothing built,
no node_modules): build the wheel (pip runs the sidebar's build: jlpm install, tsc, the
labextension bundle), install it with its dependencies into a new venv, start `jupyter lab`
from that venv on a registry holding one model, and open the sidebar in Debian's Chromium
until it lists the model. Prints the wheel's size and each step's time. Downloads come from
the package registries (and the machine's caches, which make a second run faster: the first
run on a machine is the honest one).
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import free_port  # noqa: E402
from tests.lab import CHROMIUM, FLAGS  # noqa: E402  (the browser the suite drives)

REGISTER = """
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from jupyter_mlops import Registry
X, y = load_breast_cancer(return_X_y=True, as_frame=True)
Registry().register("tumour", LogisticRegression(max_iter=5000).fit(X, y), X=X, y=y)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="mlops-install-"))
    try:
        run(scratch)
    finally:
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)


def run(scratch: Path) -> None:
    clone, venv, wheels = scratch / "clone", scratch / "venv", scratch / "wheels"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    steps: dict[str, float] = {}
    with step(steps, "build the wheel (the sidebar included)"):
        pip(python, "wheel", "--no-deps", "-w", str(wheels), str(clone))
    wheel = next(wheels.glob("jupyter_mlops-*.whl"))
    with step(steps, "install it and its dependencies"):
        pip(python, "install", str(wheel))
    home = scratch / "registry"
    env = dict(os.environ, MLOPS_HOME=str(home), PATH=f"{venv / 'bin'}:{os.environ['PATH']}")
    env.pop("PYTHONPATH", None)
    subprocess.run([str(python), "-c", REGISTER], env=env, check=True, cwd=scratch)
    with step(steps, "start jupyter lab until the sidebar lists the model"):
        seen_in_lab(venv, scratch, env)
    print(f"wheel: {wheel.name}, {wheel.stat().st_size / 1e3:,.0f} kB")
    for what, seconds in steps.items():
        print(f"{seconds:8.1f} s  {what}")
    print(f"{sum(steps.values()):8.1f} s  from pip to the sidebar on screen")


class step:
    """Times the block under `what` in `steps`."""

    def __init__(self, steps: dict[str, float], what: str) -> None:
        self.steps, self.what = steps, what

    def __enter__(self) -> None:
        self.started = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        self.steps[self.what] = time.perf_counter() - self.started


def pip(python: Path, *args: str) -> None:
    subprocess.run([str(python), "-m", "pip", "--quiet", *args], check=True)


def seen_in_lab(venv: Path, scratch: Path, env: dict[str, str]) -> None:
    from playwright.sync_api import sync_playwright

    port, token = free_port(), secrets.token_hex(16)
    command = [
        *(str(venv / "bin" / "jupyter"), "lab", "--no-browser", "--ip=127.0.0.1"),
        *(f"--port={port}", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={scratch}"),
        *(["--allow-root"] if os.geteuid() == 0 else []),
    ]
    log = open(scratch / "lab.log", "wb")  # noqa: SIM115  (closed with the server)
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        answering(f"{url}/api/status?token={token}", server)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
            page = browser.new_page()
            page.goto(f"{url}/lab?token={token}")
            page.locator('.jp-SideBar .lm-TabBar-tab[data-id="jp-mlops-panel"]').click()
            model = page.locator('#jp-mlops-panel .jp-mlops-model[data-model="tumour"]')
            model.wait_for(timeout=180_000)
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def answering(status: str, server: subprocess.Popen[bytes]) -> None:
    """Until the server answers its status URL (or exits, which fails)."""
    while server.poll() is None:
        try:
            with urllib.request.urlopen(status, timeout=5):
                return
        except OSError:
            time.sleep(0.1)  # between two looks at the server
    raise SystemExit(f"jupyter lab exited with {server.returncode}")


if __name__ == "__main__":
    main()
