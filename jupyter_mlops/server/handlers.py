"""The REST handlers: one per route of `routes.ROUTES`, each authenticated, authorized on
the "mlops" resource and (a POST) XSRF-checked by jupyter_server's rules, as every
`APIHandler` is.

A handler reads its request (`inputs.py`), calls one operation in the extension's thread
pools (`access.py`) and answers the result's `to_dict()`. It raises whatever goes wrong;
`MlopsHandler.write_error` is the one place an error becomes an answer: an `MlopsError`
the status of its kind in `errors.OUTCOMES` and its message as a notebook user types the
fix, a refusal of jupyter_server's or tornado's (not signed in, no XSRF token, a method
the route does not take, a path that is not UTF-8) its own status with a sentence saying
what to do, anything else 500 with the traceback in the server's log.

A move made here is recorded as the core records every move (`moved_by`: MLOPS_USER or
the server's OS user), its evidence saying it came through the REST API (`via`: "jupyterlab"
when the sidebar sent it, saying so in an `X-Mlops-Client: jupyterlab-sidebar` header, else
"rest api") and, for a request signed in by JupyterLab's login cookie, who was signed in
(`jupyter_user`), so the audit trail tells it from a notebook's or a shell's.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from http.client import responses
from typing import TYPE_CHECKING, Any

from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from tornado import web

from jupyter_mlops.automation.jupyter_servers import JupyterServer, this_first
from jupyter_mlops.errors import Face, InvalidArgumentError, MlopsError
from jupyter_mlops.server import inputs

if TYPE_CHECKING:
    from jupyter_mlops.server.access import RegistryAccess

RESOURCE = "mlops"
ALIAS = "champion"  # the alias a promote, a rollback or a plan names when it names none
ALERTS = 20  # alert events answered when no limit is asked for
JOBS = 20  # jobs answered when no limit is asked for
PROMOTE = '{"version": 2, "alias": "champion", "reason": "better AUC"}'
ROLLBACK = '{"alias": "champion", "reason": "worse on new data", "to": 1}'
CLIENT_HEADER, SIDEBAR = "X-Mlops-Client", "jupyterlab-sidebar"  # what the sidebar sends
PLANNED = {  # the fields a plan of each action takes: one it would ignore is refused
    "promote": ("action", "version", "alias"),
    "rollback": ("action", "alias"),
    "archive": ("action", "version"),
}
HTTP_KINDS = {
    400: "usage", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed",
}  # fmt: skip
NOT_UTF8 = (
    "the request's path or query is not valid UTF-8; percent-encode its text as UTF-8 "
    "(encodeURIComponent does)."
)
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
    """What every route shares: the registry as the extension reaches it, JSON answers,
    and errors mapped in one place."""

    auth_resource = RESOURCE
    query: tuple[str, ...] | None = ()  # the query arguments the route takes (None: unread)

    def initialize(self, access: RegistryAccess) -> None:
        self.access = access

    async def prepare(self) -> None:  # type: ignore[override]  # as APIHandler.prepare
        await super().prepare()
        if self.query is not None and self._signed_in():  # one who is not: refused by the route
            inputs.query_arguments(self.request.query_arguments, self.query)

    def reply(self, data: dict[str, Any]) -> None:
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(data, allow_nan=False))

    def body(self, *fields: str, example: str) -> dict[str, Any]:
        return inputs.body_of(self.request.body, fields=fields, example=example)

    def text(self, name: str, *, example: str) -> str | None:
        return inputs.query_text(self._argument(name), name, example=example)

    def number(self, name: str, *, most: int | None = None) -> int | None:
        return inputs.query_number(self._argument(name), name, most=most)

    def _argument(self, name: str) -> str | None:
        """Query argument `name` as sent: not stripped, its control characters kept (tornado's
        `get_query_argument` drops them, so `%00` would read as empty)."""
        given = self.request.query_arguments.get(name)
        return self.decode_argument(given[-1], name=name) if given else None

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        error = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(error, MlopsError):
            self.set_status(error.outcome.http_status)
            found = {"error": error.kind.value, "message": error.render(Face.NOTEBOOK)}
        elif status_code < 500:
            message = self._refusal(status_code, _told(error))
            found = {"error": HTTP_KINDS.get(status_code, "refused"), "message": message}
        else:
            found = {"error": "internal", "message": INTERNAL}
        self.reply(found)

    def _refusal(self, status_code: int, told: str) -> str:
        """A refusal of jupyter_server's or tornado's as a sentence saying what to do."""
        if status_code == 403 and not self._signed_in():
            return SIGN_IN
        if status_code == 403 and "_xsrf" in told:
            return XSRF
        if status_code == 405:
            taken = " or ".join(self.taken())
            self.set_header("Allow", ", ".join(self.taken()))
            return (
                f"{self.request.path} takes {taken} only, not {self.request.method}; see "
                "docs/rest-api.md of jupyter-mlops for what each route takes."
            )
        if status_code == 400 and told.startswith("Invalid unicode"):
            return NOT_UTF8
        return told or responses.get(status_code, "refused")

    @classmethod
    def taken(cls) -> list[str]:
        """The methods this route answers."""
        return [m.upper() for m in ("get", "post") if getattr(cls, m) is not getattr(APIHandler, m)]

    def evidence(self) -> dict[str, Any]:
        """Where a move came from, for its audit event: the sidebar (it says so in a header)
        or another client of the REST API, and the Jupyter user signed in by JupyterLab's
        login cookie (a token names no one: each token request is a new anonymous user)."""
        sidebar = self.request.headers.get(CLIENT_HEADER) == SIDEBAR
        found: dict[str, Any] = {"via": "jupyterlab" if sidebar else "rest api"}
        cookie = self.identity_provider.get_cookie_name(self)
        if not self.token_authenticated and cookie in self.request.cookies:
            user = self.current_user
            found["jupyter_user"] = getattr(user, "username", None) or str(user)
        return found

    def servers(self) -> Iterator[JupyterServer]:
        """The Jupyter servers to ask for jupyter-scheduler's schedules: this one first (by
        its own URL and token), then the others this user runs."""
        app = self.serverapp
        assert app is not None  # every handler of an extension runs in a ServerApp
        me = JupyterServer(url=app.connection_url, token=self.token or "",
                           root_dir=os.path.abspath(app.root_dir), pid=os.getpid())  # fmt: skip
        return this_first(me)

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
        self.reply(await self.access.describe())


class ModelsHandler(MlopsHandler):
    query = ("name", "health")

    @web.authenticated
    @authorized
    async def get(self) -> None:
        name, health = self.text("name", example="churn"), self.text("health", example="ok")
        found = await self.access.read("fleet", name=name, health=health)
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
    query = ("alias",)

    @web.authenticated
    @authorized
    async def get(self, model: str) -> None:
        alias = self.text("alias", example="champion")
        self.reply(await self.access.read("history", named=model, model=model, alias=alias))


class ChecksHandler(MlopsHandler):
    query = ("feature", "limit")

    @web.authenticated
    @authorized
    async def get(self, model: str) -> None:
        feature, limit = self.text("feature", example="prediction"), self.number("limit")
        found = await self.access.read(
            "drift_history", named=model, model=model, feature=feature, limit=limit
        )
        self.reply(found)


class DeploymentsHandler(MlopsHandler):
    query = ("model",)

    @web.authenticated
    @authorized
    async def get(self) -> None:
        model = self.text("model", example="churn")
        self.reply(await self.access.read("deployments", named=model, model=model))


class AlertsHandler(MlopsHandler):
    query = ("model", "limit")

    @web.authenticated
    @authorized
    async def get(self) -> None:
        model, limit = self.text("model", example="churn"), self.number("limit", most=500)
        found = await self.access.read("alert_log", named=model, model=model, limit=limit or ALERTS)
        self.reply(found)


class JobsHandler(MlopsHandler):
    query = ("limit",)

    @web.authenticated
    @authorized
    async def get(self, model: str) -> None:
        limit = self.number("limit", most=500) or JOBS
        self.reply(await self.access.read("jobs", named=model, model=model, limit=limit))


class SchedulesHandler(MlopsHandler):
    query = ("model",)

    @web.authenticated
    @authorized
    async def get(self) -> None:
        model = self.text("model", example="churn")
        found = await self.access.read(
            "schedules", named=model, model=model, servers=self.servers()
        )
        self.reply(found)


class RunScheduleHandler(MlopsHandler):
    """Start a schedule's run now: 202, since the job it records comes later."""

    @web.authenticated
    @authorized
    async def post(self, schedule: str) -> None:
        if self.request.body.strip():
            self.body(example="{}")  # the run takes no field: any one is refused
        number = inputs.path_id(
            schedule,
            what="schedule",
            fix="send the id GET mlops/api/schedules lists, e.g. POST mlops/api/schedules/1/run",
        )
        found = await self.access.write(
            "run_schedule", schedule=number, evidence=self.evidence(), servers=self.servers()
        )
        self.set_status(202)
        self.reply(found)


class PlanHandler(MlopsHandler):
    @web.authenticated
    @authorized
    async def post(self, model: str) -> None:
        body = self.body(
            "action", "version", "alias", example='{"action": "promote", "version": 2}'
        )
        action = inputs.text(body, "action")
        if action not in PLANNED:
            raise InvalidArgumentError(
                f'field \'action\' is {action[:40]!r}; send one of "promote", "rollback" '
                'or "archive".'
            )
        inputs.refuse_others(body, PLANNED[action], why=f"when the action is {action!r}")
        if action == "promote":
            version = inputs.version_number(body, "version")
            alias = inputs.text(body, "alias", default=ALIAS)
            found = await self.access.read(
                "plan_promote", named=model, model=model, version=version, alias=alias
            )
        elif action == "rollback":
            alias = inputs.text(body, "alias", default=ALIAS)
            found = await self.access.read("plan_rollback", named=model, model=model, alias=alias)
        else:
            version = inputs.version_number(body, "version")
            found = await self.access.read(
                "plan_archive", named=model, model=model, version=version
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
            version=inputs.version_number(body, "version"),
            alias=inputs.text(body, "alias", default=ALIAS),
            reason=inputs.text(body, "reason", filled=True),
            expect=inputs.version_number(body, "expect", default=None, nullable=True),
            evidence=self.evidence(),
        )
        self.reply(found)


class RollbackHandler(MlopsHandler):
    @web.authenticated
    @authorized
    async def post(self, model: str) -> None:
        body = self.body("alias", "reason", "expect", "to", example=ROLLBACK)
        found = await self.access.write(
            "rollback",
            model=model,
            alias=inputs.text(body, "alias", default=ALIAS),
            reason=inputs.text(body, "reason", filled=True),
            expect=inputs.version_number(body, "expect", default=None, nullable=True),
            to=inputs.version_number(body, "to", default=None, nullable=True),
            evidence=self.evidence(),
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
            version=inputs.version_number(body, "version"),
            reason=inputs.text(body, "reason", filled=True),
        )
        self.reply(found)


class UnknownRouteHandler(MlopsHandler):
    """Any other path under /mlops/api/: a 404 in JSON naming where the routes are listed."""

    query = None  # no route: its query is not read

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
