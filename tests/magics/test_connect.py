"""The registry a notebook connects to is where `mlops.run()` and `Tracker()` write."""

from __future__ import annotations

from pathlib import Path

import pytest
from IPython.core.interactiveshell import InteractiveShell

from jupyter_mlops import Registry, Tracker


def experiments(home: Path) -> list[str]:
    return [run.experiment for run in Tracker(Registry(home)).runs()]


def test_a_run_in_a_connected_notebook_is_recorded_in_its_registry(
    ipython: InteractiveShell, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chosen, environment, other = tmp_path / "chosen", tmp_path / "environment", tmp_path / "other"
    monkeypatch.setenv("MLOPS_HOME", str(environment))
    assert ipython.run_cell(f"%mlops connect {chosen}").success
    assert ipython.run_cell('with mlops.run("e"):\n    mlops.log_metric("loss", 0.5)').success
    assert ipython.run_cell('mlops.Tracker().start("started").end()').success
    assert sorted(experiments(chosen)) == ["e", "started"]
    assert ipython.run_cell(f"%config MlopsMagics.home = '{other}'").success
    assert ipython.run_cell('with mlops.run("configured"):\n    pass').success
    assert experiments(other) == ["configured"]
    assert ipython.run_cell("%unload_ext jupyter_mlops").success
    assert ipython.run_cell('with mlops.run("unloaded"):\n    pass').success
    assert experiments(environment) == ["unloaded"]
    assert len(experiments(chosen)) == 2 and experiments(other) == ["configured"]
    assert ipython.run_cell("%load_ext jupyter_mlops").success
