"""Delivering alerts: a JSON POST to a webhook, retried, every delivery bounded in time.

A target is `webhook:` and an http(s) URL with a host; `check_target` refuses any other
when a rule is added, and a rule stored before that check that names a bad one fails its
own delivery with the reason, never a check or another rule's delivery.

Time: one attempt (connect, send, the answer's status and headers) ends within TIMEOUT
seconds, cut by a timer that shuts the connection down, since a socket timeout bounds
only each read and a receiver trickling a header line every 2 s would hold a check
forever. All attempts to one target, pauses included, end within DEADLINE seconds
(3 x 3 s + 0.7 s fits in 10 s). `deliver_all` delivers a check's targets at once, a
thread each, so a check waits for its slowest target: about DEADLINE seconds at worst,
however many rules fire and targets they name.

A URL's user name and password are sent (HTTP basic authentication) and its query as
written, and neither is ever shown: `shown` is the target as every display and message
writes it, whatever precedes the last `@` of the address masked (`user:***@`, or `***@`
when there is no user name to keep) and each query value replaced by `***`. The mask
does not trust the text to be a URL: an address missing its `http://` is masked too.
An address with two `@` before its host is refused, since what it sends as the user name
is not what its writer meant.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import json
import re
import socket
import threading
import time
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from jupyter_mlops.errors import InvalidArgumentError

TIMEOUT = 3.0
DEADLINE = 10.0
ATTEMPTS = 3
PAUSES = (0.2, 0.5)
PREFIX = "webhook:"
GRACE = 1.0  # past DEADLINE, a delivery thread still running is left behind
USAGE = "write webhook:http://host:port/path, or retrain:NOTEBOOK.ipynb to retrain"
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")


@dataclass(frozen=True)
class Delivery:
    delivered: bool
    attempts: int
    error: str | None
    fault: BaseException | None = field(default=None, repr=False, compare=False)


def check_target(target: str) -> str:
    """`target` if alerts can be delivered to it; else a one-sentence InvalidArgumentError."""
    _url(target)
    return target


def shown(target: str) -> str:
    """`target` as it may be displayed: its user information and query values masked."""
    start = len(PREFIX) if target.startswith(PREFIX) else 0
    scheme = _SCHEME.match(target, start)
    start = scheme.end() if scheme else start
    if target.startswith("//", start):
        start, stops = start + 2, "/?#"
    else:  # not shaped like a URL: whatever precedes an @ may be a secret
        stops = "?#"
    end = min([i for i in (target.find(c, start) for c in stops) if i >= 0] or [len(target)])
    userinfo, at, host = target[start:end].rpartition("@")
    authority = f"{_masked_user(userinfo)}@{host}" if at else host
    return target[:start] + authority + _masked_query(target[end:])


def _masked_user(userinfo: str) -> str:
    """`user:***` when a user name can be told from the password, else `***`."""
    user, colon, _ = userinfo.partition(":")
    return f"{user}:***" if colon and user and not set(user) & set("@/") else "***"


def _masked_query(rest: str) -> str:
    """The path, its query with every value as `***`, and the fragment of `rest`."""
    path, mark, query = rest.partition("?")
    if not mark:
        return rest
    query, hash_mark, fragment = query.partition("#")
    masked = [
        f"{name}=***" if equals else ("***" if name else "")
        for name, equals, _ in (part.partition("=") for part in query.split("&"))
    ]
    return f"{path}?{'&'.join(masked)}{hash_mark}{fragment}"


def deliver(target: str, payload: dict[str, Any], *, deadline: float = DEADLINE) -> Delivery:
    """POST `payload` as JSON to a `webhook:` target; a 2xx answer counts as delivered.

    Every attempt and pause ends within `deadline` seconds; a target that cannot be used
    fails at once, with the reason."""
    try:
        url = _url(target)
    except InvalidArgumentError as exc:
        return Delivery(False, 0, str(exc))
    ends = time.monotonic() + deadline
    body = json.dumps(payload, default=str).encode()
    error, attempts = "", 0
    while attempts < ATTEMPTS and (left := ends - time.monotonic()) > 0:
        attempts += 1
        failure = _attempt(url, body, seconds=min(TIMEOUT, left))
        if failure is None:
            return Delivery(True, attempts, None)
        error = failure
        pause = PAUSES[min(attempts - 1, len(PAUSES) - 1)]
        if attempts == ATTEMPTS or ends - time.monotonic() <= pause:
            break
        time.sleep(pause)
    return Delivery(False, attempts, error)


def deliver_all(jobs: Sequence[tuple[str, dict[str, Any]]]) -> list[Delivery]:
    """Deliver each (target, payload) at once, a thread each; the outcomes in order.

    A bug in one delivery fails that target only, and is kept as its outcome's `fault`.
    A thread still running GRACE seconds past the deadline (stuck in a name lookup, which
    no timeout reaches) is left behind, and its target counted as failed."""
    outcomes: list[Delivery | None] = [None] * len(jobs)

    def run(position: int, target: str, payload: dict[str, Any]) -> None:
        try:
            outcomes[position] = deliver(target, payload)
        except Exception as exc:  # our bug: the caller raises it once every outcome is in
            outcomes[position] = Delivery(False, 0, f"{type(exc).__name__}: {exc}", exc)

    threads = [
        threading.Thread(target=run, args=(position, *job), daemon=True)
        for position, job in enumerate(jobs)
    ]
    for thread in threads:
        thread.start()
    ends = time.monotonic() + DEADLINE + GRACE
    for thread in threads:
        thread.join(max(0.0, ends - time.monotonic()))
    late = Delivery(False, 0, f"no outcome within the {DEADLINE:g} s deadline")
    return [outcome or late for outcome in outcomes]


def _url(target: str) -> urllib.parse.SplitResult:
    if not target.startswith(PREFIX):
        raise InvalidArgumentError(
            f"cannot deliver alerts to {shown(target)!r}; {USAGE} "
            "(every alert is also kept in the registry's alert log)."
        )
    text = target.removeprefix(PREFIX)
    problem, url = _problem(text)
    if problem or url is None:
        raise InvalidArgumentError(f"the webhook address {shown(text)!r} {problem}; {USAGE}.")
    return url


def _problem(text: str) -> tuple[str, urllib.parse.SplitResult | None]:
    """What makes `text` unusable as a webhook URL ('' when nothing), and the URL parsed."""
    if any(c.isspace() or not c.isprintable() for c in text):
        return "contains a space or a control character", None
    if not text.isascii():
        return "contains a character outside ASCII (percent-encode it)", None
    try:
        url = urllib.parse.urlsplit(text)
        port = url.port
    except ValueError as exc:  # unbalanced brackets, a port that is no number or too large
        return f"cannot be read ({exc})", None
    if url.scheme not in ("http", "https"):
        return "is not an http(s) URL", None
    if not url.hostname:
        return "names no host", None
    if url.netloc.count("@") > 1:
        return "has more than one @ before its host (write an @ in a name as %40)", None
    if port == 0:
        return "names port 0", None
    return "", url


def _attempt(url: urllib.parse.SplitResult, body: bytes, *, seconds: float) -> str | None:
    """One POST, over within `seconds` whatever the receiver does; why it failed, or None."""
    kind = http.client.HTTPSConnection if url.scheme == "https" else http.client.HTTPConnection
    connection = kind(url.hostname or "", url.port, timeout=seconds)
    expired = threading.Event()
    timer = threading.Timer(seconds, _cut, args=(connection, expired))
    timer.daemon = True
    timer.start()
    error: str | None = None
    try:
        connection.request("POST", _path(url), body=body, headers=_headers(url))
        status = connection.getresponse().status  # its body is not waited for
        error = None if 200 <= status < 300 else f"HTTP {status}"
    except TimeoutError:
        expired.set()
    except (OSError, http.client.HTTPException, UnicodeError) as exc:
        error = f"{type(exc).__name__}: {exc}"
    finally:
        timer.cancel()
        connection.close()
    # once cut, even a status read is no answer: the headers seemed to end where the cut was
    return f"no complete answer within {seconds:.3g} s" if expired.is_set() else error


def _cut(connection: http.client.HTTPConnection, expired: threading.Event) -> None:
    """End an attempt past its time: shut its socket down, which wakes a blocked read."""
    expired.set()
    sock = connection.sock
    if sock is not None:
        with contextlib.suppress(OSError):  # closed already
            socket.socket.shutdown(sock, socket.SHUT_RDWR)  # TLS or not, the bare socket's


def _path(url: urllib.parse.SplitResult) -> str:
    return (url.path or "/") + (f"?{url.query}" if url.query else "")


def _headers(url: urllib.parse.SplitResult) -> dict[str, str]:
    headers = {"Content-Type": "application/json", "User-Agent": "jupyter-mlops"}
    if url.username is not None or url.password is not None:
        user = urllib.parse.unquote(url.username or "")
        secret = urllib.parse.unquote(url.password or "")
        token = base64.b64encode(f"{user}:{secret}".encode()).decode()
        headers["Authorization"] = f"Basic {token}"
    return headers
