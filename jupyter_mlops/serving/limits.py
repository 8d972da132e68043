"""What one client may take of a model server: time, header bytes, connections.

uvicorn closes a kept-alive connection that stays idle between requests, but puts no
clock on a request being received: a client that sends its headers or its body a byte
at a time (or opens a connection and sends nothing) holds the connection for as long as
it likes, and a few thousand such clients hold the server. So the HTTP protocol uvicorn
runs here is its httptools one (a dependency) with deadlines and a header limit added
(`uvicorn_options` passes it, and the limits below, to uvicorn):

- `HEADER_SECONDS`: from a connection's opening, or the first byte of a request on a
  kept-alive one, to the end of the request's headers;
- `BODY_SECONDS`: from the end of the headers to the body's last byte (32 MB at about
  0.5 MB/s); an early answer (a 413) does not stop this clock for a client still sending;
- `KEEP_ALIVE_SECONDS`: idle between two requests on one connection (uvicorn's own);
- `MAX_HEADER_BYTES`: the request line and headers (httptools has no limit of its own,
  and h11's applies only to headers split across reads): more is a 400, and closed;
- `MAX_CONNECTIONS`: open connections (or requests in progress) past which uvicorn answers
  new requests 503 at once (its `limit_concurrency`), so the process never runs out of
  file descriptors; a connection cut by a deadline frees its place.

An answer given before the request's body was read (a 401, a 413 part-way through the
body) is an `EarlyAnswer`: it says `Connection: close`, and before finishing reads and
drops what the client is still sending, for at most `LINGER_SECONDS`, so the client gets
to read it rather than a connection reset; what is dropped is never held.

A client that goes away with requests unanswered (the one being answered, and any it
pipelined behind it on the same connection) has each of them marked disconnected, so
their answers are dropped quietly: uvicorn marks only the last request it parsed, and an
answer written to the closed connection raised a traceback (uvloop refuses writes to a
closed transport).

A connection cut by a deadline, a client that goes away in the middle of its body or
before its answer, and uvicorn's own warnings (a request it cannot parse, a request past
the connection limit) are one line on stderr each, at most one a second for each kind of
event (`notices`): the next line counts the ones left out, so a flood of them is a few
lines, not a line or a traceback each.
"""

from __future__ import annotations

import asyncio
from contextlib import suppress
from typing import Any, ClassVar

from starlette.responses import JSONResponse
from starlette.types import Receive, Scope, Send

from jupyter_mlops.serving.notices import notice, rate_limit_uvicorn_logs

HEADER_SECONDS = 10.0
BODY_SECONDS = 60.0
KEEP_ALIVE_SECONDS = 5
MAX_HEADER_BYTES = 16 * 1024
MAX_CONNECTIONS = 1000
LINGER_SECONDS = 5.0
CUT_OFF = "jupyter_mlops.cut_off"  # set in a request's scope when a deadline closed it


def uvicorn_options(
    *, header_seconds: float = HEADER_SECONDS, body_seconds: float = BODY_SECONDS
) -> dict[str, Any]:
    """Keyword arguments for `uvicorn.run` / `uvicorn.Config` that apply these limits; also
    puts the rate limit of `notices` on uvicorn's loggers (before uvicorn logs a line)."""
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    rate_limit_uvicorn_logs()
    deadlines = {"header_seconds": header_seconds, "body_seconds": body_seconds}
    protocol = type("DeadlineHTTPProtocol", (_Deadlines, HttpToolsProtocol), deadlines)
    return {
        "http": protocol,
        "timeout_keep_alive": KEEP_ALIVE_SECONDS,
        "limit_concurrency": MAX_CONNECTIONS,
    }


class _Deadlines:
    """Mixed into uvicorn's httptools protocol: a request must arrive whole within its
    deadlines, or its connection is closed; its headers must stay under the limit.

    A request's progress is read from what the protocol itself keeps: `cycle` is replaced
    when a request's headers are complete, and its `more_body` turns false when the body
    is. The clock is armed on a connection's opening and on the first byte after an
    answer, and disarmed once the request has arrived (the model's time is not counted).
    The request being answered is the one whose app was started last (`_start_asgi_task`);
    those parsed behind it wait in uvicorn's `pipeline`.
    """

    header_seconds: ClassVar[float]
    body_seconds: ClassVar[float]
    cycle: Any
    pipeline: Any
    transport: asyncio.Transport
    client: tuple[str, int] | None

    def connection_made(self, transport: asyncio.Transport) -> None:
        super().connection_made(transport)  # type: ignore[misc]
        self._clock: asyncio.TimerHandle | None = None
        self._running: Any = None  # the request being answered, once its app has started
        self._start_request()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_clock()
        self._abandon()
        super().connection_lost(exc)  # type: ignore[misc]

    def _start_asgi_task(self, cycle: Any, app: Any) -> None:
        self._running = cycle
        super()._start_asgi_task(cycle, app)  # type: ignore[misc]

    def _abandon(self) -> None:
        """The client is gone: mark every request of this connection still unanswered (the
        one being answered and those pipelined behind it) disconnected, so their answers
        are dropped, and say so in one line when a whole request goes unanswered."""
        waiting = [cycle for cycle, _ in self.pipeline]
        self.pipeline.clear()  # never started: the connection is closed
        unanswered = [
            cycle
            for cycle in dict.fromkeys([self._running, self.cycle, *waiting])
            if cycle is not None and not cycle.response_complete
        ]
        for cycle in unanswered:
            cycle.disconnected = True
            cycle.message_event.set()
        # a request being answered whose body is still arriving is the app's to report
        told = [c for c in unanswered if c is not self._running or not c.more_body]
        if told:
            count = f"{len(told)} requests" if len(told) > 1 else "a request"
            notice(
                "unanswered",
                f"{_address(self.client)} went away before the answer to {count} it sent",
            )

    def data_received(self, data: bytes) -> None:
        if self._clock is None and (self.cycle is None or self.cycle.response_complete):
            self._start_request()  # the first byte of the next request on this connection
        super().data_received(data)  # type: ignore[misc]
        if self._clock is None or self.transport.is_closing() or self.cycle is self._before:
            return  # no clock, closed, or still in the headers
        if not self.cycle.more_body:  # the whole request is in
            self._stop_clock()
        elif self._phase == "headers":
            self._arm("body", self.body_seconds)

    # the parser's callbacks: an exception raised in one is a 400 and a closed connection

    def on_message_begin(self) -> None:
        self._header_bytes = 0
        super().on_message_begin()  # type: ignore[misc]

    def on_url(self, url: bytes) -> None:
        self._count(len(url))
        super().on_url(url)  # type: ignore[misc]

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value) + 4)
        super().on_header(name, value)  # type: ignore[misc]

    def _count(self, size: int) -> None:
        self._header_bytes += size
        if self._header_bytes > MAX_HEADER_BYTES:
            raise ValueError(f"request headers over {MAX_HEADER_BYTES} bytes")

    def _start_request(self) -> None:
        self._before = self.cycle  # replaced by the protocol when the headers are complete
        self._arm("headers", self.header_seconds)

    def _arm(self, phase: str, seconds: float) -> None:
        self._stop_clock()
        self._phase = phase
        loop = asyncio.get_running_loop()
        self._clock = loop.call_later(seconds, self._expire, phase, seconds)

    def _stop_clock(self) -> None:
        if self._clock is not None:
            self._clock.cancel()
            self._clock = None

    def _expire(self, phase: str, seconds: float) -> None:
        self._clock = None
        if self.transport.is_closing():
            return
        if phase == "body" and self.cycle is not None:
            self.cycle.scope[CUT_OFF] = True  # the app's note of the disconnect is this one
        notice(
            f"slow-{phase}",
            f"closed a connection from {_address(self.client)} that took more than "
            f"{seconds:g} s to send its request {phase}",
        )
        self.transport.close()


class EarlyAnswer(JSONResponse):
    """A JSON answer to a request whose body was not read: it closes the connection, after
    reading and dropping the rest of the body for at most `LINGER_SECONDS`."""

    def __init__(self, content: Any, status_code: int) -> None:
        super().__init__(content, status_code, headers={"connection": "close"})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        start = {"type": "http.response.start", "status": self.status_code}
        await send({**start, "headers": self.raw_headers})
        await send({"type": "http.response.body", "body": self.body, "more_body": True})
        with suppress(TimeoutError):
            async with asyncio.timeout(LINGER_SECONDS):
                while True:
                    message = await receive()
                    if message["type"] != "http.request" or not message.get("more_body"):
                        break
        await send({"type": "http.response.body", "body": b"", "more_body": False})


def _address(client: tuple[str, int] | None) -> str:
    return f"{client[0]}:{client[1]}" if client else "an unknown client"
