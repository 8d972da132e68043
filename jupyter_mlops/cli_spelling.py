"""The command line's spelling of what the core's messages name.

The core speaks to every face at once, so its messages name the Python keyword
(`time_column=`) or the `%mlops` command that fixes a problem. A shell user types neither:
`jupyter-mlops` rewrites its messages here, and only here, to its own options and
commands (`--time-column`, `jupyter-mlops promote ...`, `--home DIR`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

# A Python keyword the core may name, and the option the command line has for it.
OPTIONS = {
    "allow_failed": "--allow-failed",
    "allow_pickle": "--allow-pickle",
    "every": "--every",
    "model": "--run-model",
    "time_column": "--time-column",
    "trust": "--trust",
    "window": "--window",
}
_KEYWORDS = "|".join(OPTIONS)
_REWRITES: list[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]] = [
    # "--allow-failed (allow_failed=True)": the option alone
    (re.compile(rf"(--[a-z-]+) \((?:{_KEYWORDS})=[^()]*\)"), r"\1"),
    # "pass allow_pickle=True (--allow-pickle)": the option alone
    (re.compile(rf"\b({_KEYWORDS})=\S*? \((--[a-z-]+)\)"), r"\2"),
    # "(trust=['x'] in Python)", "(`Tracker.register(..., allow_failed=True)`)": dropped
    (re.compile(r" \((?:[a-z_]+=[^()]*?|`[^`]*\([^`]*\)`) in Python\)"), ""),
    (re.compile(r" \(`[A-Za-z_.]+\([^`]*\)`\)"), ""),
    (re.compile(r"\b(allow_failed|allow_pickle)=True\b"), lambda m: OPTIONS[m[1]]),
    (re.compile(r"\btrust=\[\s*'([^']*)'\s*\]"), r"--trust \1"),
    (re.compile(r"\bwindow='([^']*)'"), r"--window '\1'"),
    (re.compile(rf"\b({_KEYWORDS})=(?=[\s.,;)]|$)"), lambda m: OPTIONS[m[1]]),
    (re.compile(rf"\b({_KEYWORDS})=(\S)"), lambda m: f"{OPTIONS[m[1]]} {m[2]}"),
    # where the registry is: a directory the command line is given with --home
    (re.compile(r"Registry\(path\) \(or %mlops connect\)"), "--home DIR"),
    (re.compile(r"MLOPS_HOME or %mlops connect"), "MLOPS_HOME or --home DIR"),
    # current data: the command line reads it from files, and logs it only through a server
    (re.compile(r"\(--current df\)"), "(--current week.parquet)"),
    (re.compile(r"\(deploy it, or Monitor\.log_predictions\)"), "(serve it: jupyter-mlops serve)"),
    (
        re.compile(r"deploy it or call Monitor\.log_predictions, or pass current data"),
        "serve it (jupyter-mlops serve) so its predictions are logged",
    ),
    (
        re.compile(r"`%mlops reference (\S+) (\S+) X_val y_val`"),
        r"`jupyter-mlops reference \1 \2 HELD_OUT.parquet --target COLUMN`",
    ),
]
_MAGIC = re.compile(r"(?<!%)%mlops ([a-z][a-z-]*)")


def for_the_shell(message: str, commands: Iterable[str]) -> str:
    """`message` with each Python keyword and `%mlops` command the command line spells
    otherwise in its own spelling; `commands` are the command line's subcommands."""
    for pattern, replacement in _REWRITES:
        message = pattern.sub(replacement, message)
    known = set(commands)
    return _MAGIC.sub(lambda m: f"jupyter-mlops {m[1]}" if m[1] in known else m[0], message)
