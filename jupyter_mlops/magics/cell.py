"""Running a cell's code inside a cell magic the way IPython would run the cell itself."""

from __future__ import annotations

import ast
import itertools
import linecache
from typing import Any

_numbers = itertools.count(1)


def execute(shell: Any, cell: str) -> Any:
    """Run `cell` in the user namespace; return the value of a final expression, if any.

    Magics inside the cell work (the cell is transformed first); an exception propagates
    unchanged; the source is registered with linecache, so tracebacks show the lines.
    """
    __tracebackhide__ = True
    code = shell.transform_cell(cell)
    filename = f"<mlops-cell-{next(_numbers)}>"
    linecache.cache[filename] = (len(code), None, code.splitlines(keepends=True), filename)
    tree = ast.parse(code, filename=filename)
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    namespace = shell.user_ns
    exec(compile(tree, filename, "exec"), namespace)
    if last is None:
        return None
    expression = ast.Expression(body=last.value)
    return eval(compile(expression, filename, "eval"), namespace)
