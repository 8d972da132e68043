"""A gate: a challenger version against the champion on the same held-out rows.

Both versions are loaded the way the registry loads any (verified, nothing untrusted
runs), given the rows in the order and dtypes each was registered with, and measured by
one metric that fits their task; `gating.py` draws the paired interval (and McNemar's
test for accuracy) and `verdicts.decide` says promote or keep. What cannot be compared
fairly is refused in one sentence before anything is scored: two versions that are one,
an archived one, versions of different tasks, a metric of another task, labels that are
missing, too few, or not the versions' classes.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from jupyter_mlops.automation import gating
from jupyter_mlops.automation.paired import METRICS, Labels, Metric, Outputs, metrics_for
from jupyter_mlops.automation.verdicts import GateResult, decide
from jupyter_mlops.errors import Command, ConflictError, InvalidArgumentError, Option, Spelled
from jupyter_mlops.monitoring.scoring import Scoring, scoring_of
from jupyter_mlops.registry.classes import classes_of
from jupyter_mlops.registry.display import counted
from jupyter_mlops.registry.dtypes import as_trained
from jupyter_mlops.registry.lookups import version_ref
from jupyter_mlops.registry.outputs import predictions_and_probabilities
from jupyter_mlops.registry.signature import scoring_rows
from jupyter_mlops.registry.task import CLASSIFIER

if TYPE_CHECKING:
    from jupyter_mlops.registry import Registry, Version

MIN_ROWS = 30  # fewer rows cannot tell two versions apart
HOLDOUT = Spelled(
    python="X=X_holdout, y=y_holdout",
    notebook="--holdout X_holdout y_holdout",
    shell="--holdout FILE --target COLUMN",
)


@dataclass(frozen=True)
class Side:
    """One version in a gate: its record, its model and how it is scored."""

    version: Version
    model: Any
    scoring: Scoring

    @property
    def label(self) -> str:
        return f"{self.version.model} version {self.version.version}"


def gate_rows(
    registry: Registry,
    *,
    model: str,
    challenger: int | str,
    champion: int | str = "champion",
    X: Any,
    y: Any,
    metric: str,
    min_gain: float = 0.0,
    alpha: float = 0.05,
) -> GateResult:
    """The challenger against the champion on rows `X` with true values `y`, by `metric`."""
    _check_numbers(min_gain, alpha)
    first, second = _sides(registry, model, champion=champion, challenger=challenger)
    chosen = _metric(metric, first, second)
    labels = _labels(y, first, chosen)
    rows = _rows(X, len(labels.values), first, second)
    outputs = [_outputs(side, rows[i], chosen) for i, side in enumerate((first, second))]
    return _verdict(
        model,
        sides=(first, second),
        champion=champion,
        metric=chosen,
        labels=labels,
        outputs=(outputs[0], outputs[1]),
        data="held-out rows",
        min_gain=min_gain,
        alpha=alpha,
    )


def gate_live(
    registry: Registry,
    *,
    model: str,
    challenger: int | str,
    champion: int | str = "champion",
    window: str,
    metric: str,
    min_gain: float = 0.0,
    alpha: float = 0.05,
) -> GateResult:
    """The challenger against the champion on the labelled requests of the last `window`
    both scored (the served version and its shadow, `monitoring.shadows`), by `metric`:
    their logged outputs, so the versions are not scored again."""
    from jupyter_mlops.monitoring.shadows import paired_rows

    _check_numbers(min_gain, alpha)
    first, second = _sides(registry, model, champion=champion, challenger=challenger)
    chosen = _metric(metric, first, second)
    found = paired_rows(
        registry,
        model=model,
        window=window,
        champion=first.version.version,
        challenger=second.version.version,
    )
    labelled = found[found["label"].notna()].reset_index(drop=True)
    labels = _labels(labelled["label"], first, chosen, data=f"the labelled requests of {window}")
    outputs = tuple(
        _logged(labelled, side=name, of=side, metric=chosen, labels=labels)
        for name, side in (("champion", first), ("challenger", second))
    )
    return _verdict(
        model,
        sides=(first, second),
        champion=champion,
        metric=chosen,
        labels=labels,
        outputs=(outputs[0], outputs[1]),
        data=f"{len(labelled):,} labelled requests of the last {window} both scored",
        min_gain=min_gain,
        alpha=alpha,
    )


def _verdict(
    model: str,
    *,
    sides: tuple[Side, Side],
    champion: int | str,
    metric: Metric,
    labels: Labels,
    outputs: tuple[Outputs, Outputs],
    data: str,
    min_gain: float,
    alpha: float,
) -> GateResult:
    """The paired interval (and McNemar's test for accuracy) and the decision they give."""
    first, second = sides
    paired = gating.paired_bootstrap(metric, labels, *outputs)
    tested = None
    if metric.name == "accuracy":
        right = [out.predictions == labels.values for out in outputs]
        tested = gating.mcnemar(*right)
    decision, why = decide(
        paired, metric=metric.name, mcnemar=tested, min_gain=min_gain, alpha=alpha
    )
    named = isinstance(champion, str) and not champion.strip().isdigit()
    return GateResult(
        model=model,
        metric=metric.name,
        champion=first.version.version,
        challenger=second.version.version,
        champion_alias=str(champion) if named else "champion",
        champion_named=f"{model}@{champion}" if named else f"{model}:{first.version.version}",
        champion_value=paired.champion,
        challenger_value=paired.challenger,
        difference=paired.challenger - paired.champion,
        gain=paired.gain,
        ci_low=paired.low,
        ci_high=paired.high,
        level=gating.LEVEL,
        resamples=paired.resamples,
        seed=gating.SEED,
        rows=len(labels.values),
        data=data,
        min_gain=min_gain,
        alpha=alpha,
        mcnemar=tested,
        decision=decision,
        why=why,
    )


def _logged(rows: pd.DataFrame, *, side: str, of: Side, metric: Metric, labels: Labels) -> Outputs:
    """One side's logged outputs as a gate reads them: its predictions, and for a binary
    classifier the probabilities its logged positive-class score gives."""
    classes = tuple(of.scoring.classes or classes_of(of.model) or ())
    predictions = rows[f"{side}_prediction"].to_numpy()
    if classes:
        predictions = np.asarray(predictions.tolist(), dtype=object)
    else:
        predictions = predictions.astype("float64")
    if not metric.needs_probabilities:
        return Outputs(predictions, None, classes)
    score = rows[f"{side}_score"].to_numpy(dtype="float64")
    if len(classes) != 2 or labels.positive is None or np.isnan(score).any():
        raise InvalidArgumentError(
            f"the shadow log keeps a score only of a binary classifier's positive class, so "
            f"{metric.name} cannot be measured on {of.label}'s logged requests; choose "
            "accuracy or f1 for a live gate, or gate on held-out rows with ",
            HOLDOUT,
            ".",
        )
    positive = classes.index(labels.positive)
    probabilities = np.empty((len(score), 2))
    probabilities[:, positive], probabilities[:, 1 - positive] = score, 1.0 - score
    return Outputs(predictions, probabilities, classes)


def _check_numbers(min_gain: float, alpha: float) -> None:
    if (
        isinstance(min_gain, bool)
        or not isinstance(min_gain, int | float)
        or not (math.isfinite(min_gain) and min_gain >= 0)
    ):
        raise InvalidArgumentError(
            f"minimum gain {min_gain!r} is not a number of 0 or more; give one in the metric's "
            "units, e.g. ", Option("min_gain", python="0.01", typed="0.01"), ".",
        )  # fmt: skip
    if isinstance(alpha, bool) or not isinstance(alpha, int | float) or not 0 < alpha < 1:
        raise InvalidArgumentError(
            f"alpha {alpha!r} is not a significance level between 0 and 1; give e.g. ",
            Option("alpha", python="0.05", typed="0.05"), ".",
        )  # fmt: skip


def _sides(
    registry: Registry, model: str, *, champion: int | str, challenger: int | str
) -> tuple[Side, Side]:
    first = registry.get(version_ref(model, champion))
    second = registry.get(version_ref(model, challenger))
    if first.version == second.version:
        raise InvalidArgumentError(
            f"the challenger ({challenger}) and the champion ({champion}) are both {model} "
            f"version {first.version}; gate two different versions, e.g. a new version "
            "against the champion alias."
        )
    for version in (first, second):
        if version.status == "archived":
            raise ConflictError(
                f"{model} version {version.version} is archived, and an archived version is "
                "never promoted nor served; gate versions that are not (",
                Command("versions", model, python=f"registry.versions({model!r})"), ").",
            )  # fmt: skip
    sides = []
    for version in (first, second):
        loaded = registry.load(version.ref)
        sides.append(Side(version, loaded, scoring_of(functools.partial(_same, loaded), version)))
    if sides[0].scoring.task != sides[1].scoring.task:
        raise InvalidArgumentError(
            f"{sides[0].label} is a {sides[0].scoring.task} and {sides[1].label} a "
            f"{sides[1].scoring.task}; a gate compares versions that do the same task."
        )
    return sides[0], sides[1]


def _same(model: Any) -> Any:
    return model


def _metric(name: str, first: Side, second: Side) -> Metric:
    task = first.scoring.task or CLASSIFIER
    fitting = metrics_for(task)
    chosen = METRICS.get(str(name).strip().lower())
    if chosen is None or chosen.task != task:
        raise InvalidArgumentError(
            f"metric {name!r} does not fit {first.version.model}'s versions, which are "
            f"{task}s; choose one of {', '.join(fitting)}."
        )
    if chosen.needs_probabilities:
        for side in (first, second):
            if not hasattr(side.model, "predict_proba"):
                raise InvalidArgumentError(
                    f"metric {chosen.name} needs class probabilities, which {side.label} "
                    f"(a {type(side.model).__name__}) does not give; choose accuracy or f1."
                )
        if first.scoring.classes != second.scoring.classes:
            raise InvalidArgumentError(
                f"{first.label} and {second.label} have different classes "
                f"({first.scoring.classes} and {second.scoring.classes}), so their "
                f"probabilities cannot be compared by {chosen.name}; choose accuracy or f1."
            )
    return chosen


def _labels(y: Any, side: Side, metric: Metric, *, data: str = "the holdout") -> Labels:
    """The true values as an array, refused when missing, too few, or not the classes
    the versions predict."""
    if y is None:
        raise InvalidArgumentError("no true values were given; pass them with ", HOLDOUT, ".")
    values = pd.Series(np.asarray(y, dtype=object) if not hasattr(y, "dtype") else y)
    values = values.squeeze() if isinstance(values, pd.DataFrame) else values
    if len(values) < MIN_ROWS:
        raise InvalidArgumentError(
            f"{data} has {counted(len(values), 'row')}, too few to tell two versions "
            f"apart; pass at least {MIN_ROWS} labelled rows."
        )
    missing = int(values.isna().sum())
    if missing:
        raise InvalidArgumentError(
            f"y has {counted(missing, 'missing label')} (NaN or None) of {len(values):,}; drop "
            "those rows from X and y, then gate again."
        )
    if side.scoring.task != CLASSIFIER:
        if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            raise InvalidArgumentError(
                f"y holds {values.dtype} values, but {side.label} is a regressor; pass its "
                "numeric true values."
            )
        return Labels(values.to_numpy(dtype="float64"))
    return _classes(values, side, metric)


def _classes(values: pd.Series, side: Side, metric: Metric) -> Labels:
    classes = side.scoring.classes or classes_of(side.model) or ()
    known = set(classes)
    unknown = sorted({v for v in values.tolist() if v not in known}, key=str)
    if unknown:
        raise InvalidArgumentError(
            f"y holds values that are not classes of {side.label}: {_some(unknown)} (its classes: "
            f"{', '.join(map(repr, classes))}); pass the true classes, in the type the model "
            "predicts."
        )
    positive = side.scoring.positive if len(classes) == 2 else None
    truth = np.asarray(values.tolist(), dtype=object)
    if metric.name == "auc":
        present = set(truth.tolist())
        if len(present) < 2:
            raise InvalidArgumentError(
                f"every label of the holdout is {next(iter(present))!r}, and auc needs rows "
                "of at least two classes; pass held-out rows of every class, or choose accuracy."
            )
    return Labels(truth, positive=positive)


def _rows(X: Any, count: int, *sides: Side) -> list[pd.DataFrame]:
    """`X` as each version takes it: its registered columns, in order and dtypes."""
    if X is None:
        raise InvalidArgumentError("no rows were given to score; pass them with ", HOLDOUT, ".")
    found = []
    for side in sides:
        rows = scoring_rows(X, side.version.schema, what=side.label)
        found.append(as_trained(rows.reset_index(drop=True), side.version.schema))
    if len(found[0]) != count:
        raise InvalidArgumentError(
            f"X has {counted(len(found[0]), 'row')} and y {counted(count, 'label')}; pass one "
            "true value per row."
        )
    return found


def _outputs(side: Side, rows: pd.DataFrame, metric: Metric) -> Outputs:
    try:
        predictions, proba = predictions_and_probabilities(
            side.model, rows, probabilities=metric.needs_probabilities
        )
    except Exception as exc:
        raise InvalidArgumentError(
            f"{side.label} cannot score the holdout ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0] if str(exc) else ''}); pass rows like those it was "
            "trained on."
        ) from exc
    classes = tuple(classes_of(side.model) or ())
    values = np.asarray(predictions.tolist(), dtype=object) if classes else predictions
    return Outputs(values, proba, classes)


def _some(values: list[Any]) -> str:
    shown = ", ".join(repr(value) for value in values[:5])
    return f"{shown} and {len(values) - 5:,} more" if len(values) > 5 else shown
