"""The route table, its handlers and docs/rest-api.md agree: every route documented under
its method, every documented route served, each handler answering its method only."""

from __future__ import annotations

import re

from jupyter_mlops.server.routes import ROUTES
from tests.conftest import ROOT

DOC = (ROOT / "docs" / "rest-api.md").read_text()
HEADING = re.compile(r"^### (GET|POST|PUT|PATCH|DELETE) (/mlops/api/\S*)$", re.MULTILINE)
METHODS = ("get", "post", "put", "patch", "delete")


def test_every_route_is_documented_and_every_documented_route_exists() -> None:
    documented = set(HEADING.findall(DOC))
    served = {(route.method, route.path) for route in ROUTES}
    assert served - documented == set(), "routes missing from docs/rest-api.md"
    assert documented - served == set(), "docs/rest-api.md documents routes that do not exist"


def test_each_route_has_its_own_handler_answering_its_method_only() -> None:
    assert len({route.handler for route in ROUTES}) == len(ROUTES)
    assert len({route.path for route in ROUTES}) == len(ROUTES)
    for route in ROUTES:
        own = {name for name in METHODS if name in vars(route.handler)}
        assert own == {route.method.lower()}, route.path


def test_each_documented_operation_is_one_the_core_has() -> None:
    from jupyter_mlops import operations

    for route in ROUTES:
        for name in filter(None, re.split(r"[,\s]+", route.operation.strip("-"))):
            assert name in operations.__all__, (route.path, name)
