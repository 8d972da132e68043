"""`%config MlopsMagics`: the registry, its lock's deadline and figures, set as IPython's own
settings are (in a cell, or in a profile)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import plotly.graph_objects as go
import pytest
from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config

from jupyter_mlops import Registry
from jupyter_mlops.store import locks
from jupyter_mlops.viz.text import FigureSummary
from tests.conftest import close_shell


@pytest.fixture
def shell(ipython: InteractiveShell, tmp_path: Path, dataset, fitted) -> Iterator[InteractiveShell]:
    """The module's shell connected to a registry in tmp_path, with settings back as they
    were once the test is done."""
    X, y = dataset
    ipython.user_ns.update(X=X, y=y, clf=fitted)
    assert ipython.run_cell(f"%mlops connect {tmp_path / 'registry'}").success
    yield ipython
    for line in ["MlopsMagics.lock_timeout = 60", "MlopsMagics.show_figures = True"]:
        ipython.run_cell(f"%config {line}")


def result(shell: InteractiveShell, line: str) -> object:
    ran = shell.run_cell(line)
    assert ran.success, ran.error_in_exec
    return ran.result


def test_config_lists_the_settings_with_their_current_values(shell, tmp_path, capsys):
    capsys.readouterr()
    result(shell, "%config MlopsMagics")
    listed = capsys.readouterr().out
    for setting in ["home", "lock_timeout", "show_figures"]:
        assert f"MlopsMagics.{setting}=" in listed
    assert f"Current: {str(tmp_path / 'registry')!r}" in listed
    assert "Current: 60.0" in listed and "Current: True" in listed


def test_setting_home_switches_the_registry_as_connect_does(shell, tmp_path, capsys):
    elsewhere = tmp_path / "elsewhere"
    result(shell, f'%config MlopsMagics.home = "{elsewhere}"')
    assert str(result(shell, "%mlops connect")) == f"Registry({str(elsewhere)!r})"
    result(shell, "%mlops register churn clf --data X y")
    assert [m.name for m in Registry(elsewhere).models()] == ["churn"]
    assert Registry(tmp_path / "registry").models().to_frame().empty
    result(shell, f"%mlops connect {tmp_path / 'third'}")
    assert result(shell, "%config MlopsMagics.home") == str(tmp_path / "third")


def test_a_home_that_cannot_be_a_registry_is_refused_and_the_registry_stays(
    shell, tmp_path, caplog
):
    (tmp_path / "a-file").write_text("not a directory")
    result(shell, f'%config MlopsMagics.home = "{tmp_path / "a-file"}"')  # IPython logs why
    assert "is a file, not a directory; give a directory" in caplog.text
    assert result(shell, "%config MlopsMagics.home") == str(tmp_path / "registry")
    assert str(result(shell, "%mlops connect")) == f"Registry({str(tmp_path / 'registry')!r})"


def test_lock_timeout_is_how_long_a_write_waits_for_another_writer(shell, tmp_path):
    result(shell, "%mlops register churn clf --data X y")
    result(shell, "%config MlopsMagics.lock_timeout = 0.2")
    held = tmp_path / "registry" / ".registry.duckdb.lock"
    with locks.exclusive(held, timeout=1, what="the registry"):
        ran = shell.run_cell("%mlops promote churn 1")
    assert not ran.success
    assert f"locked by process {os.getpid()} for more than 0.2 s" in str(ran.error_in_exec)
    assert result(shell, "%mlops promote churn 1") is not None  # let go: the write goes through


def test_a_lock_timeout_that_is_not_seconds_is_refused(shell, caplog):
    result(shell, "%config MlopsMagics.lock_timeout = -1")
    assert "is not a number of seconds; set it to 0 or more" in caplog.text
    assert result(shell, "%config MlopsMagics.lock_timeout") == 60.0


def test_show_figures_off_gives_each_figure_as_text(shell):
    result(shell, "%mlops register churn clf --data X y --metrics auc=0.91")
    assert isinstance(result(shell, "%mlops metrics churn"), go.Figure)
    result(shell, "%config MlopsMagics.show_figures = False")
    summary = result(shell, "%mlops metrics churn")
    assert isinstance(summary, FigureSummary)
    assert "auc" in repr(summary) and isinstance(summary.figure, go.Figure)


def test_reloading_the_extension_leaves_one_mlops_magics_to_configure(shell, tmp_path):
    result(shell, "%reload_ext jupyter_mlops")
    result(shell, f"%mlops connect {tmp_path / 'after-reload'}")
    assert result(shell, "%config MlopsMagics.home") == str(tmp_path / "after-reload")
    configured = [type(c).__name__ for c in shell.configurables]
    assert configured.count("MlopsMagics") == 1


def test_a_profile_chooses_the_registry_and_the_settings(tmp_path, dataset, fitted):
    config = Config()
    config.MlopsMagics.home = str(tmp_path / "from-profile")
    config.MlopsMagics.show_figures = False
    profiled = InteractiveShell(config=config)
    try:
        result(profiled, "%load_ext jupyter_mlops")
        assert str(result(profiled, "%mlops connect")).endswith("from-profile')")
        assert result(profiled, "%config MlopsMagics.show_figures") is False
    finally:
        close_shell(profiled)
