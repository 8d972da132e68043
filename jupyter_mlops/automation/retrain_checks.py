"""What a retraining's gate is asked to do, checked before its notebook runs.

A training notebook may run for hours, register a version and move the challenger alias;
a gate refused only after that has wasted the run and left an alias moved for nothing. So
everything the gate will be given that can be judged without the new version is judged
first, against the champion it will face: the metric fits the champion's task, the
minimum gain and the reason are acceptable, the live window is one, and held-out rows
hold the champion's input columns and labels of its classes (or, for a regressor,
numbers). What depends on the new version (its classes, whether the rows are its
training data) is still the gate's to refuse.
"""

from __future__ import annotations

import functools
from typing import Any

from jupyter_mlops.automation.gate_labels import Expected, Named, aligned, labels_of
from jupyter_mlops.automation.gates import HOLDOUT, check_numbers
from jupyter_mlops.automation.paired import METRICS, Metric, metrics_for
from jupyter_mlops.errors import InvalidArgumentError, Option
from jupyter_mlops.monitoring.scoring import scoring_of
from jupyter_mlops.monitoring.windows import span_or_range
from jupyter_mlops.registry import Registry, Version
from jupyter_mlops.registry.refs import check_text
from jupyter_mlops.registry.signature import scoring_rows
from jupyter_mlops.registry.task import CLASSIFIER

ALPHA = 0.05  # the significance level a retraining's gate uses


def check_gate(
    registry: Registry,
    champion: Version,
    *,
    metric: str,
    min_gain: float,
    X: Any,
    y: Any,
    live: str | None,
    reason: str,
    named: Named,
) -> None:
    """Refuse, in one sentence, a gate the retraining could not run once its notebook has."""
    chosen = _metric(metric, champion)
    check_numbers(min_gain, ALPHA)
    check_text(reason, what="reason")
    if live is not None:
        span_or_range(live)
        return
    if X is None and y is None:
        return  # the gate reads the new version's own held-out rows
    if X is None or y is None:
        given, missing = ("X", "y") if y is None else ("y", "X")
        raise InvalidArgumentError(
            f"{given} was given without {missing}; give the held-out rows and their true "
            "values together (", HOLDOUT, "), or neither.",
        )  # fmt: skip
    _holdout(registry, champion, X, y, chosen, named)


def _metric(name: str, champion: Version) -> Metric | None:
    """The metric by `name`, refused unless it fits the champion's task (None: a champion
    registered before tasks were recorded, which the gate tells once it loads it)."""
    if champion.task is None:
        return None
    chosen = METRICS.get(str(name).strip().lower())
    if chosen is None or chosen.task != champion.task:
        raise InvalidArgumentError(
            f"metric {name!r} does not fit {champion.model}, whose champion is a "
            f"{champion.task}; choose one of {', '.join(metrics_for(champion.task))}, e.g. ",
            Option("metric", python=repr(metrics_for(champion.task)[0]),
                   typed=metrics_for(champion.task)[0]), ".",
        )  # fmt: skip
    return chosen


def _holdout(
    registry: Registry, champion: Version, X: Any, y: Any, metric: Metric | None, named: Named
) -> None:
    """Held-out rows the champion can score, and labels of its kind."""
    y = aligned(X, y, named=named)
    scoring_rows(X, champion.schema, what=f"{champion.model}'s champion")
    scoring = scoring_of(functools.partial(registry.load, champion.ref), champion)
    classes = scoring.classes if scoring.task == CLASSIFIER else None
    label = f"{champion.model}'s champion (version {champion.version})"
    expected = Expected(scoring.task, classes, scoring.positive, label)
    if metric is not None:
        labels_of(y, expected, metric, data="the holdout", named=named)
