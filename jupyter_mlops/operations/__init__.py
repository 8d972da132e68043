"""One function per use case, called by every face: `%mlops`, `jupyter-mlops`, the widgets
and the REST handlers.

Each takes the registry first and the rest as keyword arguments, and returns a result
record with text and HTML reprs and a `to_dict()` that `json.dumps` writes (the one
exception: `load` returns the model object itself). A face only parses what its user
typed into these arguments and presents the result; what a use case does, and every
error it can meet, lives here and below.
"""

from jupyter_mlops.operations.adopting import adopt_data_path
from jupyter_mlops.operations.alerting import add_alert, alert_log, alerts, check, remove_alert
from jupyter_mlops.operations.catalog import (
    aliases,
    archive,
    compare,
    describe,
    gc,
    history,
    load,
    models,
    promote,
    rollback,
    show,
    tag,
    unalias,
    verify,
    versions,
)
from jupyter_mlops.operations.deployments import deploy, deployments, serve, undeploy
from jupyter_mlops.operations.fleet import fleet
from jupyter_mlops.operations.gates import check_data, gate
from jupyter_mlops.operations.jobs import job_notebook, jobs, monitor_job
from jupyter_mlops.operations.migrating import migrate, registry_at
from jupyter_mlops.operations.monitoring import (
    compact,
    distributions,
    drift,
    drift_config,
    drift_history,
    estimate,
    metric_history,
    performance,
    predict,
)
from jupyter_mlops.operations.plans import audit, plan_archive, plan_promote, plan_rollback
from jupyter_mlops.operations.registering import register, register_run, set_reference
from jupyter_mlops.operations.retraining import logged, retrain
from jupyter_mlops.operations.schedules import run_schedule, schedule, schedules, unschedule
from jupyter_mlops.operations.shadows import compare_live
from jupyter_mlops.operations.tracking import compare_runs, run, run_history, runs

__all__ = [
    "add_alert",
    "adopt_data_path",
    "alert_log",
    "alerts",
    "aliases",
    "archive",
    "audit",
    "check",
    "check_data",
    "compact",
    "compare",
    "compare_live",
    "compare_runs",
    "deploy",
    "deployments",
    "describe",
    "distributions",
    "drift",
    "drift_config",
    "drift_history",
    "estimate",
    "fleet",
    "gate",
    "gc",
    "history",
    "job_notebook",
    "jobs",
    "load",
    "logged",
    "metric_history",
    "migrate",
    "models",
    "monitor_job",
    "performance",
    "plan_archive",
    "plan_promote",
    "plan_rollback",
    "predict",
    "promote",
    "register",
    "register_run",
    "registry_at",
    "remove_alert",
    "retrain",
    "rollback",
    "run",
    "run_history",
    "run_schedule",
    "runs",
    "schedule",
    "schedules",
    "serve",
    "set_reference",
    "show",
    "tag",
    "unalias",
    "undeploy",
    "unschedule",
    "verify",
    "versions",
]
