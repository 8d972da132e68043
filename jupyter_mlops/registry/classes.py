"""A classifier's labels are its classes: the one check every way labels come in shares.

`/feedback`, `Monitor.log_labels` and `y=` of performance and check all read true labels
for a version. A label that names none of the model's classes (a 0 for a classifier of 1
and 2, a 1.5) would be scored as a class of its own, and every metric computed from it
would be wrong without a word, so each one is matched to the class it names here, or the
first that names none is reported. A label names a class when it equals it under the
class's type: the text "2" names the class 2, the number 1.0 the class 1, "true" (any
case) the class True, the number 1 the class "1". True and False name no class among numbers
other than 0 and 1: of classes 1 and 2, True may mean either. A missing label (None, NaN)
names none and is reported apart, for the caller to drop or refuse.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

SHOWN_CLASSES = 10


@dataclass(frozen=True)
class Matched:
    """`values`: each label as the class it names (in an object array holding None for
    the others when there are any); `missing`: which labels were missing; `strangers`:
    which present labels name no class."""

    values: np.ndarray
    missing: np.ndarray
    strangers: np.ndarray

    @property
    def stranger(self) -> int | None:
        """The position of the first label that names no class (None: none)."""
        found = np.flatnonzero(self.strangers)
        return int(found[0]) if len(found) else None


def classes_of(model: Any) -> tuple[Any, ...] | None:
    """A classifier's classes as plain Python values; None for a model without one
    list of them (a regressor, several outputs)."""
    try:
        classes = np.asarray(getattr(model, "classes_", None))
    except Exception:  # an attribute that raises, or classes of several outputs
        return None
    if classes.ndim != 1 or not len(classes):
        return None
    return tuple(classes.tolist())


def matched(labels: Sequence[Any] | np.ndarray | pd.Series, classes: Sequence[Any]) -> Matched:
    """Each of `labels` as the class among `classes` it names (see the module)."""
    series = pd.Series(
        np.asarray(labels, dtype=object) if _listlike(labels) else np.asarray(labels)
    )
    missing = series.isna().to_numpy()
    index = {value: _named(_plain(value), classes) for value in pd.unique(series[~missing])}
    positions = series.map(index)  # NaN: missing, or no class named
    strangers = positions.isna().to_numpy() & ~missing
    known = np.asarray(classes)
    if not positions.isna().any():
        return Matched(known[positions.to_numpy(dtype=np.int64)], missing, strangers)
    values = np.full(len(series), None, dtype=object)
    named = ~positions.isna().to_numpy()
    values[named] = known[positions[named].to_numpy(dtype=np.int64)]
    return Matched(values, missing, strangers)


def listed(classes: Sequence[Any]) -> str:
    """`0 and 1`, `"a", "b" and "c"`, or the first few and how many more."""
    shown = [json.dumps(value, ensure_ascii=False) for value in classes[:SHOWN_CLASSES]]
    if len(classes) > SHOWN_CLASSES:
        return f"{', '.join(shown)} and {len(classes) - SHOWN_CLASSES} more"
    return shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} and {shown[-1]}"


def _listlike(labels: Any) -> bool:
    """Labels of mixed types (a list) keep each value's own type in an object array."""
    return not isinstance(labels, np.ndarray | pd.Series | pd.Index)


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _named(value: Any, classes: Sequence[Any]) -> int | None:
    """The position of the class `value` names, or None."""
    for position, cls in enumerate(classes):
        if type(value) is type(cls) and value == cls:
            return position
    if isinstance(value, bool) and _counts(classes):
        return None  # True of classes 1 and 2 may mean either: it names none
    for position, cls in enumerate(classes):
        if _names(value, cls):
            return position
    return None


def _counts(classes: Sequence[Any]) -> bool:
    """Whether a number other than 0 and 1 is among `classes`: they are not no and yes."""
    return any(
        isinstance(cls, int | float) and not isinstance(cls, bool) and cls not in (0, 1)
        for cls in classes
    )


def _names(value: Any, cls: Any) -> bool:
    if isinstance(cls, str):
        return isinstance(value, str | int | float) and cls in _texts(value)
    if isinstance(value, str):
        text = value.strip()
        if isinstance(cls, bool):
            return text.lower() == str(cls).lower()
        return _number(text) == cls
    if isinstance(value, int | float) and isinstance(cls, int | float):
        return value == cls  # 1.0 names 1; True names 1, and 1 names True
    return False


def _texts(value: Any) -> set[str]:
    """How a label reads as text: 1.0 also as "1"."""
    texts = {str(value).strip()}
    if isinstance(value, float) and math.isfinite(value) and value == int(value):
        texts.add(str(int(value)))
    return texts


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None
