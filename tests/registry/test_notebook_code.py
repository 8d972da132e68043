"""A model holding code defined in the notebook (`--trust __main__.X`): warned of when
registered, and named in one sentence wherever it cannot load."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from IPython.core.interactiveshell import InteractiveShell

from jupyter_mlops.errors import NotebookCodeWarning
from tests.conftest import free_port

CLI = str(Path(sys.executable).parent / "jupyter-mlops")
NOTEBOOK = """
import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

def clipped(x):
    return np.clip(x, -2, 2)

rows = pd.DataFrame(np.random.default_rng(0).normal(size=(600, 3)), columns=["a", "b", "c"])
X, y = rows.iloc[:400], (rows.a.iloc[:400] > 0).astype(int)
X_val, y_val = rows.iloc[400:], (rows.a.iloc[400:] > 0).astype(int)
model = make_pipeline(FunctionTransformer(clipped), LogisticRegression()).fit(X, y)
"""


def test_notebook_code_is_warned_of_and_named_where_it_cannot_load(
    ipython: InteractiveShell, tmp_path: Path, subprocess_env: dict[str, str]
) -> None:
    shell = ipython
    shell.run_cell(f"%mlops connect {tmp_path / 'registry'}")
    shell.run_cell(NOTEBOOK).raise_error()
    line = (
        "v = %mlops register clip model --data X y --reference X_val y_val --trust __main__.clipped"
    )
    with pytest.warns(NotebookCodeWarning, match=r"__main__\.clipped.*move it into a module"):
        shell.run_cell(line).raise_error()
    note = shell.user_ns["v"].note
    assert "loads only in processes where it is defined again" in note
    assert "move it into a module" in note and "--trust features.clipped" in note
    shell.run_cell("%mlops promote clip 1").raise_error()
    shell.run_cell("loaded = %mlops load clip:1").raise_error()  # here, where it is defined
    assert (shell.user_ns["loaded"].predict(shell.user_ns["X"]) == shell.user_ns["y"]).mean() > 0.9

    # a fresh kernel, the command line, a scheduled check and a server start
    fresh = subprocess.run(
        [sys.executable, "-c", "import jupyter_mlops as m; m.Registry().load('clip:1')"],
        capture_output=True,
        text=True,
        env=subprocess_env,
        timeout=120,
    )
    assert (
        "InvalidArgumentError: clip version 1 uses __main__.clipped, defined in the notebook"
        in (fresh.stderr.splitlines()[-1])
    )
    week = tmp_path / "week.parquet"
    shell.user_ns["X_val"].to_parquet(week)
    check = _cli(subprocess_env, "check", "clip@champion", "--current", str(week))
    assert check.returncode == 0, check.stderr
    assert (
        "clip version 1 uses __main__.clipped, defined in the notebook or script that registered "
        "it, which this process does not have (move it into a module" in check.stdout
    )
    serve = _cli(subprocess_env, "serve", "clip@champion", "--port", str(free_port()))
    assert serve.returncode == 2
    problem = serve.stderr.strip()
    assert problem.startswith("jupyter-mlops: clip version 1 uses __main__.clipped")
    assert "\n" not in problem and "Traceback" not in problem


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CLI, *args], capture_output=True, text=True, env=env, timeout=300)
