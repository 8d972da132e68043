"""What the REST API refuses, and how: a request without the token or (a POST signed in by
cookie) without the XSRF token; bad input answered 400 naming what to fix; unknown
models, aliases and routes 404; a move made stale by another one 409. Every refusal is
JSON {"error", "message"}, the message one sentence with the fix."""

from __future__ import annotations

import json
from http.cookies import SimpleCookie
from typing import Any

import pytest
from tornado.httpclient import HTTPResponse

from tests.server.conftest import API

PROMOTE = {"version": 1, "alias": "champion", "reason": "back to the first"}


async def test_a_request_without_the_token_is_refused(jp_fetch: Any) -> None:
    for method, body in (("GET", None), ("POST", json.dumps(PROMOTE))):
        path = "models/churn/promote" if body else "models"
        answer = await jp_fetch(API, path, method=method, body=body, raise_error=False,
                                headers={"Authorization": ""})  # fmt: skip
        assert answer.code in (401, 403), method
        refusal = json.loads(answer.body)
        assert refusal["error"] in ("unauthorized", "forbidden") and "token" in refusal["message"]


async def test_a_post_signed_in_by_cookie_needs_the_xsrf_token(
    jp_fetch: Any, jp_serverapp: Any, api: Any
) -> None:
    token = jp_serverapp.identity_provider.token
    login_page = await jp_fetch("login", headers={"Authorization": ""})  # sets the _xsrf cookie
    signed_in = await jp_fetch("api", "status", params={"token": token},
                               headers={"Authorization": ""})  # fmt: skip
    cookies = cookies_of(login_page) | cookies_of(signed_in)
    assert "_xsrf" in cookies and any(name.startswith("username-") for name in cookies)
    cookie = "; ".join(f"{name}={value}" for name, value in cookies.items())

    async def promote(headers: dict[str, str]) -> HTTPResponse:
        sent = {"Authorization": "", **headers}
        return await jp_fetch(API, "models/churn/promote", method="POST", raise_error=False,
                              body=json.dumps(PROMOTE), headers=sent)  # fmt: skip

    refused = await promote({"Cookie": cookie})
    assert refused.code == 403
    assert "X-XSRFToken" in json.loads(refused.body)["message"]
    assert (await api("models/churn/aliases"))[1]["aliases"] == {"champion": 2}
    accepted = await promote({"Cookie": cookie, "X-XSRFToken": cookies["_xsrf"]})
    assert accepted.code == 200 and json.loads(accepted.body)["to_version"] == 1


def cookies_of(response: HTTPResponse) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    for header in response.headers.get_list("Set-Cookie"):
        jar.load(header)
    return {name: morsel.value for name, morsel in jar.items()}


@pytest.mark.parametrize(
    ("path", "body", "named"),
    [
        ("models/churn/promote", b"{not json", "not JSON"),
        ("models/churn/promote", b"[1, 2]", "not a JSON object"),
        ("models/churn/promote", {"version": 1, "alias": "champion"}, "'reason'"),
        ("models/churn/promote", {**PROMOTE, "reason": "  "}, "'reason' is empty"),
        ("models/churn/promote", {**PROMOTE, "version": "1"}, "'version' is a string"),
        ("models/churn/promote", {**PROMOTE, "version": 1.5}, "'version' is a number"),
        ("models/churn/promote", {**PROMOTE, "expect": True}, "'expect' is a boolean"),
        ("models/churn/promote", {**PROMOTE, "verison": 1}, "did you mean 'version'"),
        ("models/churn/rollback", {"reason": 3}, "'reason' is a number"),
        ("models/churn/archive", {"reason": "old"}, "no field 'version'"),
        ("models/churn/plan", {"action": "delete", "version": 1}, '"promote"'),
        ("models/churn/plan", {"version": 1}, "no field 'action'"),
        ("models/churn/promote", {**PROMOTE, "alias": "not an alias!"}, "alias"),
    ],
)
async def test_bad_input_is_400_naming_what_to_fix(
    api: Any, path: str, body: Any, named: str
) -> None:
    status, refusal = await api(path, body)
    assert (status, refusal["error"]) == (400, "usage"), refusal
    assert named in refusal["message"] and refusal["message"].endswith(".")


@pytest.mark.parametrize(
    ("path", "params", "named"),
    [
        ("alerts", {"limit": "many"}, "limit='many'"),
        ("alerts", {"limit": "501"}, "from 1 to 500"),
        ("models/churn/checks", {"limit": "0"}, "limit='0'"),
        ("models", {"health": "sickly"}, "health 'sickly'"),
    ],
)
async def test_bad_query_arguments_are_400(
    api: Any, path: str, params: dict[str, str], named: str
) -> None:
    status, refusal = await api(path, **params)
    assert status == 400 and named in refusal["message"], refusal


async def test_unknown_models_aliases_and_routes_are_404(api: Any) -> None:
    status, refusal = await api("models/chrun/versions")
    assert (status, refusal["error"]) == (404, "not_found")
    assert "did you mean 'churn'" in refusal["message"] and "%mlops models" in refusal["message"]
    status, refusal = await api("models/churn/history", alias="champino")
    assert status == 404 and "champino" in refusal["message"]
    status, refusal = await api("models/churn/rollback", {"alias": "nope", "reason": "r"})
    assert status == 404 and "nope" in refusal["message"]
    status, refusal = await api("models/churn/promote", {**PROMOTE, "version": 9})
    assert status == 404 and "9" in refusal["message"]
    for path in ("nothing/here", "models/churn", "models/churn/versions/1"):
        status, refusal = await api(path)
        assert (status, refusal["error"]) == (404, "not_found"), path
        assert "docs/rest-api.md" in refusal["message"]


async def test_a_move_made_stale_by_another_is_409_saying_where_the_alias_went(api: Any) -> None:
    # someone else rolled champion back to 1 after this person saw it on 2
    assert (await api("models/churn/rollback", {"reason": "elsewhere", "expect": 2}))[0] == 200
    status, refusal = await api("models/churn/promote", {**PROMOTE, "version": 2, "expect": 2})
    assert (status, refusal["error"]) == (409, "conflict")
    message = refusal["message"]
    assert "churn@champion moved since" in message and "version 1" in message
    assert "rollback by" in message and "look at churn again" in message
    assert (await api("models/churn/aliases"))[1]["aliases"] == {"champion": 1}
    status, refusal = await api("models/churn/rollback", {"reason": "again", "expect": 2})
    assert status == 409
