"""Reading the objects a `%mlops` line names from the notebook's namespace."""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from typing import Any

from IPython.core.error import UsageError

from jupyter_mlops.errors import did_you_mean


def lookup(namespace: Mapping[str, Any], name: str) -> Any:
    """The value of variable `name`, or a UsageError with a did-you-mean."""
    if name in namespace:
        return namespace[name]
    if not name.isidentifier():
        start = re.match(r"[^\W\d]\w*", name)
        example = f"{start[0] if start else 'rows'}2"
        raise UsageError(
            f"{name!r} is not a variable name; pass a variable name, not an expression "
            f"(assign it first: {example} = {name})."
        )
    visible = [key for key in namespace if not key.startswith("_")]
    raise UsageError(
        f"name {name!r} is not defined in the notebook{did_you_mean(name, visible)}; "
        "run the cell that creates it first."
    )


def metric_values(namespace: Mapping[str, Any], items: list[str]) -> dict[str, Any]:
    """`auc=0.91` or `auc=val_auc` (a variable holding a number) as {'auc': 0.91}; a metric
    given twice is refused."""
    metrics: dict[str, Any] = {}
    given: dict[str, str] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key or not raw:
            raise UsageError(f"metric {item!r} is not name=number; write e.g. auc=0.91.")
        if key in given:
            raise UsageError(
                f"metric {key!r} is given twice ({given[key]} and {item}); give it once."
            )
        given[key] = item
        try:
            metrics[key] = float(raw)
        except ValueError:
            if not raw.isidentifier() or raw not in namespace:
                raise UsageError(
                    f"metric {item!r}: {raw!r} is neither a number nor a variable in the notebook; "
                    "write e.g. auc=0.91."
                ) from None
            metrics[key] = namespace[raw]
    return metrics


def data_names(namespace: Mapping[str, Any], names: list[str] | None, *, option: str) -> list[Any]:
    """The values of `X [y]` variable names (at most two)."""
    values = [lookup(namespace, name) for name in names or []]
    if len(values) > 2:
        raise UsageError(f"{option} takes at most two names: the features X and the target y.")
    return values


def as_typed(message: str, line: str) -> str:
    """`message` naming the words of `line` as they were typed, where splitting the line
    took quotes out of them (`X[['a','b']]`, not `X[[a,b]]`)."""
    lexer = shlex.shlex(line, posix=False)
    lexer.whitespace_split = True
    try:
        typed, words = list(lexer), shlex.split(line)
    except ValueError:
        return message
    if len(typed) != len(words):
        return message
    for word, raw in zip(words, typed, strict=True):
        if word != raw and not (raw[0] == raw[-1] and raw[0] in "'\""):
            message = message.replace(repr(word), repr(raw)).replace(word, raw)
    return message
