"""What `Monitor.log_labels` takes: request ids and one true value per id.

Request ids come as the rows `log_predictions` returned (their `__request_id__` column is
taken), a Series or an array of ids, or a list of them; labels as a list, an array, a Series
or a one-column DataFrame. Anything else is refused before it can be counted wrong: a
DataFrame counted as a list gives its column names, a string its characters.

A classifier's labels, here and in `y=` of performance and check, are matched to its
classes as `/feedback` matches them (`registry/classes.py`): "2" is kept as the class 2,
and a label naming no class is refused naming the classes. A missing label means no
label for that row in `y=`; a label log holds only labels that arrived, so `log_labels`
refuses it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from jupyter_mlops.errors import InvalidArgumentError, Spelled
from jupyter_mlops.monitoring.logs import REQUEST_ID
from jupyter_mlops.registry.classes import listed, matched

FIX = f'pass the rows log_predictions returned, or logged["{REQUEST_ID}"]'


def request_ids_of(value: Any) -> list[str]:
    """The ids in `value`, in order, as strings."""
    if isinstance(value, pd.DataFrame):
        if REQUEST_ID not in value.columns:
            raise InvalidArgumentError(
                f"the DataFrame given as request ids has no {REQUEST_ID!r} column (it has "
                f"{_names(value.columns)}); {FIX}."
            )
        value = value[REQUEST_ID]
    ids = _values(value)
    if ids is None:
        raise InvalidArgumentError(
            f"request ids must be a list or Series of ids, not {_kind(value)}; {FIX}."
        )
    for position, found in enumerate(ids):
        if not isinstance(found, str | int | np.integer) or isinstance(found, bool):
            raise InvalidArgumentError(
                f"request id {position} is {found!r} ({type(found).__name__}), not an id; {FIX}."
            )
    return [str(found) for found in ids]


def distinct_ids(ids: list[str], *, of: str) -> list[str]:
    """`ids` (as strings), refused when one is empty or two are alike: a label finds its
    prediction by id, so an id given to two rows of one call would label both."""
    seen: dict[str, int] = {}
    for position, found in enumerate(ids):
        if not found.strip():
            raise InvalidArgumentError(
                f"request id {position} is empty ({found!r}); give each of the {of} an id."
            )
        if found in seen:
            raise InvalidArgumentError(
                f"request id {found!r} is given twice (at {seen[found]} and {position}); give "
                f"each of the {of} an id of its own."
            )
        seen[found] = position
    return ids


def labels_of(value: Any, *, per: str = "request id") -> list[Any]:
    """The true values in `value`, one per request id (`per="row"`: one per row given, as
    `y=` of performance and check)."""
    fix: str | Spelled = "pass y, or y[known] for the ids given"
    if per == "row":
        fix = Spelled(
            python="pass y=y_true, the true values as a list, array or Series",
            notebook="pass --y VARIABLE naming a list, array or Series of the true values",
            shell="name the column of true values with --label-column NAME",
        )
    if isinstance(value, pd.DataFrame):
        if len(value.columns) != 1:
            raise InvalidArgumentError(
                f"labels must be one value per {per}, but the DataFrame given has "
                f"{len(value.columns)} columns ({_names(value.columns)}); pass one column."
            )
        value = value.iloc[:, 0]
    labels = _values(value)
    if labels is None:
        raise InvalidArgumentError(
            f"labels must be a list, array or Series with one value per {per}, not "
            f"{_kind(value)}; ",
            fix,
            ".",
        )
    return labels


def as_classes(
    labels: list[Any],
    classes: tuple[Any, ...] | None,
    *,
    what: str,
    missing: bool,
    per: str = "request id",
) -> list[Any] | np.ndarray:
    """`labels` as the classes of `what` (a version) they name, in an array of the classes'
    type; missing ones kept as None when `missing` is allowed, else refused. Without
    `classes` (no classifier, or its model cannot be loaded here) they stay as they are.
    `per`: what each label belongs to, for a message ("row": row N's label)."""
    if not missing:
        absent = next((i for i, label in enumerate(labels) if _absent(label)), None)
        if absent is not None:
            raise InvalidArgumentError(
                f"label {absent} for {what} is missing ({labels[absent]!r}); log only "
                "the labels that have arrived, with their request ids."
            )
    if classes is None:
        return labels
    found = matched(labels, classes)
    if found.stranger is not None:
        position = found.stranger
        which = f"row {position}'s label" if per == "row" else f"label {position}"
        raise InvalidArgumentError(
            f"the labels of {what} are its classes {listed(classes)}, but {which} is "
            f"{_shown(labels[position])}; pass each label as one of those classes."
        )
    return found.values


def as_predictions(predictions: Any, classes: tuple[Any, ...] | None, *, what: str) -> Any:
    """Predictions given for `what` (a version), one per row, as the classes they name;
    one that is missing or names none of `classes` is refused. Without `classes` (no
    classifier, or its model cannot be loaded here) they stay as they are."""
    if classes is None or np.ndim(predictions) != 1:
        return predictions  # another count than the rows' is refused with the rows
    found = matched(predictions, classes)
    wrong = found.missing | found.strangers
    if wrong.any():
        position = int(wrong.argmax())
        raise InvalidArgumentError(
            f"the predictions of {what} are its classes {listed(classes)}, but prediction "
            f"{position} is {_shown(list(predictions)[position])}; pass the class the model "
            "predicted for each row."
        )
    return found.values


def _absent(label: Any) -> bool:
    return label is None or (pd.api.types.is_scalar(label) and bool(pd.isna(label)))


def _shown(value: Any) -> str:
    value = value.item() if isinstance(value, np.generic) else value
    return f"{value!r} ({type(value).__name__})"


def _values(value: Any) -> list[Any] | None:
    """The items of a one-dimensional sequence, or None for anything else."""
    if isinstance(value, np.ndarray) and value.ndim == 2 and value.shape[1] == 1:
        value = value[:, 0]
    if isinstance(value, np.ndarray) and value.ndim != 1:
        return None
    if isinstance(value, pd.Series | pd.Index | np.ndarray | pd.api.extensions.ExtensionArray):
        return list(value)
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return list(value)
    return None


def _kind(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    if isinstance(value, str | bytes):
        return f"the single {type(value).__name__} {value[:40]!r}"
    name = type(value).__name__
    return f"an {name}" if name[0] in "aeiou" else f"a {name}"


def _names(columns: pd.Index) -> str:
    names = [str(name) for name in columns[:5]]
    more = f" and {len(columns) - 5} more" if len(columns) > 5 else ""
    return ", ".join(names) + more if names else "no columns"
