"""What a request gives, read strictly: a JSON object body of at most BODY_LIMIT bytes and
query arguments, each field of the type the route takes. Anything else is refused with an
`InvalidArgumentError` naming the field and what to send instead, which the handlers
answer as 400 (a body over the limit: `TooLarge`, 413). A body is read as written: JSON
nested past what the parser can follow, or an object naming one field twice (which JSON
readers resolve differently), is refused rather than read as something else. A query
number is ASCII digits only (Python's `int` also reads `٥`, `５`, `5_0` and ` +5`), and a
value a refusal quotes is cut to QUOTED characters."""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping
from typing import Any

from jupyter_mlops.errors import InvalidArgumentError, TooLarge, did_you_mean
from jupyter_mlops.registry.refs import VERSION_LIMIT

ABSENT: Any = object()  # a field the body does not hold
BODY_LIMIT = 64 * 1024  # bytes: a reason is at most a few thousand characters
SERVER_ARGUMENTS = frozenset({"token", "_xsrf"})  # read by jupyter_server itself
QUOTED = 40  # characters of a bad value a refusal shows
ID_LIMIT = 2**63 - 1  # the largest id a registry row has
_DIGITS = re.compile(r"[0-9]+")


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
        body = json.loads(raw, object_pairs_hook=_object)
    except InvalidArgumentError:
        raise
    except RecursionError:
        raise InvalidArgumentError(
            f"the request body is JSON nested too deeply to read; send a flat JSON object such "
            f"as {example}."
        ) from None
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
        if not fields:
            raise InvalidArgumentError(
                f"the body has a field {_quoted(name)}, but this request takes no field; send "
                "no body, or {}."
            )
        if name not in fields:
            raise InvalidArgumentError(
                f"the body has an unknown field {_quoted(name)}{did_you_mean(name, fields)}; "
                f"send only {', '.join(sorted(fields))}."
            )
    return body


def refuse_others(body: Mapping[str, Any], given: Collection[str], *, why: str) -> None:
    """Refuse any field of `body` outside `given`, which are all that apply `why`."""
    for name in body:
        if name not in given:
            raise InvalidArgumentError(
                f"the body has field {name!r}, which does not apply {why}; send only "
                f"{', '.join(sorted(given))}."
            )


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
            f"field {name!r} is {_quoted(value)}, not a version number; send one of the model's "
            f'versions, from 1 to {VERSION_LIMIT:,}, e.g. "{name}": 2.'
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
    value = int(raw) if _DIGITS.fullmatch(raw) and len(raw) <= 18 else None  # 18: an int64
    if value is None or value < least or (most is not None and value > most):
        bounds = f"from {least} to {most}" if most is not None else f"{least} or more"
        raise InvalidArgumentError(
            f"{name}={_quoted(raw)} is not a whole number {bounds} (in digits 0-9); give e.g. "
            f"{name}={max(least, 20)}."
        )
    return value


def path_id(raw: str, *, what: str, fix: str) -> int:
    """An id a path names: ASCII digits of a whole number from 1 to ID_LIMIT (no sign, no
    decimal point, no more digits than the largest has)."""
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 19 and 0 < int(raw) <= ID_LIMIT):
        raise InvalidArgumentError(
            f"{_quoted(raw)} is not a {what} id (a positive whole number); {fix}."
        )
    return int(raw)


def query_text(raw: str | None, name: str, *, example: str) -> str | None:
    """Query argument `name`'s text, None when not given; given empty, it is refused."""
    if raw is not None and not raw.strip():
        raise InvalidArgumentError(
            f"{name}= is empty; give a value, e.g. {name}={example}, or leave {name} out."
        )
    if raw is not None and not raw.isprintable():
        raise InvalidArgumentError(
            f"{name}={_quoted(raw)} holds a control character; give plain text, e.g. "
            f"{name}={example}, or leave {name} out."
        )
    return raw


def query_arguments(given: Mapping[str, list[bytes]], taken: Collection[str]) -> None:
    """Refuse a query argument the route does not take, or one given twice (the server's
    own, `token` and `_xsrf`, are taken by every route, and so is a bare number: the time
    JupyterLab's `ServerConnection` appends to a GET so no cache answers it, `?1796163254845`)."""
    for name, values in given.items():
        if name in SERVER_ARGUMENTS or _cache_buster(name, values):
            continue
        if name not in taken:
            others = f"it takes {', '.join(sorted(taken))}" if taken else "it takes none"
            raise InvalidArgumentError(
                f"the query argument {_quoted(name)} is not one this route takes"
                f"{did_you_mean(name, taken)}; {others}."
            )
        if len(values) > 1:
            raise InvalidArgumentError(
                f"the query argument {name!r} is given {len(values)} times; give it once."
            )


def _cache_buster(name: str, values: list[bytes]) -> bool:
    return name.isascii() and name.isdigit() and values == [b""]


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object, refused when it names a field twice."""
    found: dict[str, Any] = {}
    for name, value in pairs:
        if name in found:
            raise InvalidArgumentError(
                f"the request body names field {_quoted(name)} twice; send each field once."
            )
        found[name] = value
    return found


def _quoted(value: Any) -> str:
    """`value` as a refusal shows it: its repr, cut to QUOTED characters."""
    text = repr(value)
    return text if len(text) <= QUOTED else f"{text[: QUOTED - 3]}..."


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
