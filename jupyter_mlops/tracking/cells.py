"""What a tracked cell fits and trains on, read from its code (no execution needed).

`clf = HistGradientBoostingClassifier().fit(X_train, y_train)` binds `clf` and trains on
`X_train`, `y_train`; `model.fit(X, y)` and `(model := Est()).fit(X, y)` fit `model`. The
code of a timing magic (`%time clf = ...fit(X, y)`, `%timeit`, `%%time`) is read as the
cell's own. What is fitted inside `with mlops.run("inner"):` belongs to that nested run,
not the cell's. After the cell runs, the names found here are looked up, and those holding
fitted estimators are recorded with their run.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

FIT_METHODS = {"fit", "fit_transform", "fit_predict", "partial_fit"}
TIMING_MAGICS = {"time", "timeit", "prun"}
_MAGIC_CALLS = {"run_line_magic", "run_cell_magic"}


@dataclass
class CellAnalysis:
    assigned: list[str] = field(default_factory=list)
    fitted: list[str] = field(default_factory=list)
    inputs: dict[str, str] = field(default_factory=dict)  # name -> "X" or "y" of a fit call
    # name -> indexes of the cell's top-level statements that fit it (to time its fit)
    fit_statements: dict[str, list[int]] = field(default_factory=dict)
    nested: list[NestedRun] = field(default_factory=list)  # `with ....run(...)` blocks

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


@dataclass
class NestedRun:
    """A `with mlops.run("inner") as inner:` block: its experiment (when written as a
    literal), the name it binds the run to, and what its body fits."""

    experiment: str | None
    target: str | None
    analysis: CellAnalysis


def analyse(code: str) -> CellAnalysis:
    """Names the cell assigns, fits, and passes to a fit call (empty if it does not parse)."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return CellAnalysis()
    return _analyse_body(tree.body)


def _analyse_body(body: list[ast.stmt]) -> CellAnalysis:
    found = CellAnalysis()
    for index, statement in enumerate(body):
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
    for node in _nodes(statement, found):
        if isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign | ast.NamedExpr):
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
            owner = owner.target if isinstance(owner, ast.NamedExpr) else owner
            fitted += [owner.id] if isinstance(owner, ast.Name) else []
            for role, argument in zip(("X", "y"), node.args, strict=False):
                if isinstance(argument, ast.Name):
                    found.inputs.setdefault(argument.id, role)
    found.assigned += assigned
    found.fitted += fitted
    return list(dict.fromkeys([*fitted, *assigned])) if fits else []


def _nodes(node: ast.AST, found: CellAnalysis) -> Iterator[ast.AST]:
    """Every node under `node`, as `ast.walk` gives them, but with the code of a timing magic
    read in place of its call, and a nested run's block read into `found.nested` instead."""
    yield node
    if isinstance(node, ast.With | ast.AsyncWith) and (nested := _nested_run(node)):
        found.nested.append(nested)
        for item in node.items:
            yield from _nodes(item.context_expr, found)
        return
    magic_code = _timing_magic_code(node)
    if magic_code is not None:
        for statement in magic_code:
            yield from _nodes(statement, found)
    for child in ast.iter_child_nodes(node):
        yield from _nodes(child, found)


def _nested_run(node: ast.With | ast.AsyncWith) -> NestedRun | None:
    """The nested run a `with` statement starts (`with mlops.run("inner") as inner:`)."""
    for item in node.items:
        call = item.context_expr
        if not isinstance(call, ast.Call):
            continue
        name = call.func.attr if isinstance(call.func, ast.Attribute) else None
        if name != "run" and not (isinstance(call.func, ast.Name) and call.func.id == "run"):
            continue
        first = call.args[0] if call.args else None
        literal = first.value if isinstance(first, ast.Constant) else None
        target = item.optional_vars
        return NestedRun(
            experiment=literal if isinstance(literal, str) else None,
            target=target.id if isinstance(target, ast.Name) else None,
            analysis=_analyse_body(node.body),
        )
    return None


def _timing_magic_code(node: ast.AST) -> list[ast.stmt] | None:
    """The statements `%time CODE`, `%timeit -n1 CODE` or `%%time` runs, as IPython writes
    them: `get_ipython().run_line_magic('time', 'CODE')`; None for any other node."""
    if not (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in _MAGIC_CALLS
    ):
        return None
    texts = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
    if len(texts) < 2 or len(texts) != len(node.args) or texts[0] not in TIMING_MAGICS:
        return None
    if node.func.attr == "run_cell_magic":
        return _parsed(texts[-1]) or []
    words = texts[1].split()
    for start in range(len(words) + 1):  # options first (`-n1 -r 3`), then the statement
        statements = _parsed(" ".join(words[start:]))
        if statements is not None and (start == len(words) or not words[start].startswith("-")):
            return statements
    return []


def _parsed(code: str) -> list[ast.stmt] | None:
    try:
        return ast.parse(code).body
    except SyntaxError:
        return None


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
