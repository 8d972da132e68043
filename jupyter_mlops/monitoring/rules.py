"""Alert rules: a small expression language over a check's numbers, parsed, never `eval`ed.

    drift.share > 0.3 or auc < 0.85
    psi.age >= 0.2 and not drift.prediction
    estimated.accuracy < 0.9 and rows >= 1000

Names are the numbers a check produces (see `KNOWN`, and `<test>.<feature>` such
as `psi.age`, `ks.income`, `missing.age`, `infinite.age`); a feature name with other characters is
written in backquotes (`psi.`monthly charges``). Operators: < <= > >= == !=, and,
or, not, parentheses, unary minus. A name a check did not produce (no labels yet,
say, or a feature the checked version does not have) is unknown, and so is any
comparison with it: a rule that comes out unknown is put in the state `unknown`, never
left firing, and the check says why (see `alerts.evaluate` and `unknowns`).
`check_numbers` refuses, when a rule is added, numbers that would be infinity and the
flag `drift.prediction` (0 or 1) compared as if it were a statistic.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from jupyter_mlops.errors import Command, InvalidArgumentError, did_you_mean
from jupyter_mlops.monitoring.choice import TESTS
from jupyter_mlops.registry.outputs import FITTED, PREDICTION, TARGET

KNOWN = (
    "drift.share",
    "drift.count",
    "drift.prediction",
    "drift.multivariate",
    "rows",
    "accuracy",
    "f1",
    "f1_macro",
    "f1_weighted",
    "auc",
    "log_loss",
    "mae",
    "rmse",
    "estimated.accuracy",
    "estimated.f1",
    "estimated.auc",
)
PER_FEATURE = ("psi", "js", "ks", "wasserstein", "chi2", "missing", "infinite", "unseen")
# beside a kind's drift tests (`choice.TESTS`): the share missing, of numbers infinite, and of
# text never seen
OWN_ROWS = {
    "numeric": ("missing", "infinite"),
    "datetime": ("missing",),
    "categorical": ("missing", "unseen"),
}
MAX_DEPTH = 50
_TOKEN = re.compile(
    r"\s*(?:(?P<number>[0-9]+(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?|\.[0-9]+(?:[eE][-+]?[0-9]+)?)"
    r"|(?P<op><=|>=|==|!=|<|>|\(|\)|-)"
    r"|(?P<name>[A-Za-z_][\w]*(?:\.(?:[A-Za-z_][\w]*|`[^`]+`))*))"
)
_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}
Value = float | bool | None


@dataclass(frozen=True)
class Node:
    kind: str  # number, name, neg, not, and, or, compare
    value: Any = None
    children: tuple[Node, ...] = ()


class Rule:
    """A parsed alert expression; `evaluate(values)` is True, False or None (unknown)."""

    def __init__(self, text: str) -> None:
        self.text = text.strip()
        self._tokens = _tokenize(self.text)
        self._position, self._depth = 0, 0
        self.tree = self._or()
        if self._position != len(self._tokens):
            self._fail(f"unexpected {self._tokens[self._position][1]!r}")

    @property
    def names(self) -> list[str]:
        found: list[str] = []

        def walk(node: Node) -> None:
            if node.kind == "name" and node.value not in found:
                found.append(node.value)
            for child in node.children:
                walk(child)

        walk(self.tree)
        return found

    def evaluate(self, values: Mapping[str, float]) -> Value:
        return _evaluate(self.tree, values)

    # recursive descent, lowest precedence first

    def _peek(self) -> str | None:
        if self._position < len(self._tokens):
            kind, text = self._tokens[self._position]
            return text if kind in ("op", "name") else None
        return None

    def _take(self) -> tuple[str, str]:
        if self._position >= len(self._tokens):
            self._fail("the expression ends too early")
        token = self._tokens[self._position]
        self._position += 1
        return token

    # `a or b or c` is one node of three terms, not three nested nodes, so a rule written
    # over a wide table's features (hundreds of terms) is as shallow as a short one

    def _or(self) -> Node:
        terms = [self._and()]
        while self._peek() == "or":
            self._take()
            terms.append(self._and())
        return terms[0] if len(terms) == 1 else Node("or", children=tuple(terms))

    def _and(self) -> Node:
        terms = [self._not()]
        while self._peek() == "and":
            self._take()
            terms.append(self._not())
        return terms[0] if len(terms) == 1 else Node("and", children=tuple(terms))

    def _not(self) -> Node:
        if self._peek() == "not":
            self._take()
            with self._deeper():
                return Node("not", children=(self._not(),))
        return self._compare()

    @contextmanager
    def _deeper(self) -> Iterator[None]:
        """One more level of parentheses, `not` or minus; past MAX_DEPTH the rule is refused
        (checks evaluate rules by recursion, and Python's stack is finite)."""
        self._depth += 1
        if self._depth > MAX_DEPTH:
            self._fail(f"it nests deeper than {MAX_DEPTH} levels (parentheses, not, minus)")
        try:
            yield
        finally:
            self._depth -= 1

    def _compare(self) -> Node:
        node = self._atom()
        if self._peek() in _COMPARE:
            operator = self._take()[1]
            node = Node("compare", operator, (node, self._atom()))
        return node

    def _atom(self) -> Node:
        kind, text = self._take()
        if kind == "number":
            return Node("number", float(text))
        if text == "-":
            with self._deeper():
                return Node("neg", children=(self._atom(),))
        if text == "(":
            with self._deeper():
                node = self._or()
            if self._position >= len(self._tokens) or self._take()[1] != ")":
                self._fail("a '(' is not closed")
            return node
        if kind == "name" and text not in ("and", "or", "not"):
            return Node("name", text.replace("`", ""))
        self._fail(f"unexpected {text!r}")
        raise AssertionError  # unreachable: _fail raises

    def _fail(self, problem: str) -> None:
        raise InvalidArgumentError(
            f"cannot read the alert rule {self.text!r}: {problem}; "
            "write comparisons joined by and/or, e.g. 'drift.share > 0.3 or auc < 0.85'."
        )


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            _refuse_other_digits(text, text[position:].strip()[0])
            raise InvalidArgumentError(
                f"cannot read the alert rule {text!r} at {text[position:].strip()[:12]!r}; "
                "use names, numbers, comparisons (< <= > >= == !=), and, or, not, parentheses."
            )
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        position = match.end()
    if not tokens:
        raise InvalidArgumentError("the alert rule is empty; write one, e.g. 'drift.share > 0.3'.")
    return tokens


def _refuse_other_digits(text: str, first: str) -> None:
    """A digit of another script (`١`, `５`) is no number a rule reads, whatever it means."""
    if first.isdigit() or first.isdecimal():
        raise InvalidArgumentError(
            f"alert rule {text!r} holds {first!r}, a digit other than 0-9; write its numbers "
            "with the digits 0-9."
        )


def _evaluate(node: Node, values: Mapping[str, float]) -> Value:
    if node.kind == "number":
        return float(node.value)
    if node.kind == "name":
        value = values.get(node.value)
        return None if value is None else float(value)
    if node.kind == "neg":
        inner = _evaluate(node.children[0], values)
        return None if inner is None else -float(inner)
    if node.kind == "not":
        inner = _evaluate(node.children[0], values)
        return None if inner is None else not inner
    if node.kind == "compare":
        left, right = (_evaluate(child, values) for child in node.children)
        if left is None or right is None:
            return None
        return _COMPARE[node.value](float(left), float(right))
    terms = [_evaluate(child, values) for child in node.children]
    decisive = node.kind == "or"  # True decides an `or`, False an `and`
    if any(term is not None and bool(term) == decisive for term in terms):
        return decisive
    return None if any(term is None for term in terms) else not decisive


# metrics a check cannot produce for a model of a task: (task, binary) -> names
NOT_FOR = {
    ("regressor", False): (
        "accuracy", "f1", "f1_macro", "f1_weighted", "auc", "log_loss",
        "estimated.accuracy", "estimated.f1", "estimated.auc",
    ),
    ("classifier", True): ("mae", "rmse", "f1_macro", "f1_weighted"),
    ("classifier", False): (
        "mae", "rmse", "auc", "log_loss",
        "estimated.accuracy", "estimated.f1", "estimated.auc",
    ),
}  # fmt: skip


def producible(
    entries: Iterable[Mapping[str, Any]], *, task: str | None = None, binary: bool = False
) -> set[str]:
    """The names a check of a version with this profile can produce: `KNOWN` less the
    metrics of another task (`task`: the version's, None when it was not recorded), and per
    feature the tests that apply to its kind, `missing` and (text) `unseen`, never the true
    value's."""
    found = set(KNOWN) - set(NOT_FOR.get((task or "", binary), ()))
    kinds = {str(e["feature"]): str(e["kind"]) for e in entries}
    kinds.pop(TARGET, None)
    kinds.pop(FITTED, None)
    kinds.setdefault(PREDICTION, "")  # held-out data added later gives a version its output
    for feature, kind in kinds.items():
        name = "prediction" if feature == PREDICTION else feature
        tests = (*TESTS[kind], *OWN_ROWS[kind]) if kind in OWN_ROWS else PER_FEATURE
        found |= {f"{test}.{name}" for test in tests}
    return found


def check_names(
    rule: Rule,
    entries: Iterable[Mapping[str, Any]],
    *,
    task: str | None = None,
    binary: bool = False,
) -> None:
    """Refuse a rule naming something no check of the version with the profile `entries`
    (and the `task`, see `producible`) produces (with a did-you-mean among those that are)."""
    allowed = producible(entries, task=task, binary=binary)
    for name in rule.names:
        if name not in allowed:
            which = "no check of this model produces" if name in KNOWN else "no check produces"
            raise InvalidArgumentError(
                f"alert rule {rule.text!r} names {name!r}, which {which}"
                f"{did_you_mean(name, allowed)}; use {_readable(allowed)}, ... (see `",
                Command("alert add", "--help", python="help(Monitor.add_alert)"),
                "`).",
            )


def _readable(allowed: set[str]) -> str:
    """Examples of the names a model's checks produce: the drift share, its kind's metrics
    (a regressor's `mae`, a classifier's `auc`), a test of a feature."""
    metrics = [name for name in KNOWN if name in allowed and not name.startswith(("drift", "rows"))]
    firsts = [name for name in metrics if not name.startswith("estimated.")][:3]
    tests = [test for test in ("psi", "missing") if any(n.startswith(f"{test}.") for n in allowed)]
    return ", ".join(["drift.share", *firsts, *(f"{test}.<feature>" for test in tests[:1])])


FLAGS = ("drift.prediction",)  # 1 when the check found the predictions drifted, else 0
NOT_FINITE = ("nan", "inf", "infinity")  # what float() would read as numbers, not finite


def check_numbers(rule: Rule) -> None:
    """Refuse what a check could never read as meant: a number too large to be finite
    (`1e999` is infinity), and a 0/1 flag (`FLAGS`) compared as if it were a statistic;
    a flag is read alone (`drift.prediction`, `not drift.prediction`) or as `== 1` or
    `== 0`."""
    previous = ("", "")
    for kind, text in rule._tokens:
        sign = "-" if previous == ("op", "-") else ""
        if kind == "number" and not math.isfinite(float(text)):
            raise InvalidArgumentError(
                f"alert rule {rule.text!r} holds the number {sign}{text}, which is past the "
                f"largest a check can read (about 1.8e308) and would be {sign}infinity; write "
                "a finite one."
            )
        if kind == "name" and text.lower() in NOT_FINITE:
            raise InvalidArgumentError(
                f"alert rule {rule.text!r} holds {sign}{text}, a number that is not finite, "
                "which no comparison of a check can hold for; write a finite one, e.g. 0.3."
            )
        previous = (kind, text)
    for node in _compared(rule.tree):
        flags = [c.value for c in node.children if c.kind == "name" and c.value in FLAGS]
        others = [c for c in node.children if not (c.kind == "name" and c.value in FLAGS)]
        as_flag = node.value == "==" and [(o.kind, o.value) for o in others] in (
            [("number", 0.0)],
            [("number", 1.0)],
        )
        if flags and not as_flag:
            raise InvalidArgumentError(
                f"alert rule {rule.text!r} compares {flags[0]}, a flag (1: the predictions "
                f"drifted, 0: not), as if it were a statistic; read it alone ('{flags[0]}', "
                f"'not {flags[0]}') or as '== 1' or '== 0', or put a threshold on a statistic "
                "of the predictions such as 'psi.prediction > 0.1'."
            )


def _compared(node: Node) -> Iterator[Node]:
    """Every comparison in the tree."""
    if node.kind == "compare":
        yield node
    for child in node.children:
        yield from _compared(child)
