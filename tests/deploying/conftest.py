"""A registry with the diagnosis model's version 1 as champion, for every deployment test."""

from __future__ import annotations

from pathlib import Path

import pytest

from jupyter_mlops import Registry


@pytest.fixture
def registry(tmp_path: Path, dataset, fitted) -> Registry:
    X, y = dataset
    found = Registry(tmp_path / "registry")
    found.register("diagnosis", fitted, X=X, y=y)
    found.promote("diagnosis", 1)
    return found
