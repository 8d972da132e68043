"""Names and references: `churn`, `churn@champion`, `churn:3` (or `churn@3`).

Also the smaller names and texts a user gives with them: metric and tag keys, reasons
and descriptions. Every check here refuses in one sentence naming the value, so odd
input (a newline, a NUL, a number where text belongs) never reaches the store.
"""

from __future__ import annotations

import numbers
import re
from dataclasses import dataclass

from jupyter_mlops.errors import InvalidArgumentError

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}")  # whole names only: fullmatch
_NUMBER = re.compile(r"[0-9]{1,9}")
# a version number written another way: 1.0, 1.5, 1e3, -1, 0x1f (refused as versions)
_NUMBER_LIKE = re.compile(r"[+-]?\.?[0-9][0-9A-Za-z_.+-]*")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")  # line breaks included
_CONTROL_IN_TEXT = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # newline and tab allowed
KEY_LENGTH = 250
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
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise InvalidArgumentError(
            f"{what} {name!r} is not valid; use letters, digits, '_', '-' and '.', "
            "starting with a letter or digit (at most 128 characters)."
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
    without control characters (a newline would break every table it is shown in)."""
    if isinstance(key, str) and key and len(key) <= KEY_LENGTH and not _CONTROL.search(key):
        return key
    if not isinstance(key, str):
        problem = f"is {kind_of(key)}, not text"
    elif not key:
        problem = "is empty"
    elif len(key) > KEY_LENGTH:
        problem = f"is {len(key):,} characters long (at most {KEY_LENGTH})"
    else:
        problem = "contains a control character (a newline, a tab or a NUL)"
    raise InvalidArgumentError(
        f"{what} key {_shown(key)} {problem}; name it with a short line of printable text."
    )


def check_text(text: object, *, what: str) -> str:
    """A reason or a description: a str without control characters but newline and tab."""
    if isinstance(text, str) and not _CONTROL_IN_TEXT.search(text):
        return text
    problem = (
        f"is {kind_of(text)}, not text"
        if not isinstance(text, str)
        else "contains a control character (a NUL, a carriage return or an escape)"
    )
    raise InvalidArgumentError(
        f"{what} {_shown(text)} {problem}; give plain text, e.g. 'first model'."
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
    """Whether `text` reads as a number (`1.0`, `1.5`, `1e3`, `-1`), whole or not."""
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


def parse_version(text: str | int) -> int:
    """A version number from `3` or `"3"`; anything else (a trailing newline, a space,
    `"3.0"`, `True`) is refused."""
    plain = isinstance(text, numbers.Integral) and not isinstance(text, bool)
    number = int(text) if plain or (isinstance(text, str) and _NUMBER.fullmatch(text)) else 0
    if number < 1:
        raise InvalidArgumentError(f"version {text!r} is not a version number; use 1, 2, 3 ...")
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
