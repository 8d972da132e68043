"""Names and references: `churn`, `churn@champion`, `churn:3` (or `churn@3`).

Also the smaller names and texts a user gives with them: metric and tag keys, tag values,
reasons and descriptions. Every check here refuses in one sentence naming the value, so odd
input (a newline, a NUL, a number where text belongs) never reaches the store. A reason
is what the audit trail shows a later reader, so it must read as it is stored: no lone
surrogate (what Python makes of bytes that are not UTF-8, which DuckDB cannot store), no
bidirectional control that shows its characters in another order, at least one visible
character, and at most TEXT_LENGTH characters (every later write copies the registry).
A tag's value is held to the same, on one line (it is shown as `key=value` among others),
and to TAG_LENGTH characters: a label, where a description holds a note.
"""

from __future__ import annotations

import numbers
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jupyter_mlops.errors import InvalidArgumentError

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}")  # whole names only: fullmatch
_NUMBER = re.compile(r"[0-9]{1,9}")
# a version number written another way: 1.0, 1.5, 1e3, -1, 0x1f (refused as versions)
_NUMBER_LIKE = re.compile(r"[+-]?\.?[0-9][0-9A-Za-z_.+-]*")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")  # line breaks included
_CONTROL_IN_TEXT = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # newline and tab allowed
_SURROGATE = re.compile("[\ud800-\udfff]")  # a lone half of a UTF-16 pair: no text
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")  # embeddings, overrides, isolates
# letters and symbols that are drawn as nothing: the Hangul fillers and the blank braille cell
_BLANKS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
KEY_LENGTH = 250
NAME_LENGTH = 128  # a model's name or an alias
USER_LENGTH = 128  # who made a change, as MLOPS_USER names them
VERSION_LIMIT = 999_999_999  # nine digits, as a version written as text
TEXT_LENGTH = 4_000  # a reason or a description
TAG_LENGTH = 1_000  # a tag's value
RESERVED_ALIASES = {"latest"}


@dataclass(frozen=True)
class ModelRef:
    """A model, and optionally which of its versions: by number or through an alias."""

    model: str
    version: int | None = None
    alias: str | None = None

    def __str__(self) -> str:
        if self.alias:
            return f"{self.model}@{self.alias}"
        if self.version is not None:
            return f"{self.model}:{self.version}"
        return self.model


def check_name(name: str, *, what: str = "model name") -> str:
    if isinstance(name, str) and len(name) > NAME_LENGTH and _NAME.fullmatch(name[:NAME_LENGTH]):
        raise InvalidArgumentError(
            f"{what} starting {name[:40]!r} is too long ({len(name)} characters); use at most "
            f"{NAME_LENGTH}."
        )
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise InvalidArgumentError(
            f"{what} {name!r} is not valid; use ASCII letters (a-z, A-Z), digits, '_', '-' "
            "and '.', starting with a letter or digit (at most 128 characters)."
        )
    return name


def check_alias(alias: str) -> str:
    check_name(alias, what="alias")
    if _looks_numeric(alias) or alias in RESERVED_ALIASES:
        raise InvalidArgumentError(
            f"alias {alias!r} would be read as a version; choose a name such as 'champion'."
        )
    return alias


def check_key(key: object, *, what: str) -> str:
    """A metric, tag or evidence key: a non-empty str of at most KEY_LENGTH characters
    without control characters (a newline would break every table it is shown in, an escape
    would reach the terminal) nor bidirectional ones, with a visible character."""
    if not isinstance(key, str):
        problem: str | None = f"is {kind_of(key)}, not text"
    else:
        problem = "is empty" if not key else _line_problem(key, limit=KEY_LENGTH)
        if problem is None:
            return key
    raise InvalidArgumentError(
        f"{what} key {_shown(key)} {problem}; name it with a short line of printable text."
    )


def check_tags(tags: Mapping[Any, Any]) -> dict[str, str]:
    """Tags as stored: each key a `check_key`, each value text (a number as its digits) that
    `_text_problem` finds fine on one line, of at most TAG_LENGTH characters."""
    checked = {}
    for key, value in tags.items():
        name, text = check_key(key, what="tag"), str(value)
        problem = _text_problem(text, limit=TAG_LENGTH, one_line=True)
        if problem is not None:
            raise InvalidArgumentError(f"tag {name}={_shown(text)} {problem}.")
        checked[name] = text
    return checked


def check_user(user: str, *, setting: str = "MLOPS_USER") -> str:
    """Who a change is recorded as, from `setting`: a name every listing shows on one line
    as stored, so no control character (a newline would forge a line of the history, an
    escape would reach the terminal), no lone surrogate, no bidirectional control, at least
    one visible character, at most USER_LENGTH characters."""
    problem = _line_problem(user, limit=USER_LENGTH)
    if problem is not None:
        raise InvalidArgumentError(
            f"{setting}={_shown(user)} {problem}; set it to the name the audit trail should "
            f"show (e.g. {setting}=ana), or unset it to record the operating system's user."
        )
    return user


def check_text(text: object, *, what: str) -> str:
    """A reason or a description: empty, or text a reader sees as it is stored: valid
    Unicode, no control character but newline and tab, no bidirectional control, at least
    one visible character, at most TEXT_LENGTH characters."""
    problem = _text_problem(text)
    if problem is None and isinstance(text, str):
        return text
    raise InvalidArgumentError(f"{what} {_shown(text)} {problem}.")


def _text_problem(text: object, *, limit: int = TEXT_LENGTH, one_line: bool = False) -> str | None:
    """Why `text` is no reason or description (no tag value, `one_line`), with the fix;
    None when it is one."""
    if not isinstance(text, str):
        return f"is {kind_of(text)}, not text; give plain text, e.g. 'first model'"
    if len(text) > limit:
        return (
            f"is {len(text):,} characters long; keep it to {limit:,} characters and "
            f"put longer notes in {'the description' if one_line else 'a file the text names'}"
        )
    if _SURROGATE.search(text):
        return (
            "is not valid Unicode (bytes that are not UTF-8, or a lone surrogate); "
            "give it as UTF-8 text"
        )
    if one_line and _CONTROL.search(text):
        return (
            "contains a control character (a newline, a tab, an escape or a NUL); "
            "give one line of plain text, e.g. 'reviewed by ana'"
        )
    if _CONTROL_IN_TEXT.search(text):
        return (
            "contains a control character (a NUL, a carriage return or an escape); "
            "give plain text, e.g. 'first model'"
        )
    if _BIDI.search(text):
        return (
            "contains a bidirectional control character (U+202A-U+202E, U+2066-U+2069), "
            "which shows its text in another order than stored; give it without one"
        )
    if text and not any(_visible(character) for character in text):
        return "has no visible character; say it in words"
    return None


def _line_problem(text: str, *, limit: int) -> str | None:
    """Why `text` is no short line of plain text (a key, a user name); None when it is one."""
    if _SURROGATE.search(text):
        return "is not valid Unicode (bytes that are not UTF-8, or a lone surrogate)"
    if len(text) > limit:
        return f"is {len(text):,} characters long (at most {limit})"
    if _CONTROL.search(text):
        return "contains a control character (a newline, a tab, an escape or a NUL)"
    if _BIDI.search(text):
        return "contains a bidirectional control character"
    if not any(_visible(character) for character in text):
        return "has no visible character"
    return None


def _visible(character: str) -> bool:
    """Not a space, a format character (U+200B), a mark nor a blank (U+3164), which show
    nothing alone."""
    return (
        not character.isspace()
        and character not in _BLANKS
        and unicodedata.category(character)[0] not in "CZM"
    )


def kind_of(value: object) -> str:
    """`None`, `an int`, `a list`: what a value is, as a sentence names it."""
    if value is None:
        return "None"
    name = type(value).__name__
    return f"{'an' if name[:1].lower() in 'aeiou' else 'a'} {name}"


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:37]}..."


def _looks_numeric(text: str) -> bool:
    """Whether `text` reads as a number (`1.0`, `1.5`, `1e3`, `-1`, `nan`, `inf`), whole or
    not (pandas, JSON and a spreadsheet read `nan` and `inf` as numbers too)."""
    if text.lower().lstrip("+-") in ("nan", "inf", "infinity"):
        return True
    if not _NUMBER_LIKE.fullmatch(text):
        return False
    try:
        float(text)
    except ValueError:
        try:
            int(text, 0)
        except ValueError:
            return False
    return True


def parse_version(text: str | int, *, what: str = "version") -> int:
    """A version number from `3` or `"3"`; anything else (a trailing newline, a space,
    `"3.0"`, `True`, 0, a number past VERSION_LIMIT) is refused, naming it as `what`."""
    plain = isinstance(text, numbers.Integral) and not isinstance(text, bool)
    number = int(text) if plain or (isinstance(text, str) and _NUMBER.fullmatch(text)) else 0
    if not 1 <= number <= VERSION_LIMIT:
        raise InvalidArgumentError(f"{what} {text!r} is not a version number; use 1, 2, 3 ...")
    return number


def split_ref(text: str) -> tuple[str, str, str]:
    """`churn@champion` as ("churn", "@", "champion"), `churn:3` as ("churn", ":", "3"),
    `churn` as ("churn", "", ""): the parts of a reference, checked by `parse_ref`, or of
    one still being typed (`churn@`), which only completion reads."""
    for separator in ("@", ":"):
        if separator in text:
            model, _, rest = text.partition(separator)
            return model, separator, rest
    return text, "", ""


def names_version(text: str) -> bool:
    """Whether a reference names which version (`churn@champion`, `churn:3`,
    `churn@latest`), not the model alone (`churn`)."""
    parse_ref(text)  # refuses what is no reference
    return split_ref(text)[1] != ""


def parse_ref(text: str) -> ModelRef:
    """`name`, `name@alias`, `name@N` or `name:N` as a ModelRef."""
    if not isinstance(text, str) or not text:
        raise InvalidArgumentError(
            f"model reference {text!r} is empty; write name, name@alias or name:version."
        )
    model, separator, target = split_ref(text)
    if separator == "@":
        check_name(model)
        if _NUMBER.fullmatch(target) or _looks_numeric(target):  # `1.0` is no alias
            return ModelRef(model, version=parse_version(target))
        if target == "latest":
            return ModelRef(model)
        return ModelRef(model, alias=check_name(target, what="alias"))
    if separator == ":":
        return ModelRef(check_name(model), version=parse_version(target))
    return ModelRef(check_name(text))
