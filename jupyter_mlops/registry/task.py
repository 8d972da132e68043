"""What a model does, fixed when it is registered: its task and its positive class.

Monitoring scores a window's rows the way the model was built, never the way the window's
labels happen to look: a regressor of counts is a regressor though its labels are a few
whole numbers, and a binary classifier's F1, AUC and scores refer to one class in every
window, though a window may hold no row of it. The task is scikit-learn's
(`is_classifier`); the positive class is the second of the model's `classes_` (the column
`predict_proba(X)[:, 1]` gives), unless another one is chosen at registration.

The positive class is stored as JSON, so the labels 1, "1" and True stay what they were.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from jupyter_mlops.errors import InvalidArgumentError
from jupyter_mlops.registry.classes import classes_of

CLASSIFIER = "classifier"
REGRESSOR = "regressor"


def task_of(model: Any) -> str | None:
    """`classifier` or `regressor` as scikit-learn tells it (a model of neither kind, or
    not of scikit-learn, is a classifier when it has `classes_`); None when unknown."""
    from sklearn.base import is_classifier, is_regressor

    try:
        if is_classifier(model):
            return CLASSIFIER
        if is_regressor(model):
            return REGRESSOR
    except Exception:  # not a scikit-learn estimator: it has no tags
        pass
    return CLASSIFIER if getattr(model, "classes_", None) is not None else None


def positive_of(model: Any, chosen: Any = None) -> Any:
    """The positive class of a binary classifier: `chosen` when given (one of its classes,
    matched by value or as written on a command line), else its second class; None for a
    model of another kind, whose metrics have no positive class."""
    classes = classes_of(model) if task_of(model) == CLASSIFIER else None
    if chosen is None:
        return classes[1] if classes is not None and len(classes) == 2 else None
    if classes is None:
        raise InvalidArgumentError(
            f"a positive label ({chosen!r}) was given for a model that is no classifier; "
            "leave it out (it names the class a binary classifier's scores refer to)."
        )
    if len(classes) != 2:
        raise InvalidArgumentError(
            f"a positive label ({chosen!r}) was given for a classifier of {len(classes)} "
            "classes, whose F1 is averaged over all of them; leave it out."
        )
    found = _matching(chosen, classes)
    if found is None:
        listed = ", ".join(repr(value) for value in classes)
        raise InvalidArgumentError(
            f"positive label {chosen!r} is not a class of this model"
            f"{_closest(chosen, classes)}; choose one of its classes_ ({listed})."
        )
    return found


def _matching(chosen: Any, classes: Sequence[Any]) -> Any:
    """The class `chosen` names: equal in value and type, else in its text (`2` on a
    command line names the class 2; `true` names True)."""
    for value in classes:
        if type(value) is type(chosen) and value == chosen:
            return value
    text = str(chosen)
    for compare in (str, lambda value: str(value).lower()):
        named = [value for value in classes if compare(value) == compare(text)]
        if len(named) == 1:
            return named[0]
    return None


def _closest(chosen: Any, classes: Sequence[Any]) -> str:
    """A ' (did you mean X?)' suffix naming the class spelt most like `chosen`, any case."""
    import difflib

    named = {str(value).lower(): value for value in classes}
    close = difflib.get_close_matches(str(chosen).lower(), list(named), n=1, cutoff=0.6)
    return f" (did you mean {named[close[0]]!r}?)" if close else ""


def encoded(positive: Any) -> str | None:
    """The positive class as the registry stores it (JSON), None for none."""
    return None if positive is None else json.dumps(positive)


def decoded(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def described(task: str | None, positive: Any) -> str | None:
    """`classifier (positive class 2)`, `regressor`, or None when not recorded."""
    if task is None:
        return None
    return task if positive is None else f"{task} (positive class {positive!r})"
