"""One package, one version: pyproject, the sidebar's package.json and `__version__` agree, and
the installed package brings both halves of the JupyterLab integration, enabled: the sidebar
(a prebuilt labextension) and the server extension its REST API lives in.

The second half asks the `jupyter` of the environment running the tests, as a person would
after `pip install`; it needs that environment to hold this checkout (as `make install` and CI
make it), not another one."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest

import jupyter_mlops

ROOT = Path(__file__).resolve().parent.parent
JUPYTER = str(Path(sys.executable).parent / "jupyter")
COLOUR = re.compile(r"\x1b\[[0-9;]*m")


def test_pyproject_package_json_and_the_module_give_one_version() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    package = json.loads((ROOT / "labextension" / "package.json").read_text())
    assert package["name"] == "jupyter-mlops"
    assert pyproject == package["version"] == jupyter_mlops.__version__


def installed_from_here() -> bool:
    """Whether the environment's jupyter-mlops was installed from this checkout."""
    try:
        direct = metadata.distribution("jupyter-mlops").read_text("direct_url.json")
    except metadata.PackageNotFoundError:
        return False
    url = json.loads(direct or "{}").get("url", "")
    return url.removeprefix("file://").rstrip("/") == str(ROOT)


def jupyter(*args: str) -> str:
    result = subprocess.run([JUPYTER, *args], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    return COLOUR.sub("", result.stdout + result.stderr)


@pytest.mark.skipif(
    not installed_from_here(),
    reason="this environment's jupyter-mlops is not installed from this checkout "
    "(`make install` installs it)",
)
def test_the_installed_package_enables_the_sidebar_and_the_server_extension() -> None:
    version = re.escape(jupyter_mlops.__version__)
    labextensions = jupyter("labextension", "list")
    assert re.search(rf"jupyter-mlops v{version} enabled\s+OK", labextensions), labextensions
    servers = jupyter("server", "extension", "list")
    assert re.search(r"jupyter_mlops\.server enabled", servers), servers
    # validated: the module imports (its version is shown when the module has one)
    assert re.search(rf"jupyter_mlops\.server +(?:{version} +)?OK", servers), servers
