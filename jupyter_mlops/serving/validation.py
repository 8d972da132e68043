"""What the server refuses, and how a request body becomes JSON.

Each refusal is a `RequestError` carrying its HTTP status: malformed JSON (NaN and
Infinity included, nesting too deep to decode, lone surrogates) is a `BadRequest` (400),
a missing or wrong token `Unauthorized` (401), a body over `MAX_BYTES` `TooLarge` (413),
JSON the model cannot take `Unprocessable` (422, naming the field; see `rows`).

A body is never held whole before its size is known to be allowed: a `Content-Length`
over the limit is refused before a byte is read, and a body without one (chunked) is
refused as soon as what has arrived passes the limit, so memory grows by at most
`MAX_BYTES` per request whatever the client claims or sends.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import orjson

MAX_BYTES = 32 * 2**20
NUMBER, TEXT, BOOLEAN = "number", "text", "boolean"


class RequestError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class BadRequest(RequestError):
    pass


class Unprocessable(RequestError):
    status = 422
    code = "unprocessable"


class Unauthorized(RequestError):
    status = 401
    code = "unauthorized"


class TooLarge(RequestError):
    status = 413
    code = "too_large"


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
        payload = json.loads(text, parse_constant=_refuse_constant)
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
