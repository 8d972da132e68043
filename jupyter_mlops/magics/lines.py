"""A `%mlops` line split into words as a shell splits it, and a shared registry's URL in a
`connect` line read as PostgreSQL reads it where the two differ.

A connection string quotes a value in single quotes with \\' and \\\\ inside
(`password='it\\'s "x"'`), which a shell cannot split: its single quotes take no escape. So a
`connect` line a shell cannot split is read as PostgreSQL reads a URL: from `ducklake:` up to
`--data-path`, quotes and backslashes kept as written. And a `keyword=value` word of a line a
shell did split, whose value the shell's quotes or backslashes held together (`password="it's
a"`), is quoted again as a connection string quotes it, so the value is the one the line meant.
"""

from __future__ import annotations

import re
import shlex

from IPython.core.error import UsageError

from jupyter_mlops.config import SHARED_SCHEME

__all__ = ["as_written", "split_line"]

# a `connect` line whose location is a shared registry's URL
_CONNECT = re.compile(rf"\s*connect\s+(?={re.escape(SHARED_SCHEME)})")
# the next word of a connection string: values quoted ('...' with \' and \\ in them) or not
_WORD = re.compile(r"\s*((?:'(?:[^'\\]|\\.)*'|\\.|[^\s'\\])+)", re.DOTALL)
# a `keyword=value` word of a URL, its value quoted as a connection string quotes one
_PAIR = re.compile(r"([A-Za-z_]+=)(.*)", re.DOTALL)
_QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'", re.DOTALL)


def split_line(line: str) -> list[str]:
    """The words of `line`: as a shell splits it; a `connect` line a shell cannot split, its
    URL as one word as written. A line neither splits is a UsageError saying what to quote."""
    try:
        return shlex.split(line)
    except ValueError as exc:
        words = _connect_words(line)
        if words is not None:
            return words
        fix = (
            "write the URL unquoted, as PostgreSQL reads it (password='...' with \\' for a "
            'quote in it), or in double quotes with \\" for a double quote in it'
            if line.split(maxsplit=1)[:1] == ["connect"]
            else "check the quotes"
        )
        raise UsageError(f"%mlops: cannot split the line ({exc}); {fix}.") from None


def _connect_words(line: str) -> list[str] | None:
    """`connect`, the URL as written (up to a `--data-path` outside its quotes, or the end:
    a quote it never closes is the URL's to refuse), and the words after it as a shell
    splits them; None when `line` is no `connect` of a shared registry's URL."""
    connect = _CONNECT.match(line)
    if connect is None:
        return None
    position = end = connect.end()
    while (word := _WORD.match(line, position)) is not None:
        if re.fullmatch(r"--data-path(=.*)?", word[1], re.DOTALL):
            try:
                return ["connect", line[connect.end() : end], *shlex.split(line[word.start(1) :])]
            except ValueError:
                return None
        position = end = word.end()
    return ["connect", line[connect.end() :].strip()]


def as_written(word: str) -> str:
    """A word of `%mlops connect`'s URL as PostgreSQL reads it: a `keyword=value` whose value
    holds a space, a quote or a backslash that the line's quotes or backslashes kept (the
    split took them away) quoted again as a connection string quotes it; a value already so
    quoted, and a whole URL, as they are."""
    found = _PAIR.fullmatch(word)
    if found is None or word.startswith(SHARED_SCHEME):
        return word
    key, value = found.groups()
    if _QUOTED.fullmatch(value) or not re.search(r"[\s'\\]", value):
        return word
    escaped = value.replace("\\", "\\\\").replace("'", "\\'")
    return f"{key}'{escaped}'"
