"""The model server answers each refusal with the status the one table of `errors` gives
its kind, and names the kind in the answer."""

from __future__ import annotations

import json
import urllib.request

from jupyter_mlops.errors import OUTCOMES, Kind
from tests.serving.test_app import Running, call


def test_the_server_answers_each_refusal_with_the_status_of_its_kind(running: Running) -> None:
    status, body = call(f"{running.url}/predict", b'{"records": [', token="wrong")
    assert (status, body["error"]) == (OUTCOMES[Kind.UNAUTHORIZED].http_status, "unauthorized")
    status, body = call(f"{running.url}/predict", b'{"records": [')
    assert (status, body["error"]) == (OUTCOMES[Kind.USAGE].http_status, "usage") == (400, "usage")
    status, body = call(f"{running.url}/predict", json.dumps({"records": [{"x": 1}]}).encode())
    assert (status, body["error"]) == (422, "unprocessable") and body["field"]
    health = json.loads(urllib.request.urlopen(f"{running.url}/health", timeout=30).read())
    assert health["status"] == "ok" and health["errors"] == 3
