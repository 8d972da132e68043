"""What a tracked cell fits and trains on, read from its code (no execution needed).

`clf = HistGradientBoostingClassifier().fit(X_train, y_train)` binds `clf` and trains on
`X_train`, `y_train`; `model.fit(X, y)` fits `model`. After the cell runs, the names found
here are looked up, and those holding fitted estimators are recorded with the run.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

FIT_METHODS = {"fit", "fit_transform", "fit_predict", "partial_fit"}


@dataclass
class CellAnalysis:
    assigned: list[str] = field(default_factory=list)
    fitted: list[str] = field(default_factory=list)
    inputs: dict[str, str] = field(default_factory=dict)  # name -> "X" or "y" of a fit call
    # name -> indexes of the cell's top-level statements that fit it (to time its fit)
    fit_statements: dict[str, list[int]] = field(default_factory=dict)

    def fit_seconds(self, name: str, durations: list[float]) -> float | None:
        """Seconds spent in the top-level statements that fitted `name`."""
        indexes = self.fit_statements.get(name)
        if not indexes or max(indexes) >= len(durations):
            return None
        return sum(durations[index] for index in indexes)

    @property
    def candidates(self) -> list[str]:
        """Names that may hold a model after the cell: fitted ones first, then assigned."""
        return list(dict.fromkeys([*self.fitted, *self.assigned]))


def analyse(code: str) -> CellAnalysis:
    """Names the cell assigns, fits, and passes to a fit call (empty if it does not parse)."""
    found = CellAnalysis()
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return found
    for index, statement in enumerate(tree.body):
        for name in _read_statement(statement, found):
            found.fit_statements.setdefault(name, []).append(index)
    found.assigned = list(dict.fromkeys(found.assigned))
    found.fitted = list(dict.fromkeys(found.fitted))
    return found


def _read_statement(statement: ast.stmt, found: CellAnalysis) -> list[str]:
    """Add one top-level statement's names to `found`; return the names it fits.

    `clf = Model().fit(X, y)` fits `clf` (what it assigns); `model.fit(X, y)` fits `model`.
    """
    assigned: list[str] = []
    fitted: list[str] = []
    fits = False
    for node in ast.walk(statement):
        if isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                assigned += [n.id for n in ast.walk(target) if isinstance(n, ast.Name)]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in FIT_METHODS
        ):
            fits = True
            owner = node.func.value
            fitted += [owner.id] if isinstance(owner, ast.Name) else []
            for role, argument in zip(("X", "y"), node.args, strict=False):
                if isinstance(argument, ast.Name):
                    found.inputs.setdefault(argument.id, role)
    found.assigned += assigned
    found.fitted += fitted
    return list(dict.fromkeys([*fitted, *assigned])) if fits else []


def is_fitted_estimator(value: Any) -> bool:
    """A scikit-learn style estimator that has been fitted (it has attributes ending in '_')."""
    if isinstance(value, type) or not callable(getattr(value, "get_params", None)):
        return False
    if not callable(getattr(value, "fit", None)):
        return False
    is_fitted = getattr(value, "__sklearn_is_fitted__", None)
    if callable(is_fitted):  # pipelines and meta-estimators answer for themselves
        return bool(is_fitted())
    try:
        names = vars(value)
    except TypeError:
        return False
    return any(name.endswith("_") and not name.startswith("__") for name in names)
