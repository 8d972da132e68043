"""What a request gives, read strictly: a JSON object body of at most BODY_LIMIT bytes and
query arguments, each field of the type the route takes. Anything else is refused with an
`InvalidArgumentError` naming the field and what to send instead, which the handlers
answer as 400 (a body over the limit: `TooLarge`, 413)."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from typing import Any

from jupyter_mlops.errors import InvalidArgumentError, TooLarge, did_you_mean
from jupyter_mlops.registry.refs import VERSION_LIMIT

ABSENT: Any = object()  # a field the body does not hold
BODY_LIMIT = 64 * 1024  # bytes: a reason is at most a few thousand characters


def body_of(raw: bytes, *, fields: Collection[str], example: str) -> dict[str, Any]:
    """The request body as a JSON object holding only `fields`; `example`: a body to show."""
    if len(raw) > BODY_LIMIT:
        raise TooLarge(
            f"the request body is {len(raw):,} bytes, over the limit of {BODY_LIMIT:,}; send "
            f"a JSON object such as {example}, its reason a few sentences at most."
        )
    if not raw.strip():
        raise InvalidArgumentError(
            f"the request body is empty; send a JSON object such as {example}."
        )
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, ValueError) as exc:
        reason = str(exc).split(":")[0]
        raise InvalidArgumentError(
            f"the request body is not JSON ({reason}); send a JSON object such as {example}."
        ) from None
    if not isinstance(body, dict):
        raise InvalidArgumentError(
            f"the request body is {_kind(body)}, not a JSON object; send one such as {example}."
        )
    for name in body:
        if name not in fields:
            raise InvalidArgumentError(
                f"the body has an unknown field {name!r}{did_you_mean(name, fields)}; "
                f"send only {', '.join(sorted(fields))}."
            )
    return body


def whole_number(
    body: Mapping[str, Any], name: str, *, default: Any = ABSENT, nullable: bool = False
) -> Any:
    """Field `name` of `body`, a whole number (None too, when `nullable`)."""
    value = _field(body, name, default, example="2")
    if value is None and nullable:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArgumentError(
            f"field {name!r} is {_kind(value)}, not a whole number; send e.g. "
            f'"{name}": 2{" (or null)" if nullable else ""}.'
        )
    return value


def version_number(
    body: Mapping[str, Any], name: str, *, default: Any = ABSENT, nullable: bool = False
) -> Any:
    """Field `name` of `body`, a version number: a whole number from 1 (None too, when
    `nullable`)."""
    value = whole_number(body, name, default=default, nullable=nullable)
    if value is not None and not 1 <= value <= VERSION_LIMIT:
        raise InvalidArgumentError(
            f"field {name!r} is {value}, not a version number; send one of the model's "
            f'versions, 1 or more, e.g. "{name}": 2.'
        )
    return value


def text(body: Mapping[str, Any], name: str, *, default: Any = ABSENT, filled: bool = False) -> str:
    """Field `name` of `body`, a string (not blank, when `filled`)."""
    value = _field(body, name, default, example='"..."')
    if not isinstance(value, str):
        raise InvalidArgumentError(
            f'field {name!r} is {_kind(value)}, not a string; send e.g. "{name}": "...".'
        )
    if filled and not value.strip():
        raise InvalidArgumentError(
            f"field {name!r} is empty; say in a few words why, e.g. "
            f'"{name}": "better AUC on last week\'s data" (the audit trail keeps it).'
        )
    return value


def query_number(raw: str | None, name: str, *, least: int = 1, most: int | None = None) -> Any:
    """Query argument `name` (None when not given), a whole number from `least` to `most`."""
    raw = query_text(raw, name, example=str(max(least, 20)))
    if raw is None:
        return None
    try:
        value = int(raw.strip())
    except ValueError:
        value = None
    if value is None or value < least or (most is not None and value > most):
        bounds = f"from {least} to {most}" if most is not None else f"{least} or more"
        raise InvalidArgumentError(
            f"{name}={raw!r} is not a whole number {bounds}; give e.g. {name}={max(least, 20)}."
        )
    return value


def query_text(raw: str | None, name: str, *, example: str) -> str | None:
    """Query argument `name`'s text, None when not given; given empty, it is refused."""
    if raw is not None and not raw.strip():
        raise InvalidArgumentError(
            f"{name}= is empty; give a value, e.g. {name}={example}, or leave {name} out."
        )
    return raw


def _field(body: Mapping[str, Any], name: str, default: Any, *, example: str) -> Any:
    value = body.get(name, default)
    if value is ABSENT:
        raise InvalidArgumentError(
            f'the body has no field {name!r}; add it, e.g. "{name}": {example}.'
        )
    return value


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "a boolean", int: "a number", float: "a number", str: "a string",
            list: "an array", dict: "an object"}.get(type(value), type(value).__name__)  # fmt: skip
