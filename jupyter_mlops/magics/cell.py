"""Running a cell's code inside a cell magic the way IPython would run the cell itself.

A statement with a top-level `await` (which IPython allows in a cell) is compiled as
IPython compiles it and its coroutine is run to the end before the next statement: by the
shell's loop runner, or, where an event loop is already running in this thread (a
Jupyter kernel runs cells inside its own), on a loop of its own in a helper thread that
sees the same context (the active run, for one).
"""

from __future__ import annotations

import ast
import asyncio
import contextvars
import inspect
import itertools
import linecache
import threading
import time
from collections.abc import Coroutine
from typing import Any

from jupyter_mlops.registry.capture import remember_typed

_numbers = itertools.count(1)
_FLAGS = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT


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
    remember_typed(filename, cell)  # a run started in the cell records it as typed
    tree = ast.parse(code, filename=filename)
    namespace = shell.user_ns
    durations: list[float] = []
    value = None
    for index, statement in enumerate(tree.body):
        started = time.perf_counter()
        if index == len(tree.body) - 1 and isinstance(statement, ast.Expr):
            expression = ast.Expression(body=statement.value)
            compiled = compile(expression, filename, "eval", flags=_FLAGS)
        else:
            module = ast.Module(body=[statement], type_ignores=[])
            compiled = compile(module, filename, "exec", flags=_FLAGS)
        value = eval(compiled, namespace)  # the user's own cell
        if compiled.co_flags & inspect.CO_COROUTINE:
            value = _run_to_end(shell, value)
        durations.append(time.perf_counter() - started)
    return value, durations


def _run_to_end(shell: Any, coroutine: Coroutine[Any, Any, Any]) -> Any:
    """The coroutine's result, as a cell with a top-level `await` gets it."""
    __tracebackhide__ = True
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return shell.loop_runner(coroutine)
    outcome: dict[str, Any] = {}
    context = contextvars.copy_context()

    def run() -> None:
        try:
            outcome["value"] = context.run(asyncio.run, coroutine)
        except BaseException as error:  # re-raised in the cell's own thread
            outcome["error"] = error

    helper = threading.Thread(target=run, name="mlops-await")
    helper.start()
    helper.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")
