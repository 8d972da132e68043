"""A gate's true values: matched to its rows, and refused when no fair comparison follows.

Labels given as pandas objects are paired with the rows by index, not by position: a `y`
whose index holds the rows' index values in another order is put in the rows' order, and
one whose index holds other values is refused, since pairing by position would score
each row against another row's label without a word. Labels are refused when missing,
too few, not finite (a regressor's), not the versions' classes, or, for AUC, when a class
has fewer than `MIN_PER_CLASS` rows: an AUC over one positive says nothing. Each message
names the labels as the face that gave them does (`named`): `y` in Python, the variable
in a notebook, the `--target` column of a file in a shell.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from jupyter_mlops.automation.paired import Labels, Metric
from jupyter_mlops.errors import InvalidArgumentError
from jupyter_mlops.registry.display import counted
from jupyter_mlops.registry.pairing import paired
from jupyter_mlops.registry.task import CLASSIFIER

MIN_ROWS = 30  # fewer rows cannot tell two versions apart
MIN_PER_CLASS = 10  # fewer rows of a class leave its AUC to a handful of rows


@dataclass(frozen=True)
class Named:
    """How the face that gave the holdout names its labels and its rows."""

    labels: str = "y"  # `y`, `y_hold`, `the --target column 'churned' of holdout.csv`
    rows: str = "X and y"  # where rows are dropped from: `X and y`, `holdout.csv`


@dataclass(frozen=True)
class Expected:
    """What the labels are checked against: the versions' task, their classes (None:
    unknown here, as for logged labels the server already matched) and positive class."""

    task: str | None
    classes: tuple[Any, ...] | None
    positive: Any
    label: str  # `churn version 2`


def aligned(X: Any, y: Any, *, named: Named) -> Any:
    """`y` in the order of `X`'s rows when both are pandas objects indexed alike
    (`registry/pairing.py`)."""
    return paired(X, y, named=named.labels)


def labels_of(
    y: Any, expected: Expected, metric: Metric, *, data: str, named: Named | None = None
) -> Labels:
    """The true values as an array, refused when missing, too few, not finite, not the
    versions' classes, or too few of a class for AUC."""
    named = named or Named()
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
            f"{named.labels} has {counted(missing, 'missing label')} (NaN or None) of "
            f"{len(values):,}; drop those rows from {named.rows}, then gate again."
        )
    if expected.task != CLASSIFIER:
        return Labels(_numbers(values, expected, named))
    return _classes(values, expected, metric, named)


def _numbers(values: pd.Series, expected: Expected, named: Named) -> np.ndarray:
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        raise InvalidArgumentError(
            f"{named.labels} holds {values.dtype} values, but {expected.label} is a regressor; "
            "pass its numeric true values."
        )
    numbers = values.to_numpy(dtype="float64")
    infinite = int((~np.isfinite(numbers)).sum())
    if infinite:
        raise InvalidArgumentError(
            f"{named.labels} holds {counted(infinite, 'infinite value')} of {len(numbers):,}, "
            f"which no error can be measured against; drop those rows from {named.rows}."
        )
    return numbers


def _classes(values: pd.Series, expected: Expected, metric: Metric, named: Named) -> Labels:
    classes = expected.classes
    if classes is not None:
        known = set(classes)
        unknown = sorted({v for v in values.tolist() if v not in known}, key=str)
        if unknown:
            raise InvalidArgumentError(
                f"{named.labels} holds values that are not classes of {expected.label}: "
                f"{some(unknown)} (its classes: {', '.join(map(repr, classes))}); pass the "
                "true classes, in the type the model predicts."
            )
    binary = classes is None or len(classes) == 2
    positive = expected.positive if binary else None
    truth = np.asarray(values.tolist(), dtype=object)
    if metric.name == "auc":
        _enough_of_each(truth, classes, named)
    return Labels(truth, positive=positive)


def _enough_of_each(truth: np.ndarray, classes: tuple[Any, ...] | None, named: Named) -> None:
    counts = Counter(truth.tolist())
    for value in classes or ():
        counts.setdefault(value, 0)
    if len(counts) < 2:
        raise InvalidArgumentError(
            f"every label of {named.labels} is {next(iter(counts))!r}, and auc needs rows of "
            "at least two classes; pass held-out rows of every class, or choose accuracy."
        )
    fewest, count = min(counts.items(), key=lambda item: (item[1], str(item[0])))
    if count < MIN_PER_CLASS:
        raise InvalidArgumentError(
            f"{named.labels} holds {counted(count, 'row')} of class {fewest!r}, and auc needs "
            f"at least {MIN_PER_CLASS} of each class to mean anything; pass more held-out rows "
            "of it, or choose accuracy."
        )


def some(values: list[Any]) -> str:
    shown = ", ".join(repr(value) for value in values[:5])
    return f"{shown} and {len(values) - 5:,} more" if len(values) > 5 else shown
