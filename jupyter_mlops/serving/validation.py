"""What the server refuses, and how a request body becomes JSON.

Each refusal is a `RequestError` of `errors`, whose table gives its HTTP status: malformed
JSON (NaN and Infinity included, nesting too deep to decode, lone surrogates) is a
`BadRequest` (400), a missing or wrong token `Unauthorized` (401), a body over `MAX_BYTES`
`TooLarge` (413), JSON the model cannot take `Unprocessable` (422, naming the field; see
`rows`).

Messages speak of values in JSON's words (`described`): null, true, false, a number, a
text, an array, an object; never Python's type names. An integer too long to be a float
is read as a number beyond a float (infinite), which the checks refuse naming its field,
rather than left to Python's limit on integer digits.

A body is never held whole before its size is known to be allowed: a `Content-Length`
over the limit is refused before a byte is read, and a body without one (chunked) is
refused as soon as what has arrived passes the limit, so memory grows by at most
`MAX_BYTES` per request whatever the client claims or sends.
"""

from __future__ import annotations

import json
import math
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import orjson

from jupyter_mlops.errors import BadRequest, TooLarge

MAX_BYTES = 32 * 2**20
NUMBER, TEXT, BOOLEAN = "number", "text", "boolean"
FLOAT_DIGITS = 310  # more digits than this: beyond any float (1.8e308)
SHOWN = 40  # characters of a value shown in a message


@dataclass(frozen=True)
class Column:
    """An input of the served version: its name and the kind of value it takes (`NUMBER`,
    `TEXT` or `BOOLEAN`), from the dtype recorded at registration."""

    name: str
    kind: str
    nullable: bool

    @property
    def numeric(self) -> bool:
        return self.kind == NUMBER


def signature(schema: list[dict[str, Any]] | None) -> list[Column]:
    """The columns a version takes, from the schema recorded at registration."""
    columns = []
    for entry in schema or []:
        dtype = str(entry.get("dtype", ""))
        if dtype.startswith(("int", "uint", "float", "Int", "UInt", "Float")):
            kind = NUMBER
        elif dtype in ("bool", "boolean"):
            kind = BOOLEAN
        else:
            kind = TEXT
        columns.append(Column(str(entry["name"]), kind, bool(entry.get("nulls"))))
    return columns


async def read_body(chunks: AsyncIterator[bytes], *, declared: str | None) -> bytes:
    """The body, read as it arrives and refused (413) once it passes `MAX_BYTES`.

    `declared` is the request's Content-Length, when it has one: over the limit, nothing
    is read. A body that claims less than it sends is cut by the HTTP parser at the
    claimed length; one without a length is counted as it arrives.
    """
    if declared is not None and declared.strip().isdigit() and int(declared) > MAX_BYTES:
        raise _too_large()
    body = bytearray()
    async for chunk in chunks:
        body += chunk
        if len(body) > MAX_BYTES:
            raise _too_large()
    return bytes(body)


def _too_large() -> TooLarge:
    return TooLarge(f"the body is over {MAX_BYTES // 2**20} MB; send fewer rows a request.")


def parse_body(body: bytes) -> Any:
    """JSON, strictly: no NaN or Infinity, bounded nesting, valid Unicode."""
    if not body:
        raise BadRequest("the request body is empty; send JSON with records or columns.")
    if len(body) > MAX_BYTES:
        raise _too_large()
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        pass  # the standard parser says why, and reads numbers beyond a float (a 422 later)
    return _parse_slowly(body)


def _parse_slowly(body: bytes) -> Any:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("the request body is not UTF-8 text; send JSON.") from None
    try:
        payload = json.loads(text, parse_constant=_refuse_constant, parse_int=_integer)
    except (ValueError, RecursionError) as exc:
        raise BadRequest(f"the request body is not valid JSON ({exc}).") from None
    try:
        json.dumps(payload, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise BadRequest(
            "the body holds a lone UTF-16 surrogate escape (like \\ud800); send valid Unicode."
        ) from None
    except RecursionError:
        raise BadRequest("the JSON nests too deep; send flat records or columns.") from None
    return payload


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def _integer(digits: str) -> int | float:
    """A JSON integer; one too long for any float is infinite (refused by the checks)."""
    if len(digits.lstrip("-")) > FLOAT_DIGITS:
        return -math.inf if digits.startswith("-") else math.inf
    return int(digits)


def described(value: Any) -> str:
    """A JSON value in JSON's words, for a message: `null`, `true`, `the number 5`, `the
    text "5"`, `a number beyond a float`, `an array`, `an object`."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"the number {_cut(str(value))}"
    if isinstance(value, float):
        return f"the number {value!r}" if math.isfinite(value) else "a number beyond a float"
    if isinstance(value, str):
        return f"the text {_cut(json.dumps(value, ensure_ascii=False))}"
    return "an array" if isinstance(value, list) else "an object"


def _cut(text: str) -> str:
    return text if len(text) <= SHOWN else f"{text[:SHOWN]}..."
