"""A gate: a challenger version against the champion on the same held-out rows.

Both versions are loaded the way the registry loads any (verified, nothing untrusted
runs), given the rows in the order and dtypes each was registered with, and measured by
one metric that fits their task; `gating.py` draws the paired interval (and McNemar's
test for accuracy) and `verdicts.decide` says promote or keep. What cannot be compared
fairly is refused in one sentence before anything is scored: two versions that are one,
an archived one, versions of different tasks, a metric of another task, held-out rows that
are either version's training data (by the fingerprint the registry stores: its scores there
are optimistic, and an overfit version would win), labels that `gate_labels` refuses, and a
metric that comes out undefined on the rows (an r2 of constant labels, an overflowing error).
A live gate reads what the registry records of the versions (task, positive class) and their
logged outputs, so it loads no model unless one was registered before its task was recorded.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from jupyter_mlops.automation import gating
from jupyter_mlops.automation.gate_labels import Expected, Named, aligned, labels_of
from jupyter_mlops.automation.paired import METRICS, Labels, Metric, Outputs, metrics_for
from jupyter_mlops.automation.verdicts import GateResult, decide
from jupyter_mlops.errors import Command, ConflictError, InvalidArgumentError, Option, Spelled
from jupyter_mlops.monitoring.scoring import Scoring, require_same_task, scoring_of
from jupyter_mlops.registry import datasets
from jupyter_mlops.registry.classes import classes_of
from jupyter_mlops.registry.display import counted
from jupyter_mlops.registry.dtypes import as_trained
from jupyter_mlops.registry.lookups import compared_model, side_ref
from jupyter_mlops.registry.outputs import predictions_and_probabilities
from jupyter_mlops.registry.refs import parse_ref
from jupyter_mlops.registry.signature import scoring_rows
from jupyter_mlops.registry.task import CLASSIFIER

if TYPE_CHECKING:
    from jupyter_mlops.registry import Registry, Version

HOLDOUT = Spelled(
    python="X=X_holdout, y=y_holdout",
    notebook="--holdout X_holdout y_holdout",
    shell="--holdout FILE --target COLUMN",
)
UNDEFINED = {"r2": "the true values are all one value, or their errors overflow"}


@dataclass(frozen=True)
class Side:
    """One version in a gate: its record, its model (None: not loaded, a live gate reads
    the outputs it logged) and how it is scored."""

    version: Version
    model: Any
    scoring: Scoring

    @property
    def label(self) -> str:
        return f"{self.version.model} version {self.version.version}"

    @property
    def expected(self) -> Expected:
        """What its labels are checked against."""
        classes = self.scoring.classes
        if not classes and self.model is not None:
            classes = tuple(classes_of(self.model) or ()) or None
        return Expected(self.scoring.task, classes, self.scoring.positive, self.label)


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
    named: Named | None = None,
) -> GateResult:
    """The challenger against the champion on rows `X` with true values `y`, by `metric`
    (`named`: how the face that gave them names them, for its messages)."""
    check_numbers(min_gain, alpha)
    versions = _versions(registry, model, champion=champion, challenger=challenger)
    if all(version.task is not None for version in versions):  # refused before any load
        _metric(metric, *_sides(registry, versions, load=False))
    if X is None or y is None:
        what = "no rows were given to score" if X is None else "no true values were given"
        raise InvalidArgumentError(f"{what}; pass them with ", HOLDOUT, ".")
    y = aligned(X, y, named=named or Named())
    _not_training_data(X, y, versions)
    first, second = _sides(registry, versions, load=True)
    chosen = _metric(metric, first, second)
    labels = labels_of(y, first.expected, chosen, data="the holdout", named=named or Named())
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
    from jupyter_mlops.monitoring.windows import span_or_range

    check_numbers(min_gain, alpha)
    span_or_range(window)  # an unreadable or empty window is refused before anything
    versions = _versions(registry, model, champion=champion, challenger=challenger)
    first, second = _sides(registry, versions, load=False)
    chosen = _metric(metric, first, second)
    found = paired_rows(
        registry,
        model=model,
        window=window,
        champion=first.version.version,
        challenger=second.version.version,
    )
    labelled = found[found["label"].notna()].reset_index(drop=True)
    data = f"the labelled requests of {window}"
    named = Named(labels=f"the labels of {window}'s requests", rows="the window")
    labels = labels_of(labelled["label"], first.expected, chosen, data=data, named=named)
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
        data=f"labelled requests of the last {window} both scored",
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
    if not (math.isfinite(paired.champion) and math.isfinite(paired.challenger)):
        raise InvalidArgumentError(
            f"{metric.name} comes out undefined on these {len(labels.values):,} {data} (the "
            f"champion's {paired.champion:.4g}, the challenger's {paired.challenger:.4g}), as "
            f"{UNDEFINED.get(metric.name, 'their errors overflow')}; gate by another metric "
            "or on other rows."
        )
    tested = None
    if metric.name == "accuracy":
        right = [out.predictions == labels.values for out in outputs]
        tested = gating.mcnemar(*right)
    decision, why = decide(
        paired, metric=metric.name, mcnemar=tested, min_gain=min_gain, alpha=alpha
    )
    alias = parse_ref(side_ref(model, champion)).alias  # None: named by its number
    return GateResult(
        model=model,
        metric=metric.name,
        champion=first.version.version,
        challenger=second.version.version,
        champion_alias=alias or "champion",
        champion_named=f"{model}@{alias}" if alias else f"{model}:{first.version.version}",
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
    predictions = rows[f"{side}_prediction"].to_numpy()
    if of.scoring.task != CLASSIFIER:
        return Outputs(predictions.astype("float64"), None, ())
    predictions = np.asarray(predictions.tolist(), dtype=object)
    classes = of.expected.classes or _seen(predictions, labels)
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


def _seen(predictions: np.ndarray, labels: Labels) -> tuple[Any, ...]:
    """The classes logged outputs and labels show, with the positive one (a version whose
    classes are not recorded and is not loaded)."""
    seen = set(predictions.tolist()) | set(labels.values.tolist())
    if labels.positive is not None:
        seen.add(labels.positive)
    return tuple(sorted(seen, key=lambda value: (value != labels.positive, str(value))))


def check_numbers(min_gain: float, alpha: float) -> None:
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


def _versions(
    registry: Registry, model: str, *, champion: int | str, challenger: int | str
) -> tuple[Version, Version]:
    compared_model(model)
    first = registry.get(side_ref(model, champion))
    second = registry.get(side_ref(model, challenger))
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
    return first, second


def _sides(
    registry: Registry, versions: tuple[Version, Version], *, load: bool
) -> tuple[Side, Side]:
    """Both versions as a gate reads them: loaded (`load`, or a version registered before
    its task was recorded), else from what the registry records of them."""
    sides = []
    for version in versions:
        if not load and version.task is not None:
            sides.append(Side(version, None, Scoring(version.task, version.positive_label)))
            continue
        loaded = registry.load(version.ref)
        sides.append(Side(version, loaded, scoring_of(functools.partial(_same, loaded), version)))
    first, second = sides
    require_same_task(
        (first.label, first.scoring.task), (second.label, second.scoring.task), doing="a gate"
    )
    return first, second


def _same(model: Any) -> Any:
    return model


def _not_training_data(X: Any, y: Any, versions: tuple[Version, Version]) -> None:
    """Refuses held-out rows that are either version's training data, by the fingerprint
    of its rows and labels the registry stores (whatever the labels are called), or of its
    rows alone (a version registered without y)."""
    if not any(version.data_fingerprint for version in versions):
        return
    features = datasets.as_frame(X, name="X")
    found = datasets.fingerprints(features, datasets.as_frame(y, name="y"), names=features.columns)
    found.add(datasets.fingerprint(features))
    for trained in versions:
        if trained.data_fingerprint in found:
            raise InvalidArgumentError(
                f"the holdout is {trained.ref}'s training data, on which its scores are "
                "optimistic (an overfit version would win); gate on rows neither version was "
                "trained on (e.g. the test part of train_test_split)."
            )


def _metric(name: str, first: Side, second: Side) -> Metric:
    task = first.scoring.task or CLASSIFIER
    fitting = metrics_for(task)
    chosen = METRICS.get(str(name).strip().lower())
    if chosen is None or chosen.task != task:
        raise InvalidArgumentError(
            f"metric {name!r} does not fit {first.version.model}'s versions, which are "
            f"{task}s; choose one of {', '.join(fitting)}."
        )
    if chosen.needs_probabilities and first.model is not None and second.model is not None:
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


def _rows(X: Any, count: int, *sides: Side) -> list[pd.DataFrame]:
    """`X` as each version takes it: its registered columns, in order and dtypes."""
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
