"""Running a cell's code inside a cell magic the way IPython would run the cell itself."""

from __future__ import annotations

import ast
import itertools
import linecache
import time
from typing import Any

_numbers = itertools.count(1)


def execute(shell: Any, cell: str) -> tuple[Any, list[float]]:
    """Run `cell` in the user namespace, one top-level statement at a time.

    Returns the value of a final expression (or None) and the seconds each top-level
    statement took. Magics inside the cell work (it is transformed first); an exception
    propagates unchanged; the source is registered with linecache for tracebacks.
    """
    __tracebackhide__ = True
    code = shell.transform_cell(cell)
    filename = f"<mlops-cell-{next(_numbers)}>"
    linecache.cache[filename] = (len(code), None, code.splitlines(keepends=True), filename)
    tree = ast.parse(code, filename=filename)
    namespace = shell.user_ns
    durations: list[float] = []
    value = None
    for index, statement in enumerate(tree.body):
        started = time.perf_counter()
        if index == len(tree.body) - 1 and isinstance(statement, ast.Expr):
            expression = ast.Expression(body=statement.value)
            value = eval(compile(expression, filename, "eval"), namespace)
        else:
            module = ast.Module(body=[statement], type_ignores=[])
            exec(compile(module, filename, "exec"), namespace)  # the user's own cell
        durations.append(time.perf_counter() - started)
    return value, durations
