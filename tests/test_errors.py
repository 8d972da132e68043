"""Every error the package raises on purpose has a kind, and every face answers every kind:
a notebook with a one-line UsageError, the command line with its exit code, the model
server with its HTTP status; each names the fix in its own user's spelling."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

import jupyter_mlops
from jupyter_mlops import Registry, errors
from jupyter_mlops.cli import refused
from jupyter_mlops.errors import OUTCOMES, Face, Kind, MlopsError
from jupyter_mlops.magics.parser import usage_error

SERVER_STATUSES = {400, 401, 403, 404, 409, 413, 422, 503}
WORDS = ("versions", "churn")
SHELL_OWN_CODES = {0, 1, 3}  # done, verify's finding or a bug of ours, an alert fires


def every_error() -> list[type[MlopsError]]:
    """Every subclass of MlopsError in the package, each module imported first."""
    for module in pkgutil.walk_packages(jupyter_mlops.__path__, "jupyter_mlops."):
        if not module.name.endswith("__main__"):
            importlib.import_module(module.name)
    found, todo = [], [MlopsError]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return found


def example(cls: type[MlopsError]) -> MlopsError:
    """An instance of `cls`, made as the package makes one."""
    if issubclass(cls, errors.BucketError):
        return cls(None, "bucket 'team' is missing", "create it", "the bucket is missing")
    if issubclass(cls, errors.StorageError):
        return cls(28, "cannot write: the disk is full; free some space and run it again.")
    if issubclass(cls, errors.ModelRefused):
        return cls("ValueError: bad input")
    if issubclass(cls, errors.UnwrittenPointsError):
        return cls("points not written; ", errors.RUNS, ".", path=None)
    return cls("it failed; pass ", errors.Option("reason", python="'why'", typed="WHY"), ".")


def test_every_error_lives_in_errors_and_has_an_outcome_in_every_face() -> None:
    found = every_error()
    assert len(found) >= 20 and errors.UnavailableError in found
    assert {Kind(kind) for kind in Kind} == set(OUTCOMES)
    for cls in found:
        assert cls.__module__ == "jupyter_mlops.errors", cls
        exc = example(cls)
        outcome = OUTCOMES[exc.kind]
        assert outcome.http_status in SERVER_STATUSES, cls
        assert outcome.exit_code not in SHELL_OWN_CODES, cls
        notebook = usage_error(exc)
        assert isinstance(notebook, UsageError) and "\n" not in str(notebook), cls
    assert not hasattr(errors, "UsageError")  # the name is IPython's; ours is InvalidArgument


def test_a_fix_is_spelled_for_each_face() -> None:
    exc = errors.InvalidArgumentError(
        "windows of 1d need a time column; pass ", errors.Option("time_column"), "."
    )
    assert str(exc) == "windows of 1d need a time column; pass time_column=."
    assert exc.render(Face.NOTEBOOK).endswith("pass --time-column.")
    assert exc.render(Face.SHELL).endswith("pass --time-column.")
    promote = errors.NotFoundError("promote first with `", errors.promote_command("m", "a"), "`.")
    assert "registry.promote('m', VERSION, 'a')" in str(promote)
    assert "`%mlops promote m VERSION a`" in promote.render(Face.NOTEBOOK)
    assert "`jupyter-mlops promote m VERSION a`" in promote.render(Face.SHELL)


def test_the_command_line_exits_with_the_code_of_the_kind(capsys) -> None:
    for kind in (errors.NotFoundError, errors.RegistryBusyError, errors.UnsafeModelError):
        exc = kind("no such thing; run `", errors.RUNS, "` to list them.")
        assert refused(exc, prog="jupyter-mlops") == OUTCOMES[exc.kind].exit_code
        assert capsys.readouterr().err == (
            "jupyter-mlops: no such thing; run `jupyter-mlops runs` to list them.\n"
        )


def test_an_unknown_model_is_named_with_each_faces_command(
    tmp_path: Path, subprocess_env: dict[str, str], ipython: InteractiveShell
) -> None:
    registry = Registry(tmp_path / "registry")
    with pytest.raises(errors.ModelNotFoundError) as python:
        registry.versions("churn")
    assert "run `Registry().models()` to list them" in str(python.value)

    ip = ipython  # closed after the test, so its `%mlops connect` ends with it
    ip.run_cell("%load_ext jupyter_mlops")
    ip.run_cell(f"%mlops connect {registry.home}")
    result = ip.run_cell("%mlops versions churn")
    assert isinstance(result.error_in_exec, UsageError)
    assert "run `%mlops models` to list them" in str(result.error_in_exec)

    done = subprocess.run(
        [sys.executable, "-m", "jupyter_mlops.cli", "--home", str(registry.home), *WORDS],
        capture_output=True,
        text=True,
        env=subprocess_env,
    )
    assert done.returncode == OUTCOMES[Kind.NOT_FOUND].exit_code == 4
    assert "run `jupyter-mlops models` to list them" in done.stderr
    assert done.stderr.count("\n") == 1 and "%mlops" not in done.stderr
