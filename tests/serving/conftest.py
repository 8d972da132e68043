"""The diagnosis model served on a real uvicorn, for every test of the server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from jupyter_mlops import Registry
from jupyter_mlops.serving.app import ModelServer, token_hash
from tests.serving.test_app import TOKEN, Running, serving


@pytest.fixture
def running(tmp_path, dataset, fitted) -> Iterator[Running]:
    """diagnosis version 1 (champion) served on a free loopback port."""
    X, y = dataset
    registry = Registry(tmp_path / "registry")
    registry.register("diagnosis", fitted, X=X, y=y)
    registry.promote("diagnosis", 1)
    server = ModelServer(
        registry, "diagnosis@champion", token_sha256=token_hash(TOKEN), poll_seconds=0.2
    )
    with serving(server, registry) as found:
        yield found
