"""The layers hold: imports point one way, the faces never import each other, and the core
runs in a plain script. The contracts live in pyproject.toml and `lint-imports` checks
them; the last test runs the core and looks at what it loaded."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = str(Path(sys.executable).parent / "lint-imports")


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """`lint-imports` over the package under `root`, with the contracts of its pyproject."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [LINT_IMPORTS, "--no-cache"], cwd=root, env=env, capture_output=True, text=True
    )


def test_the_code_keeps_every_contract() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 4 kept, 0 broken." in result.stdout


def test_every_contract_holds_with_no_import_ignored() -> None:
    linter = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    ignored = {c["name"]: c["ignore_imports"] for c in linter["contracts"] if "ignore_imports" in c}
    assert ignored == {}


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the package and its contracts, which keeps them all."""
    root = tmp_path_factory.mktemp("pristine")
    shutil.copytree(ROOT / "jupyter_mlops", root / "jupyter_mlops")
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    assert lint_imports(root).returncode == 0
    return root


# what is added to which file, and what lint-imports then says
WRONG_WAY = {
    "store importing monitoring": (
        "store/upward.py",
        "from jupyter_mlops.monitoring import drift\n",
        "jupyter_mlops.store is not allowed to import jupyter_mlops.monitoring",
    ),
    "registry importing monitoring inside a function": (
        "registry/upward.py",
        "def profile():\n    from jupyter_mlops.monitoring import drift\n\n    return drift\n",
        "jupyter_mlops.registry is not allowed to import jupyter_mlops.monitoring",
    ),
    "the profile importing the registry": (
        "profiling/upward.py",
        "import jupyter_mlops.registry.refs\n",
        "jupyter_mlops.profiling is not allowed to import jupyter_mlops.registry",
    ),
    "the model server importing the magics": (
        "serving/sideways.py",
        "from jupyter_mlops.magics import parser\n",
        "jupyter_mlops.serving is not allowed to import jupyter_mlops.magics",
    ),
    "the command line importing the model server's app": (
        "cli/__init__.py",
        "from jupyter_mlops.serving import app\n",
        "jupyter_mlops.cli is not allowed to import jupyter_mlops.serving",
    ),
    "deployment control importing the model server": (
        "deploying/upward.py",
        "def app():\n    from jupyter_mlops.serving import app\n\n    return app\n",
        "jupyter_mlops.deploying is not allowed to import jupyter_mlops.serving",
    ),
    "deployment control importing the web framework": (
        "deploying/web.py",
        "import starlette\n",
        "jupyter_mlops.deploying is not allowed to import starlette",
    ),
    "the command line drawing a figure": (
        "cli/__init__.py",
        "from jupyter_mlops.viz import drift\n",
        "jupyter_mlops.cli is not allowed to import jupyter_mlops.viz",
    ),
    "tracking importing IPython lazily": (
        "tracking/shell.py",
        "def shell():\n    import IPython\n\n    return IPython.get_ipython()\n",
        "jupyter_mlops.tracking is not allowed to import IPython",
    ),
    "monitoring importing plotly": (
        "monitoring/figure.py",
        "import plotly.graph_objects\n",
        "jupyter_mlops.monitoring is not allowed to import plotly",
    ),
    "an operation importing the magics": (
        "operations/upward.py",
        "from jupyter_mlops.magics import namespace\n",
        "jupyter_mlops.operations is not allowed to import jupyter_mlops.magics",
    ),
    "a shared subcommand importing IPython": (
        "commands/shell.py",
        "from IPython.core.error import UsageError\n",
        "jupyter_mlops.commands is not allowed to import IPython",
    ),
    "a module on no layer": ("stray.py", "VALUE = 1\n", "jupyter_mlops.stray"),
}


@pytest.mark.parametrize("case", WRONG_WAY, ids=list(WRONG_WAY))
def test_an_import_in_a_wrong_direction_breaks_a_contract(
    case: str, pristine: Path, tmp_path: Path
) -> None:
    """The package with one import added: lint-imports fails and names the arrow."""
    path, code, message = WRONG_WAY[case]
    shutil.copytree(pristine, tmp_path, dirs_exist_ok=True)
    changed = tmp_path / "jupyter_mlops" / path
    changed.write_text((changed.read_text() if changed.exists() else "") + code)
    result = lint_imports(tmp_path)
    assert result.returncode == 1
    assert "BROKEN" in result.stdout and message in " ".join(result.stdout.split())


CORE = [
    "jupyter_mlops",
    "jupyter_mlops.errors",
    "jupyter_mlops.config",
    "jupyter_mlops.store",
    "jupyter_mlops.store.catalog",
    "jupyter_mlops.store.migrations",
    "jupyter_mlops.profiling.profile",
    "jupyter_mlops.registry",
    "jupyter_mlops.monitoring",
    "jupyter_mlops.monitoring.monitor",
    "jupyter_mlops.monitoring.checking",
    "jupyter_mlops.tracking",
    "jupyter_mlops.tracking.cells",
    "jupyter_mlops.operations",
    "jupyter_mlops.commands",
    "jupyter_mlops.cli",
    "jupyter_mlops.cli.subcommands",
]
FORBIDDEN = ["IPython", "ipywidgets", "plotly", "jupyter_server", "tornado", "ipykernel"]

SCRIPT = f"""
import sys
for name in {CORE!r}:
    __import__(name)
from jupyter_mlops import Registry
import tempfile
from sklearn.linear_model import LogisticRegression
registry = Registry(tempfile.mkdtemp())
registry.register("m", LogisticRegression().fit([[0], [1]], [0, 1]), X=[[0], [1]], y=[0, 1])
registry.load("m")
from jupyter_mlops import Monitor
monitor = Monitor(registry)
monitor.add_alert("m:1", "drift.share > 0.5")
monitor.check("m:1", current=__import__("pandas").DataFrame({{"x0": [0.0, 1.0, 0.5]}}))
print(",".join(sorted(m for m in sys.modules if m.split(".")[0] in {FORBIDDEN!r})))
"""


def test_core_imports_no_jupyter_module():
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""
