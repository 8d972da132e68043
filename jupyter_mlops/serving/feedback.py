"""What `/feedback` takes: request ids and their true labels, checked before they are logged.

    {"request_ids": ["9f0c...", ...], "labels": [1, ...]}

The ids are strings, one label per id, at most `MAX_LABELS` a request (more is a 422,
not a 503: a size limit says nothing about the disk). Each label must be of the kind the
served version's target was registered with (`label_kind`), so the label log holds one
type per column:

- a numeric target takes JSON numbers (whole numbers are kept as integers when every
  label of the request is one, else as floats; null, booleans and text are refused);
- a target whose values were only True and False takes true and false;
- any other target (classes named by text) takes strings.

A version registered without a target is judged by its model: a classifier by the type
of its classes, anything else takes numbers. A classifier (a model with `classes_` of the
label's kind) takes only its classes, checked as every way labels come in checks them
(`registry/classes.py`), and logs each as the class it names (1.0 as 1): a 2, a -1 or a
0.5 is not a label of a 0/1 classifier, and a label log holding one would skew every
metric computed from it. An id
the server did not issue is accepted (another replica, or the server before a restart,
may have) and counted in the answer; an empty id, or one given twice in a body, is refused.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from jupyter_mlops.errors import InvalidArgumentError, Unprocessable
from jupyter_mlops.monitoring.labelling import distinct_ids
from jupyter_mlops.registry.classes import classes_of, listed, matched
from jupyter_mlops.registry.outputs import TARGET
from jupyter_mlops.serving.validation import BOOLEAN, NUMBER, TEXT, described

MAX_LABELS = 100_000
WANTED = {NUMBER: "numbers", TEXT: "text", BOOLEAN: "true or false"}
INT64 = 2**63 - 1
LABEL_TYPES: dict[str, frozenset[type]] = {
    NUMBER: frozenset({int, float}),
    TEXT: frozenset({str}),
    BOOLEAN: frozenset({bool}),
}


@dataclass(frozen=True)
class Takes:
    """The labels a served version takes: their kind and, for a classifier, its classes
    (plain Python values)."""

    kind: str
    classes: tuple[Any, ...] | None = None


def takes(profile: list[dict[str, Any]], model: Any) -> Takes:
    """What `/feedback` takes for a version with this registered profile and model."""
    kind = label_kind(profile, model)
    return Takes(kind, _classes(model, kind))


def _classes(model: Any, kind: str) -> tuple[Any, ...] | None:
    """The model's classes when it is a classifier whose classes are labels of `kind`."""
    values = classes_of(model)
    if values is None or not all(type(value) in LABEL_TYPES[kind] for value in values):
        return None  # not labels of the registered target's kind: nothing to check against
    return values


def label_kind(profile: list[dict[str, Any]], model: Any) -> str:
    """The kind of label a version takes: from its registered target, else its model."""
    target = next((entry for entry in profile if entry.get("feature") == TARGET), None)
    if target is not None:
        if target.get("kind") == "numeric":
            return NUMBER
        seen = set(target.get("stats", {}).get("counts", {}))
        return BOOLEAN if seen and seen <= {"True", "False"} else TEXT
    classes = getattr(model, "classes_", None)
    if classes is None:
        return NUMBER
    dtype = np.asarray(classes).dtype
    return BOOLEAN if dtype.kind == "b" else NUMBER if dtype.kind in "iuf" else TEXT


def checked(payload: Any, takes: Takes) -> tuple[list[str], np.ndarray]:
    """The request ids and labels of a /feedback body, the labels as one typed array."""
    if not isinstance(payload, dict) or not {"request_ids", "labels"} <= set(payload):
        raise Unprocessable('send {"request_ids": [...], "labels": [...]}.', field="body")
    ids, labels = payload["request_ids"], payload["labels"]
    if not isinstance(ids, list) or not isinstance(labels, list) or len(ids) != len(labels):
        raise Unprocessable("request_ids and labels must be arrays of one length.", field="labels")
    if not ids or not set(map(type, ids)) <= {str}:
        raise Unprocessable("request_ids must be a non-empty array of text.", field="request_ids")
    _distinct(ids)
    if len(labels) > MAX_LABELS:
        raise Unprocessable(
            f"{len(labels)} labels is more than {MAX_LABELS} a request; split it.", field="labels"
        )
    array = _labels(labels, takes.kind)
    if takes.classes is None:
        return ids, array
    found = matched(labels, takes.classes)
    if found.stranger is not None:
        raise Unprocessable(
            f"this model's labels are its classes {listed(takes.classes)}; label "
            f"{found.stranger} is {described(labels[found.stranger])}.",
            field="labels",
        )
    return ids, found.values


def _distinct(ids: list[str]) -> None:
    """Refuse an empty id, or one given twice, as `Monitor.log_labels` does: a label finds
    its prediction by id, so one given twice would label it twice."""
    try:
        distinct_ids(ids, of="labels")
    except InvalidArgumentError as exc:
        raise Unprocessable(str(exc), field="request_ids") from None


def _labels(labels: list[Any], kind: str) -> np.ndarray:
    allowed = LABEL_TYPES[kind]
    found = set(map(type, labels))
    if not found <= allowed:
        _refuse(labels, kind, lambda value: type(value) not in allowed)
    if kind == TEXT:
        array = np.empty(len(labels), dtype=object)
        array[:] = labels
        return array
    if kind == BOOLEAN:
        return np.array(labels, dtype=bool)
    if found == {int} and all(-INT64 <= value <= INT64 for value in labels):
        return np.array(labels, dtype=np.int64)
    numbers = np.array([_float(value) for value in labels], dtype=float)
    if not np.isfinite(numbers).all():
        _refuse(labels, kind, lambda value: not math.isfinite(_float(value)))
    return numbers


def _float(value: float) -> float:
    try:
        return float(value)
    except OverflowError:  # an integer beyond any float
        return math.inf


def _refuse(labels: list[Any], kind: str, wrong: Any) -> None:
    position, value = next((i, v) for i, v in enumerate(labels) if wrong(v))
    raise Unprocessable(
        f"this model's labels are {WANTED[kind]} (like its registered target); label "
        f"{position} is {described(value)}.",
        field="labels",
    )
