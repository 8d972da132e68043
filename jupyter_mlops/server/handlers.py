"""The REST handlers: one per route of `routes.ROUTES`, each authenticated, authorized on
the "mlops" resource and (a POST) XSRF-checked by jupyter_server's rules, as every
`APIHandler` is.

A handler reads its request (`inputs.py`), calls one operation in the extension's thread
pool (`access.py`) and answers the result's `to_dict()`. It raises whatever goes wrong;
`MlopsHandler.write_error` is the one place an error becomes an answer: an `MlopsError`
the status of its kind in `errors.OUTCOMES` and its message as a notebook user types the
fix, a refusal of jupyter_server's (no token, no XSRF token) its own status, anything else
500 with the traceback in the server's log.
"""

from __future__ import annotations

import json
from http.client import responses
from typing import TYPE_CHECKING, Any

from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from tornado import web

from jupyter_mlops.errors import Face, InvalidArgumentError, MlopsError
from jupyter_mlops.server import inputs

if TYPE_CHECKING:
    from jupyter_mlops.server.access import RegistryAccess
    from jupyter_mlops.server.extension import MlopsExtension

RESOURCE = "mlops"
ALIAS = "champion"  # the alias a promote, a rollback or a plan names when it names none
ALERTS = 20  # alert events answered when no limit is asked for
PROMOTE = '{"version": 2, "alias": "champion", "reason": "better AUC"}'
ROLLBACK = '{"alias": "champion", "reason": "worse on new data"}'
HTTP_KINDS = {401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed"}
SIGN_IN = (
    "this request is not signed in; send the server's token as an `Authorization: token TOKEN` "
    "header, or sign in to JupyterLab first."
)
XSRF = (
    "this POST has no XSRF token; send the value of the `_xsrf` cookie in an `X-XSRFToken` "
    "header (JupyterLab's ServerConnection does), or authenticate with the token header instead."
)
INTERNAL = (
    "the jupyter-mlops server extension failed on a bug of its own (its traceback is in the "
    "server's log); report it with that traceback."
)


class MlopsHandler(APIHandler):
    """What every route shares: the extension, JSON answers, and errors mapped in one place."""

    auth_resource = RESOURCE

    def initialize(self, extension: MlopsExtension) -> None:
        self.extension = extension

    @property
    def access(self) -> RegistryAccess:
        return self.extension.access

    def reply(self, data: dict[str, Any]) -> None:
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(data, allow_nan=False))

    def body(self, *fields: str, example: str) -> dict[str, Any]:
        return inputs.body_of(self.request.body, fields=fields, example=example)

    def text(self, name: str) -> str | None:
        return inputs.query_text(self.get_query_argument(name, None))

    def number(self, name: str, *, most: int | None = None) -> int | None:
        return inputs.query_number(self.get_query_argument(name, None), name, most=most)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        error = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(error, MlopsError):
            self.set_status(error.outcome.http_status)
            found = {"error": error.kind.value, "message": error.render(Face.NOTEBOOK)}
        elif status_code < 500:
            message = _told(error) or responses.get(status_code, "refused")
            if status_code == 403 and "_xsrf" in message:
                message = XSRF
            elif status_code == 403 and not self._signed_in():
                message = SIGN_IN
            found = {"error": HTTP_KINDS.get(status_code, "refused"), "message": message}
        else:
            found = {"error": "internal", "message": INTERNAL}
        self.reply(found)

    def _signed_in(self) -> bool:
        try:
            return bool(self.current_user)
        except Exception:  # refused before jupyter_server read who asks
            return False

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        if isinstance(value, MlopsError):  # an answer, not a failure of ours: no traceback
            self.log.info("%s %s: %s", self.request.method, self.request.path, value)
            return
        super().log_exception(typ, value, tb)


class RegistryHandler(MlopsHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.reply(self.extension.describe())


class ModelsHandler(MlopsHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        found = await self.access.read("fleet", name=self.text("name"), health=self.text("health"))
        self.reply(found)


class VersionsHandler(MlopsHandler):
    @web.authenticated
    @authorized
    async def get(self, model: str) -> None:
        self.reply(await self.access.read("versions", named=model, model=model))


class AliasesHandler(MlopsHandler):
    @web.authenticated
    @authorized
    async def get(self, model: str) -> None:
        self.reply(await self.access.read("aliases", named=model, model=model))


class HistoryHandler(MlopsHandler):
    @web.authenticated
    @authorized
    async def get(self, model: str) -> None:
        alias = self.text("alias")
        self.reply(await self.access.read("history", named=model, model=model, alias=alias))


class ChecksHandler(MlopsHandler):
    @web.authenticated
    @authorized
    async def get(self, model: str) -> None:
        feature, limit = self.text("feature"), self.number("limit")
        found = await self.access.read(
            "drift_history", named=model, model=model, feature=feature, limit=limit
        )
        self.reply(found)


class DeploymentsHandler(MlopsHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.reply(await self.access.read("deployments", model=self.text("model")))


class AlertsHandler(MlopsHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        limit = self.number("limit", most=500) or ALERTS
        self.reply(await self.access.read("alert_log", model=self.text("model"), limit=limit))


class PlanHandler(MlopsHandler):
    @web.authenticated
    @authorized
    async def post(self, model: str) -> None:
        body = self.body(
            "action", "version", "alias", example='{"action": "promote", "version": 2}'
        )
        action = inputs.text(body, "action")
        if action == "promote":
            version = inputs.whole_number(body, "version")
            alias = inputs.text(body, "alias", default=ALIAS)
            found = await self.access.read(
                "plan_promote", named=model, model=model, version=version, alias=alias
            )
        elif action == "rollback":
            alias = inputs.text(body, "alias", default=ALIAS)
            found = await self.access.read("plan_rollback", named=model, model=model, alias=alias)
        elif action == "archive":
            version = inputs.whole_number(body, "version")
            found = await self.access.read(
                "plan_archive", named=model, model=model, version=version
            )
        else:
            raise InvalidArgumentError(
                f'field \'action\' is {action!r}; send one of "promote", "rollback" or "archive".'
            )
        self.reply(found)


class PromoteHandler(MlopsHandler):
    @web.authenticated
    @authorized
    async def post(self, model: str) -> None:
        body = self.body("version", "alias", "reason", "expect", example=PROMOTE)
        found = await self.access.write(
            "promote",
            model=model,
            version=inputs.whole_number(body, "version"),
            alias=inputs.text(body, "alias", default=ALIAS),
            reason=inputs.text(body, "reason", filled=True),
            expect=inputs.whole_number(body, "expect", default=None, nullable=True),
        )
        self.reply(found)


class RollbackHandler(MlopsHandler):
    @web.authenticated
    @authorized
    async def post(self, model: str) -> None:
        body = self.body("alias", "reason", "expect", example=ROLLBACK)
        found = await self.access.write(
            "rollback",
            model=model,
            alias=inputs.text(body, "alias", default=ALIAS),
            reason=inputs.text(body, "reason", filled=True),
            expect=inputs.whole_number(body, "expect", default=None, nullable=True),
        )
        self.reply(found)


class ArchiveHandler(MlopsHandler):
    @web.authenticated
    @authorized
    async def post(self, model: str) -> None:
        body = self.body("version", "reason", example='{"version": 1, "reason": "retired"}')
        found = await self.access.write(
            "archive",
            model=model,
            version=inputs.whole_number(body, "version"),
            reason=inputs.text(body, "reason", filled=True),
        )
        self.reply(found)


class UnknownRouteHandler(MlopsHandler):
    """Any other path under /mlops/api/: a 404 in JSON naming where the routes are listed."""

    @web.authenticated
    @authorized
    async def get(self, path: str) -> None:
        raise web.HTTPError(
            404,
            f"there is no route {self.request.method} {self.request.path}; the routes are "
            "listed in docs/rest-api.md of jupyter-mlops (GET mlops/api/models lists the models).",
        )

    post = put = delete = patch = get


def _told(error: BaseException | None) -> str:
    """What a refusal of tornado's or jupyter_server's says, if anything."""
    if not isinstance(error, web.HTTPError) or not error.log_message:
        return ""
    return error.log_message % error.args if error.args else error.log_message
