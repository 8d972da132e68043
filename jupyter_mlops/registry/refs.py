"""Names and references: `churn`, `churn@champion`, `churn:3` (or `churn@3`)."""

from __future__ import annotations

import numbers
import re
from dataclasses import dataclass

from jupyter_mlops.errors import UsageError

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}")  # whole names only: fullmatch
_NUMBER = re.compile(r"[0-9]{1,9}")
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
        raise UsageError(
            f"{what} {name!r} is not valid; use letters, digits, '_', '-' and '.', "
            "starting with a letter or digit (at most 128 characters)."
        )
    return name


def check_alias(alias: str) -> str:
    check_name(alias, what="alias")
    if alias.isdigit() or alias in RESERVED_ALIASES:
        raise UsageError(
            f"alias {alias!r} would be read as a version; choose a name such as 'champion'."
        )
    return alias


def parse_version(text: str | int) -> int:
    """A version number from `3` or `"3"`; anything else (a trailing newline, a space,
    `"3.0"`, `True`) is refused."""
    plain = isinstance(text, numbers.Integral) and not isinstance(text, bool)
    number = int(text) if plain or (isinstance(text, str) and _NUMBER.fullmatch(text)) else 0
    if number < 1:
        raise UsageError(f"version {text!r} is not a version number; use 1, 2, 3 ...")
    return number


def parse_ref(text: str) -> ModelRef:
    """`name`, `name@alias`, `name@N` or `name:N` as a ModelRef."""
    if not isinstance(text, str) or not text:
        raise UsageError(
            f"model reference {text!r} is empty; write name, name@alias or name:version."
        )
    if "@" in text:
        model, _, target = text.partition("@")
        check_name(model)
        if _NUMBER.fullmatch(target):
            return ModelRef(model, version=parse_version(target))
        if target == "latest":
            return ModelRef(model)
        return ModelRef(model, alias=check_name(target, what="alias"))
    if ":" in text:
        model, _, number = text.partition(":")
        return ModelRef(check_name(model), version=parse_version(number))
    return ModelRef(check_name(text))
