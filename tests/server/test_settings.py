"""The extension's settings are checked when it loads: a value out of range is refused in
one sentence naming the setting, and a server whose extension failed to load still stops
on SIGTERM as one whose extension loaded. The panel's refresh is the panel's own setting,
so the extension has none."""

from __future__ import annotations

import math
import os
import secrets
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from traitlets import TraitError

from jupyter_mlops.server.extension import MlopsExtension
from tests.conftest import ROOT, free_port, wait_for


@pytest.mark.parametrize(
    ("setting", "value", "said"),
    [
        ("workers", 0, "MlopsExtension.workers = 0 cannot reach the registry; set it to 1"),
        ("workers", -2, "set it to 1 or more, e.g. --MlopsExtension.workers=4."),
        ("lock_timeout", -1.0, "MlopsExtension.lock_timeout = -1.0 is not a number of seconds"),
        ("lock_timeout", math.nan, "lock_timeout = nan is not a number of seconds; set it to 0"),
        ("lock_timeout", math.inf, "lock_timeout = inf is not a number of seconds"),
    ],
)
def test_a_setting_out_of_range_is_refused_in_one_sentence(
    setting: str, value: float, said: str
) -> None:
    with pytest.raises(TraitError) as raised:
        MlopsExtension(**{setting: value})
    assert said in str(raised.value) and "\n" not in str(raised.value)


async def test_an_extension_that_never_loaded_stops_cleanly() -> None:
    await MlopsExtension().stop_extension()  # what the server calls at SIGTERM


def test_the_extension_has_no_refresh_setting() -> None:
    assert "refresh" not in MlopsExtension.class_trait_names(config=True)


def test_a_server_whose_extension_failed_to_load_stops_on_sigterm(tmp_path: Path) -> None:
    port, token = free_port(), secrets.token_hex(16)
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        MLOPS_HOME=str(tmp_path / "registry"),
        JUPYTER_CONFIG_DIR=str(tmp_path / "config"),
        JUPYTER_DATA_DIR=str(tmp_path / "data"),
        JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
    )
    command = [
        *(sys.executable, "-m", "jupyter_server", "--no-browser", "--ip=127.0.0.1"),
        *(f"--port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}"),
        "--ServerApp.jpserver_extensions={'jupyter_mlops.server': True}",
        f"--ServerApp.root_dir={tmp_path}",
        "--MlopsExtension.workers=0",
        *(["--allow-root"] if os.geteuid() == 0 else []),
    ]
    log = tmp_path / "server.log"
    with open(log, "wb") as written:
        server = subprocess.Popen(command, env=env, stdout=written, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: _answers(f"http://127.0.0.1:{port}/api/status?token={token}"),
                 "the server to answer", every=0.1)  # fmt: skip
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=60) is not None, log.read_text()
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    said = log.read_text()  # refused, and the server goes on with the default
    assert "MlopsExtension.workers = 0 cannot reach the registry" in said
    assert "has no attribute 'access'" not in said


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5):
            return True
    except OSError:
        return False
