"""How a version's rows are scored: as a classifier's or a regressor's, and which class is
positive. Decided by the model, never by the labels a window happens to hold.

A version records both at registration (`registry/task.py`). One registered before they
were recorded is asked through its loaded model (scikit-learn's `is_classifier`, its second
class); only when the model cannot be loaded here are the labels looked at, as before, and
the report says so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from jupyter_mlops.errors import InvalidArgumentError, MlopsError
from jupyter_mlops.registry.classes import classes_of
from jupyter_mlops.registry.task import CLASSIFIER, positive_of, task_of

if TYPE_CHECKING:
    from jupyter_mlops.registry.records import Version


@dataclass(frozen=True)
class Scoring:
    """`task`: "classifier", "regressor", or None (then the labels decide, as they did
    before tasks were recorded); `positive`: a binary classifier's positive class (None:
    chosen per window from its labels, or no such class); `note`: how this was decided,
    when it was not recorded with the version."""

    task: str | None
    positive: Any = None
    note: str = ""
    classes: tuple[Any, ...] | None = None  # a classifier's, from its model (None: unknown)

    @property
    def known(self) -> bool:
        return self.task is not None


def require_same_task(
    first: tuple[str, str | None], second: tuple[str, str | None], *, doing: str
) -> None:
    """Refuses comparing two versions, each `(label, task)`, that do different tasks (a
    classifier's accuracy against a regressor's would read as 0): `doing` names what would
    compare them ("a gate", "a live comparison")."""
    (one, task), (other, its) = first, second
    if task != its:
        raise InvalidArgumentError(
            f"{one} is a {task or 'model of no known task'} and {other} a "
            f"{its or 'model of no known task'}; {doing} compares versions that do the same "
            f"task, so name a challenger that is a {task or its} too."
        )


def scoring_of(load: Callable[[], Any], version: Version) -> Scoring:
    """The version's recorded task and positive class, else its model's (`load()` gives
    it); a classifier's classes from its model, when it can be loaded here."""
    try:
        model = load()
    except MlopsError as exc:
        if version.task is not None:
            return Scoring(version.task, version.positive_label)
        reason = str(exc).split(";")[0]
        return Scoring(
            None,
            note=(
                f"{version.ref} was registered before its task was recorded and its model "
                f"cannot be loaded here ({reason}): scored as its labels look, and a positive "
                "class of 1 or True when present"
            ),
        )
    if version.task is not None:
        return Scoring(version.task, version.positive_label, classes=_classes(model, version.task))
    task = task_of(model)
    positive = positive_of(model) if task == CLASSIFIER else None
    told = f"a {task}" if task else "of neither kind (scored as its labels look)"
    shown = f" with positive class {positive!r}" if positive is not None else ""
    return Scoring(
        task,
        positive,
        note=f"{version.ref} was registered before its task was recorded: its model is {told}"
        f"{shown}",
        classes=_classes(model, task),
    )


def _classes(model: Any, task: str | None) -> tuple[Any, ...] | None:
    return classes_of(model) if task == CLASSIFIER else None
