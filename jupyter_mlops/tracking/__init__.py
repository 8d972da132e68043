"""Experiment tracking: runs, params, buffered step metrics, models fitted, comparisons.

import jupyter_mlops as mlops
with mlops.run("churn-experiments") as run:
    for step, loss in enumerate(losses):
        run.log_metric("loss", loss, step=step)
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from jupyter_mlops.errors import RunNotFoundError, UnfinishedRunError, UnwrittenPointsError
from jupyter_mlops.registry import Registry
from jupyter_mlops.tracking.run import Run
from jupyter_mlops.tracking.tracker import Tracker, active_run, current_run

__all__ = [
    "Run",
    "RunNotFoundError",
    "Tracker",
    "UnfinishedRunError",
    "UnwrittenPointsError",
    "active_run",
    "current_run",
    "log_artifact",
    "log_metric",
    "log_metrics",
    "log_param",
    "log_params",
    "run",
]


@contextmanager
def run(experiment: str, *, registry: Registry | None = None, **options: Any) -> Iterator[Run]:
    """A run of `experiment` in `registry`, active inside the block. The registry defaults to
    that of the run around it (a nested run), else to the one a notebook connected to
    (`%mlops connect`), else to $MLOPS_HOME."""
    around = current_run()
    if registry is None and around is not None:
        registry = around.registry
    with Tracker(registry).run(experiment, **options) as started:
        yield started


def log_metric(key: str, value: Any, step: int | None = None) -> None:
    active_run().log_metric(key, value, step)


def log_metrics(metrics: Mapping[str, Any], step: int | None = None) -> None:
    active_run().log_metrics(metrics, step)


def log_param(key: str, value: Any) -> None:
    active_run().log_param(key, value)


def log_params(params: Mapping[str, Any]) -> None:
    active_run().log_params(params)


def log_artifact(name: str, content: Any) -> str:
    return active_run().log_artifact(name, content)
