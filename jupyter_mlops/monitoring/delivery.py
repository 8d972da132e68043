"""Delivering alerts: a JSON POST to a webhook, retried, every attempt bounded in time.

A receiver that is down or slow costs a check at most ATTEMPTS x TIMEOUT seconds
plus the pauses between attempts (about 10 s), and the failure is recorded with
the alert; the check itself goes on.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from jupyter_mlops.errors import UsageError

TIMEOUT = 3.0
ATTEMPTS = 3
PAUSES = (0.2, 0.5)
SCHEMES = ("webhook:",)


@dataclass(frozen=True)
class Delivery:
    delivered: bool
    attempts: int
    error: str | None


def check_target(target: str) -> str:
    """A one-line error for a notify target this module cannot deliver to."""
    if not target.startswith("webhook:"):
        raise UsageError(
            f"cannot deliver alerts to {target!r}; write webhook:http://host:port/path "
            "(every alert is also kept in the registry's alert log)."
        )
    url = target.removeprefix("webhook:")
    if not url.startswith(("http://", "https://")):
        raise UsageError(
            f"the webhook address {url!r} is not an http(s) URL; write webhook:http://host/path."
        )
    return target


def deliver(target: str, payload: dict[str, Any], *, timeout: float = TIMEOUT) -> Delivery:
    """POST `payload` as JSON to a `webhook:` target; a 2xx answer counts as delivered."""
    url = target.removeprefix("webhook:")
    body = json.dumps(payload, default=str).encode()
    error = ""
    for attempt in range(1, ATTEMPTS + 1):
        request = urllib.request.Request(
            url, data=body, method="POST", headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as answer:
                if 200 <= answer.status < 300:
                    return Delivery(True, attempt, None)
                error = f"HTTP {answer.status}"
        except urllib.error.HTTPError as exc:
            error = f"HTTP {exc.code}"
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            error = f"{type(reason).__name__}: {reason}"
        if attempt < ATTEMPTS:
            time.sleep(PAUSES[min(attempt - 1, len(PAUSES) - 1)])
    return Delivery(False, ATTEMPTS, error)
