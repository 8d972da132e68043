"""Why a name an alert rule reads has no value in a check, said for what the name is.

A name has no value for one of two kinds of reason, and the note of an unknown rule must
not mix them up: the checked version can never produce it (a feature it lacks, a test
that does not apply to that feature's kind, a metric of another task), or it could but
this check did not (no labels came with the rows, no row of the positive class, no
estimate, prediction drift not measured). Only the first calls for replacing the rule.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any

from jupyter_mlops.monitoring.metrics import PerformanceReport
from jupyter_mlops.monitoring.report import OWN_ROWS, DriftReport
from jupyter_mlops.monitoring.rules import KNOWN, NOT_FOR
from jupyter_mlops.registry.outputs import PREDICTION
from jupyter_mlops.registry.records import Version

REALISED = ("accuracy", "f1", "f1_macro", "f1_weighted", "auc", "log_loss", "mae", "rmse")
TASKS = {
    ("regressor", False): "a regressor",
    ("classifier", True): "a binary classifier",
    ("classifier", False): "a classifier of more than two classes",
}
KINDS = {"numeric": "a number", "categorical": "a category", "datetime": "a time"}


def reasons(
    names: Iterable[str],
    *,
    version: Version,
    profile: Iterable[Mapping[str, Any]],
    produced: Collection[str],
    drift: DriftReport,
    performance: PerformanceReport | None,
) -> dict[str, str]:
    """Why each of `names` has no value in a check of `version` (whose profile is
    `profile` and whose checks can produce `produced`) that found `drift` and
    `performance`."""
    kinds = {str(e["feature"]): str(e["kind"]) for e in profile}
    return {
        name: (
            _never(name, version, kinds)
            if name not in produced
            else _not_this_time(name, drift, performance)
        )
        for name in names
    }


def _never(name: str, version: Version, kinds: Mapping[str, str]) -> str:
    if name in KNOWN:
        task = TASKS.get((version.task or "", version.positive_label is not None))
        owners = [text for key, text in TASKS.items() if name not in NOT_FOR[key]]
        return f"a metric of {' or '.join(owners)}, which {version.ref} is not" + (
            f" (it is {task})" if task else ""
        )
    test, _, feature = name.partition(".")
    kind = kinds.get(PREDICTION if feature == "prediction" else feature)
    if kind is None:
        return f"a statistic of the feature {feature}, which {version.ref} does not have"
    return f"{test} does not apply to {feature}, {KINDS.get(kind, kind)} in {version.ref}"


def _not_this_time(name: str, drift: DriftReport, performance: PerformanceReport | None) -> str:
    if name in REALISED:
        return _unscored(name, performance)
    if name.startswith("estimated."):
        return _unestimated(name, performance)
    if name == "drift.prediction":
        return "this check did not measure the drift of predictions (see its notes)"
    if name == "drift.multivariate":
        return "this check did not measure multivariate drift (--no-multivariate, or its notes)"
    return _unmeasured(name, drift)


def _unmeasured(name: str, drift: DriftReport) -> str:
    """Why a statistic of a feature has none: the feature's own note in the drift report,
    or no rows at all."""
    if not drift.rows:
        return "this check read no rows"
    test, _, feature = name.partition(".")
    feature = PREDICTION if feature == "prediction" else feature
    notes = [f.note for f in drift.features if f.feature == feature and f.test not in OWN_ROWS]
    if notes and notes[0]:
        return notes[0]
    if test == "unseen":
        return (
            f"{feature} had no value the reference never had, or the reference cannot say "
            "how many to expect"
        )
    return f"{test} was not computed on the {drift.rows:,} rows of this check (see its report)"


def _unestimated(name: str, performance: PerformanceReport | None) -> str:
    """Why an estimate has none: the estimate's own note (too few rows to tell it), or no
    estimate at all."""
    metric = name.partition(".")[2]
    found = performance.metrics if performance is not None else []
    notes = [m.note for m in found if m.estimated and m.metric == metric and m.value is None]
    return notes[-1] if notes and notes[-1] else "this check made no estimate (see its notes)"


def _unscored(name: str, performance: PerformanceReport | None) -> str:
    """Why a realised metric has none: the metric's own note, the report's, or no labels."""
    if performance is None:
        return "no labels came with the rows this check read"
    aliases = (name, "f1_macro") if name == "f1" else (name,)
    notes = [
        m.note
        for m in performance.metrics
        if m.metric in aliases and not m.estimated and m.value is None and m.note
    ]
    if notes:
        return notes[-1]
    if performance.note:
        return performance.note
    if all(m.estimated for m in performance.metrics):
        return "no labels came with the rows this check read"
    return "the labels of this window did not give it"
