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

from jupyter_mlops.registry import Registry
from tests.server.conftest import API

PROMOTE = {"version": 1, "alias": "champion", "reason": "back to the first"}


async def test_a_request_without_the_token_is_refused(jp_fetch: Any) -> None:
    for method, body in (("GET", None), ("POST", json.dumps(PROMOTE))):
        path = "models/churn/promote" if body else "models"
        answer = await jp_fetch(API, path, method=method, body=body, raise_error=False,
                                headers={"Authorization": ""})  # fmt: skip
        assert answer.code == 403, method
        refusal = json.loads(answer.body)
        assert refusal["error"] == "forbidden" and "not signed in" in refusal["message"]
        assert "XSRF" not in refusal["message"]  # a POST with no credentials: sign in first


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
    # signed in by cookie, the Jupyter user is known and stays the same from call to call
    users = {json.loads(accepted.body)["evidence"]["jupyter_user"]}
    again = await jp_fetch(API, "models/churn/rollback", method="POST", body='{"reason": "r"}',
                           headers={"Authorization": "", "Cookie": cookie,
                                    "X-XSRFToken": cookies["_xsrf"]})  # fmt: skip
    users.add(json.loads(again.body)["evidence"]["jupyter_user"])
    assert len(users) == 1 and all(users)


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
        ("models/churn/promote", {**PROMOTE, "expect": -1}, "'expect' is -1, not a version"),
        ("models/churn/promote", {**PROMOTE, "expect": 0}, "'expect' is 0, not a version"),
        ("models/churn/promote", {**PROMOTE, "expect": 10**22}, "not a version number"),
        ("models/churn/rollback", {"reason": "r", "to": 0}, "'to' is 0, not a version"),
        ("models/churn/archive", {"version": -3, "reason": "r"}, "'version' is -3"),
        ("models/churn/promote", b"", "the request body is empty; send a JSON object such as {"),
        ("models/churn/promote", b"null", "is null, not a JSON object; send one such as {"),
        ("models/churn/promote", b'{"version": 1, "reason": "a\\ud800b"}', "not valid Unicode"),
        ("models/churn/promote", {**PROMOTE, "reason": "\u200b"}, "no visible character"),
        ("models/churn/promote", {**PROMOTE, "reason": "ok \u202edab"}, "bidirectional control"),
        ("models/churn/rollback", {"reason": "x" * 5_000}, "keep it to 4,000 characters"),
        ("models/churn/promote", b"\xff\xfe", "not JSON"),
        ("models/churn/promote", b"[" * 30_000 + b"]" * 30_000, "nested too deeply"),
        ("models/churn/plan", b'{"a":' * 10_000 + b"1" + b"}" * 10_000, "nested too deeply"),
        ("models/churn/rollback", b"[" * 1_000 + b"]" * 1_000, "nested too deeply"),
        (
            "models/churn/plan",
            b'{"action": "promote", "version": 2, "version": 1}',
            "names field 'version' twice; send each field once",
        ),
        (
            "models/churn/promote",
            b'{"version": 1, "reason": "a", "x": {"b": 1, "b": 2}}',
            "names field 'b' twice",
        ),
        (
            "models/churn/plan",
            {"action": "rollback", "version": 2},
            "field 'version', which does not apply when the action is 'rollback'; send only action",
        ),
        (
            "models/churn/plan",
            {"action": "archive", "version": 2, "alias": "x"},
            "field 'alias', which does not apply when the action is 'archive'",
        ),
        (
            "models/churn/promote",
            {**PROMOTE, "version": 2_147_483_647},
            "'version' is 2147483647, not a version number; send one of the model's versions, "
            "from 1 to 999,999,999",
        ),
        *[
            (
                "models/churn/promote",
                {**PROMOTE, "reason": blank},
                "no visible character; say it in words.",
            )
            for blank in ("\u3164", "\u115f", "\u1160", "\uffa0", "\u2800 \u3164")
        ],
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
        ("alerts", {"limit": ""}, "limit= is empty; give a value, e.g. limit=20"),
        ("models/churn/history", {"alias": ""}, "alias= is empty; give a value"),
        ("deployments", {"model": " "}, "model= is empty"),
        *[
            (
                "alerts",
                {"limit": odd},
                f"limit={odd!r} is not a whole number from 1 to 500 (in digits 0-9)",
            )
            for odd in ("\u0665", "\uff15", "5_0", "+5", " 5", "5 ")
        ],
        ("models/churn/checks", {"limit": "1_0"}, "limit='1_0' is not a whole number"),
        ("models", {"name": "\x00"}, "name='\\x00' holds a control character"),
        ("models", {"bogus": "1"}, "'bogus' is not one this route takes; it takes health, name"),
        ("models", {"nmae": "churn"}, "(did you mean 'name'?)"),
        ("models/churn/versions", {"limit": "5"}, "'limit' is not one this route takes"),
    ],
)
async def test_bad_query_arguments_are_400(
    api: Any, path: str, params: dict[str, str], named: str
) -> None:
    status, refusal = await api(path, **params)
    assert status == 400 and named in refusal["message"], refusal


async def test_a_refusal_quotes_a_long_value_cut_and_a_repeated_argument_is_refused(
    http_server_client: Any, jp_base_url: str, jp_auth_header: dict[str, str]
) -> None:
    async def get(query: str) -> tuple[int, str]:
        url = f"{jp_base_url}{API}/{query}"
        answer = await http_server_client.fetch(url, headers=jp_auth_header, raise_error=False)
        return answer.code, json.loads(answer.body).get("message", "")

    status, message = await get("alerts?limit=" + "7" * 5_000)
    assert status == 400 and "limit='7777777777" in message and len(message) < 200
    status, message = await get("models?" + "x" * 5_000 + "=1")
    assert status == 400 and len(message) < 200
    status, message = await get("alerts?limit=5&limit=50")
    assert (status, message) == (400, "the query argument 'limit' is given 2 times; give it once.")
    token = jp_auth_header["Authorization"].split()[-1]
    assert (await get(f"alerts?limit=5&token={token}"))[0] == 200  # the server's own: taken
    # what JupyterLab's ServerConnection appends to every GET so no cache answers it
    assert (await get("models?1796163254845"))[0] == 200
    assert (await get("alerts?limit=5&1796163254845"))[0] == 200
    assert (await get("models?1796163254845=1"))[0] == 400  # a number with a value is no time


async def test_a_body_over_64_kb_is_413_and_stores_nothing(api: Any) -> None:
    status, refusal = await api("models/churn/promote", {**PROMOTE, "reason": "x" * 70_000})
    assert (status, refusal["error"]) == (413, "too_large")
    assert "over the limit of 65,536" in refusal["message"]
    assert (await api("models/churn/aliases"))[1]["aliases"] == {"champion": 2}


async def test_a_path_or_query_that_is_not_utf8_is_a_usage_error(
    http_server_client: Any, jp_base_url: str, jp_auth_header: dict[str, str]
) -> None:
    for path in ("models/%FF/versions", "models?name=%FF"):
        url = f"{jp_base_url}{API}/{path}"
        answer = await http_server_client.fetch(url, headers=jp_auth_header, raise_error=False)
        refusal = json.loads(answer.body)
        assert (answer.code, refusal["error"]) == (400, "usage"), path
        assert refusal["message"].startswith("the request's path or query is not valid UTF-8;")


async def test_a_method_a_route_does_not_take_is_405_naming_those_it_takes(
    jp_fetch: Any,
) -> None:
    for path, method, body, taken in (
        ("models", "POST", "{}", "GET"),
        ("models/churn/promote", "GET", None, "POST"),
    ):
        answer = await jp_fetch(API, path, method=method, body=body, raise_error=False)
        refusal = json.loads(answer.body)
        assert (answer.code, refusal["error"]) == (405, "method_not_allowed")
        assert f"takes {taken} only, not {method}" in refusal["message"]
        assert answer.headers["Allow"] == taken


async def test_unknown_models_aliases_and_routes_are_404(api: Any) -> None:
    status, refusal = await api("models/chrun/versions")
    assert (status, refusal["error"]) == (404, "not_found")
    assert "did you mean 'churn'" in refusal["message"] and "%mlops models" in refusal["message"]
    for typed in ("CHURN", "Churn"):
        status, refusal = await api(f"models/{typed}/aliases")
        assert status == 404 and "did you mean 'churn'" in refusal["message"], typed
    status, refusal = await api("models/churn/history", alias="champino")
    assert status == 404 and "champino" in refusal["message"]
    status, refusal = await api("models/churn/rollback", {"alias": "nope", "reason": "r"})
    assert status == 404 and "nope" in refusal["message"]
    status, refusal = await api("models/churn/promote", {**PROMOTE, "version": 9})
    assert status == 404 and "9" in refusal["message"]
    for path, params in (("deployments", {"model": "chrn"}), ("alerts", {"model": "chrn"})):
        status, refusal = await api(path, **params)
        assert (status, refusal["error"]) == (404, "not_found"), path
        assert "did you mean 'churn'" in refusal["message"]
    status, refusal = await api("models/churn/rollback", {"alias": "champio", "reason": "r"})
    assert status == 404 and "did you mean 'champion'" in refusal["message"]
    assert "promote" not in refusal["message"]  # creating the typo is not the fix
    for path in ("nothing/here", "models/churn", "models/churn/versions/1"):
        status, refusal = await api(path)
        assert (status, refusal["error"]) == (404, "not_found"), path
        assert "docs/rest-api.md" in refusal["message"]


@pytest.mark.backends("file", "lake")
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


async def test_a_rollback_that_would_go_elsewhere_than_planned_is_409(
    api: Any, registry: Registry, fitted: Any
) -> None:
    registry.register("churn", fitted, force=True)  # version 3
    planned = (await api("models/churn/plan", {"action": "rollback"}))[1]
    assert planned["summary"].startswith("rollback churn@champion: 2 -> 1")
    # meanwhile others promote 3, then 2 again: champion is on 2, as the person saw it
    for version in (3, 2):
        assert (await api("models/churn/promote", {**PROMOTE, "version": version}))[0] == 200
    sent = {"reason": "as planned", "expect": 2, "to": planned["to_version"]}
    status, refusal = await api("models/churn/rollback", sent)
    assert (status, refusal["error"]) == (409, "conflict")
    assert "would now go to version 3, not to version 1 as planned" in refusal["message"]
    assert refusal["message"].endswith("look at churn again and choose again.")
    assert (await api("models/churn/aliases"))[1]["aliases"] == {"champion": 2}
