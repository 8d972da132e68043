"""A `--where` condition: one comparison of a run's column with a literal.

A condition is a column, one of `< <= > >= == !=`, and a number, a quoted text or
true/false. It is read by a regular expression, never evaluated as Python. A value of
another kind than the literal (text where a number is asked) does not match.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from jupyter_mlops.errors import InvalidArgumentError

OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "<=": operator.le,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    ">": operator.gt,
}
_CONDITION = re.compile(r"\s*(?P<column>.+?)\s*(?P<op><=|>=|==|!=|<|>)\s*(?P<value>.*?)\s*")
_NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")
_TEXT = re.compile(r"'(?P<single>[^']*)'|\"(?P<double>[^\"]*)\"")
EXAMPLE = 'write COLUMN OP VALUE, e.g. "m.alpha < 1" or "m.solver == \'lbfgs\'"'


@dataclass(frozen=True)
class Condition:
    """One comparison of a column with a literal, as `--where` gives it."""

    text: str
    column: str
    op: str
    value: float | str | bool

    def matches(self, columns: dict[str, Any]) -> bool:
        found = columns.get(self.column)
        if found is None or kind_of(found) != kind_of(self.value):
            return False
        return bool(OPERATORS[self.op](found, self.value))


def parse_condition(text: str) -> Condition:
    """`m.alpha < 1` as a Condition, or a InvalidArgumentError saying what is wrong with it."""
    parsed = _CONDITION.fullmatch(text) if isinstance(text, str) else None
    if parsed is None:
        raise InvalidArgumentError(f"--where {text!r} compares nothing; {EXAMPLE}.")
    raw, op = parsed["value"], parsed["op"]
    value: float | str | bool
    if _NUMBER.fullmatch(raw):
        value = float(raw)
    elif text_value := _TEXT.fullmatch(raw):
        value = text_value["single"] if text_value["single"] is not None else text_value["double"]
    elif raw.lower() in ("true", "false"):
        value = raw.lower() == "true"
        if op not in ("==", "!="):
            raise InvalidArgumentError(
                f"--where {text!r} orders true and false; use == or != with them."
            )
    else:
        raise InvalidArgumentError(
            f"--where {text!r}: {raw!r} is not a number, a quoted text or true/false; {EXAMPLE}."
        )
    return Condition(text, parsed["column"], op, value)


def kind_of(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return "text" if isinstance(value, str) else "other"
