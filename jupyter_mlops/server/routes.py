"""The one route table of the REST API: method, path, handler, the operation it calls and
what it answers. The extension registers these (and a JSON 404 for any other path under
/mlops/api/), and docs/rest-api.md documents exactly these (a test holds them equal)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from jupyter_mlops.server import handlers

PREFIX = "/mlops/api"


@dataclass(frozen=True)
class Route:
    """One route: `path` as documented (`{model}`: a URL-encoded model name; `{schedule}`:
    a schedule's id)."""

    method: str
    path: str
    handler: type[handlers.MlopsHandler]
    operation: str  # of jupyter_mlops.operations; "-" for none
    description: str

    @property
    def pattern(self) -> str:
        """The path as tornado matches it, each `{name}` one path segment."""
        return re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", self.path)


def _model(tail: str) -> str:
    return f"{PREFIX}/models/{{model}}/{tail}"


ROUTES = (
    Route("GET", f"{PREFIX}/registry", handlers.RegistryHandler, "-",
          "where the registry is (shared: its URL, data path, role), whether it exists yet"),
    Route("GET", f"{PREFIX}/models", handlers.ModelsHandler, "fleet",
          "every model with its aliases, deployments, newest check and health"),
    Route("GET", _model("versions"), handlers.VersionsHandler, "versions",
          "the versions of a model, oldest first"),
    Route("GET", _model("aliases"), handlers.AliasesHandler, "aliases",
          "the aliases of a model and the version each points at"),
    Route("GET", _model("history"), handlers.HistoryHandler, "history",
          "every alias move of a model (of one alias): who, when, why, from, to"),
    Route("GET", _model("checks"), handlers.ChecksHandler, "drift_history",
          "the drift verdicts of a model's checks (of one feature; the newest N)"),
    Route("GET", f"{PREFIX}/deployments", handlers.DeploymentsHandler, "deployments",
          "every deployment (of one model) with its status and health"),
    Route("GET", f"{PREFIX}/alerts", handlers.AlertsHandler, "alert_log",
          "the newest alert events of every model (of one model)"),
    Route("GET", _model("jobs"), handlers.JobsHandler, "jobs",
          "the newest jobs of a model (the newest N): when, how long, result, message"),
    Route("GET", f"{PREFIX}/schedules", handlers.SchedulesHandler, "schedules",
          "every schedule not removed (of one model): interval, next run, newest job"),
    Route("POST", f"{PREFIX}/schedules/{{schedule}}/run", handlers.RunScheduleHandler,
          "run_schedule", "start a schedule's run now, as cron or jupyter-scheduler runs it"),
    Route("POST", _model("plan"), handlers.PlanHandler, "plan_promote, plan_rollback, plan_archive",
          "what a promote, rollback or archive would change, or why it is refused"),
    Route("POST", _model("promote"), handlers.PromoteHandler, "promote",
          "point an alias at a version, with the reason"),
    Route("POST", _model("rollback"), handlers.RollbackHandler, "rollback",
          "return an alias to the version it pointed at before its last move"),
    Route("POST", _model("archive"), handlers.ArchiveHandler, "archive",
          "archive a version no alias points at"),
)  # fmt: skip

# any other path under the prefix: a 404 in JSON rather than jupyter_server's HTML page
UNKNOWN = (f"{PREFIX}(/.*)?", handlers.UnknownRouteHandler)
