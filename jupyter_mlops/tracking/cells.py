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
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                found.assigned += [n.id for n in ast.walk(target) if isinstance(n, ast.Name)]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in FIT_METHODS
        ):
            owner = node.func.value
            if isinstance(owner, ast.Name):
                found.fitted.append(owner.id)
            for role, argument in zip(("X", "y"), node.args, strict=False):
                if isinstance(argument, ast.Name):
                    found.inputs.setdefault(argument.id, role)
    found.assigned = list(dict.fromkeys(found.assigned))
    found.fitted = list(dict.fromkeys(found.fitted))
    return found


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
