"""What a registration leaves when the disk refuses it (full, read-only) or DuckDB's
checkpoint fails: nothing, and one sentence saying so; retrying stores one version."""

from __future__ import annotations

import subprocess
import sys

import pytest

from jupyter_mlops import Registry
from jupyter_mlops.errors import StorageError

ABORTED = """
import sys
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from jupyter_mlops import Registry
from jupyter_mlops.store.connection import _Engine
X, y = load_breast_cancer(return_X_y=True, as_frame=True)
model = LogisticRegression(max_iter=5000).fit(X, y)
registry = Registry(sys.argv[1])
_Engine.connection().execute("SET debug_checkpoint_abort = 'before_header'")
try:
    registry.register("m", model, X=X, y=y, force=True)
except Exception as exc:
    print(type(exc).__name__, exc)
"""


def test_a_checkpoint_that_fails_saves_nothing_and_says_so(tmp_path, fitted, dataset):
    home = tmp_path / "registry"
    X, y = dataset
    Registry(home).register("m", fitted, X=X, y=y)
    answer = subprocess.run(
        [sys.executable, "-c", ABORTED, str(home)], capture_output=True, text=True, check=True
    ).stdout
    assert "nothing was saved" in answer, answer
    registry = Registry(home)
    assert [v.version for v in registry.versions("m")] == [1]  # not a version nobody was told of
    registry.register("m", fitted, X=X, y=y, force=True)
    assert [v.version for v in registry.versions("m")] == [1, 2]
    assert registry.verify().ok


def test_a_full_disk_stores_no_version_and_says_what_to_do(disk, fitted, dataset):
    X, y = dataset
    registry = Registry(disk.mount / "registry")
    registry.register("m", fitted, X=X, y=y)
    disk.fill(leave=16 * 1024)
    with pytest.raises(StorageError) as raised:
        registry.register("m", fitted, X=X, y=y, metrics={"auc": 0.9})
    assert "full" in str(raised.value) and "\n" not in str(raised.value)
    assert [v.version for v in registry.versions("m")] == [1]
    disk.free()
    registry.register("m", fitted, X=X, y=y, metrics={"auc": 0.9})
    assert [v.version for v in registry.versions("m")] == [1, 2]
    assert registry.verify().ok


def test_a_read_only_home_reads_and_refuses_changes_in_one_sentence(disk, fitted, dataset):
    X, y = dataset
    home = disk.mount / "registry"
    registry = Registry(home)
    registry.register("m", fitted, X=X, y=y)
    registry.promote("m", 1, "champion")
    disk.read_only()
    try:
        reader = Registry(home)
        assert reader.get("m@champion").version == 1
        assert reader.load("m@champion") is not None
        for change in (
            lambda: reader.promote("m", 1, "challenger"),
            lambda: reader.register("m", fitted, X=X, y=y),
            lambda: reader.tag("m", 1, {"stage": "prod"}),
        ):
            with pytest.raises(StorageError) as raised:
                change()
            message = str(raised.value)
            assert "read-only" in message and "backup" not in message and "\n" not in message
        assert len(reader.history("m")) == 1
    finally:
        disk.writable()


def test_a_cli_change_on_a_read_only_home_is_one_line_and_exit_code_1(
    disk, fitted, dataset, subprocess_env
):
    X, y = dataset
    home = disk.mount / "registry"
    Registry(home).register("m", fitted, X=X, y=y)
    disk.read_only()
    try:
        done = subprocess.run(
            ["jupyter-mlops", "--home", str(home), "promote", "m", "1", "champion"],
            capture_output=True,
            text=True,
            env=subprocess_env,
        )
        listed = subprocess.run(
            ["jupyter-mlops", "--home", str(home), "versions", "m"],
            capture_output=True,
            text=True,
            env=subprocess_env,
        )
    finally:
        disk.writable()
    assert done.returncode == 9
    assert "read-only" in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert listed.returncode == 0 and "1" in listed.stdout


def test_a_retry_returns_the_version_it_would_repeat(registry, fitted, dataset):
    X, y = dataset
    first = registry.register("m", fitted, X=X, y=y, metrics={"auc": 0.9})
    again = registry.register("m", fitted, X=X, y=y, metrics={"auc": 0.9}, if_new=True)
    assert again.version == first.version == 1  # if_new, the default now, is still accepted
    assert registry.register("m", fitted, X=X, y=y, metrics={"auc": 0.9}, force=True).version == 2
    assert registry.register("m", fitted, X=X, y=y, metrics={"auc": 0.8}).version == 3
    assert registry.register("m", fitted, X=X.iloc[:100], y=y.iloc[:100]).version == 4
    registry.archive("m", 1)
    registry.archive("m", 2)
    assert registry.register("m", fitted, X=X, y=y, metrics={"auc": 0.9}).version == 5


REFIT = """
import sys
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import RandomForestClassifier
from jupyter_mlops import Registry
X, y = load_breast_cancer(return_X_y=True, as_frame=True)
model = RandomForestClassifier(n_estimators=5, random_state=0).fit(X, y)
print(Registry(sys.argv[1]).register("forest", model, X=X, y=y).version)
"""


def test_the_same_model_fitted_and_stored_by_another_process_is_known(tmp_path):
    home = str(tmp_path / "registry")
    versions = [
        subprocess.run(
            [sys.executable, "-c", REFIT, home], capture_output=True, text=True, check=True
        ).stdout.strip()
        for _ in range(2)
    ]
    assert versions == ["1", "1"]
    assert len(Registry(home).versions("forest")) == 1
