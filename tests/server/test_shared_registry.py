"""A server serving a shared registry (`c.MlopsExtension.home` a URL, `data_path` its
folder): the registry route names it without its password, with its data path and the
PostgreSQL role, the routes read it, and the kernels it starts are told the same registry."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from jupyter_mlops import __version__
from jupyter_mlops.registry import Registry
from tests.postgres import Cluster

ENVIRONMENT = ("MLOPS_HOME", "MLOPS_REGISTRY", "MLOPS_DATA_PATH")


@pytest.fixture
def url(postgres: Cluster) -> str:
    return postgres.url(postgres.new_schema(), password="hush")


@pytest.fixture
def jp_server_config(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dataset: Any, fitted: Any
) -> Any:
    registry = Registry(url, data_path=tmp_path / "team")
    registry.register("tumour", fitted, X=dataset[0], y=dataset[1])
    for name in ENVIRONMENT:  # the extension exports its own: put back as they were after
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    return {
        "ServerApp": {"jpserver_extensions": {"jupyter_mlops.server": True}},
        "MlopsExtension": {"home": url, "data_path": str(tmp_path / "team")},
    }


async def test_the_routes_serve_the_shared_registry_and_never_show_its_password(
    api: Any, url: str, tmp_path: Path
) -> None:
    status, found = await api("registry")
    assert status == 200 and "hush" not in str(found)
    assert found == {
        "home": url.replace("hush", "***"), "shared": True, "exists": True,
        "data_path": str(tmp_path / "team"), "role": "postgres", "version": __version__,
    }  # fmt: skip
    status, fleet = await api("models")
    assert status == 200 and [model["name"] for model in fleet["models"]] == ["tumour"]
    told = {name: os.environ.get(name) for name in ENVIRONMENT}  # what kernels started now get
    assert told == {
        "MLOPS_HOME": None,
        "MLOPS_REGISTRY": url,
        "MLOPS_DATA_PATH": str(tmp_path / "team"),
    }
