"""Retraining: a training notebook run as a job when a condition on the champion's log
holds, its version gated against the champion and promoted when it passes; and the
logged rows (with their labels) such a notebook trains on."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import pandas as pd

from jupyter_mlops.automation.gate_labels import Named
from jupyter_mlops.automation.jobs import run_job
from jupyter_mlops.automation.records import Job
from jupyter_mlops.automation.retrain_checks import check_gate
from jupyter_mlops.automation.retraining import Plan, Retraining
from jupyter_mlops.errors import AliasNotFoundError, Command, ConflictError, InvalidArgumentError
from jupyter_mlops.monitoring import Monitor
from jupyter_mlops.monitoring.rules import Rule, check_names, check_numbers
from jupyter_mlops.monitoring.windows import parse_window
from jupyter_mlops.operations.gates import both_given, gate
from jupyter_mlops.registry import Registry, Version
from jupyter_mlops.registry.refs import check_name
from jupyter_mlops.registry.task import REGRESSOR

OWN = ("model", "window")  # the parameters a retraining gives its notebook itself


def retrain(
    registry: Registry,
    *,
    model: str,
    notebook: str | os.PathLike[str],
    when: str | None = None,
    window: str = "1d",
    parameters: Mapping[str, str] | None = None,
    metric: str | None = None,
    min_gain: float = 0.0,
    X: Any = None,
    y: Any = None,
    live: str | None = None,
    timeout: str | float | None = None,
    schedule: int | None = None,
    reason: str = "",
    y_named: str = "y",
    rows_named: str = "X and y",
) -> Job:
    """Run the training `notebook` (parameters `model`, `window` and `parameters`) as a
    retraining job when `when` (an alert-rule expression, read on a check of
    `model@champion` over `window`) holds, or always when it is None; the version it
    registers becomes the challenger, is gated against the champion by `metric` on `X`,
    `y` (default: its own held-out reference rows; `live`: the shadow-scored requests)
    and promoted when it passes. The job's `exit_code`: 0 promoted or not needed, 10 the
    notebook failed or registered nothing, 11 timed out, 12 skipped, 13 the gate kept the
    champion. `reason`: why, for the audit trail, when no condition says it. What the
    gate will be given is checked against the champion before the notebook runs;
    `y_named` and `rows_named` are how messages name `y` and the rows (a face's)."""
    check_name(model)
    champion = _champion(registry, model)
    parse_window(window)
    if when is not None:
        rule = Rule(when)
        check_numbers(rule)
        check_names(
            rule,
            registry.profile(champion.ref),
            task=champion.task,
            binary=champion.positive_label is not None,
        )
    given = dict(parameters or {})
    for name in OWN:
        if name in given:
            raise InvalidArgumentError(
                f"parameter {name!r} is given to the notebook by the retraining itself; leave "
                f"-p {name} out (the model is {model!r}, the window --window)."
            )
    chosen = metric or default_metric(champion)
    if live is not None and (X is not None or y is not None):
        raise both_given(live)
    named = Named(labels=y_named, rows=rows_named)
    check_gate(
        registry, champion, metric=chosen, min_gain=min_gain, X=X, y=y, live=live,
        reason=reason, named=named,
    )  # fmt: skip
    plan = Plan(model, when, str(window), chosen, min_gain, X, y, live, reason=reason, named=named)
    return run_job(
        registry,
        notebook=notebook,
        parameters={"model": model, "window": str(window), **given},
        kind="retrain",
        timeout=timeout,
        schedule=schedule,
        steps=Retraining(registry, plan, gate=lambda **asked: gate(registry, **asked)),
    )


def logged(
    registry: Registry, *, ref: str, window: str | int | None = None, labelled: bool = False
) -> pd.DataFrame:
    """The rows `ref`'s model logged (inputs, request id, time, version, prediction, score
    and the label that arrived for it), oldest first: the last `window` of them (None:
    all), only those with a label when `labelled`."""
    return Monitor(registry).logged(ref, window=window, labelled=labelled)


def default_metric(version: Version) -> str:
    """What a gate compares by when none is named: auc for a binary classifier, accuracy
    for another, rmse for a regressor."""
    if version.task == REGRESSOR:
        return "rmse"
    return "auc" if version.positive_label is not None else "accuracy"


def _champion(registry: Registry, model: str) -> Version:
    try:
        version = registry.get(f"{model}@champion")
    except AliasNotFoundError:
        raise ConflictError(
            f"{model} has no champion to retrain against; promote a version first (",
            Command("promote", f"{model} VERSION", python=f"registry.promote({model!r}, 1)"),
            ").",
        ) from None
    return version
