"""A deployment as the registry records it and as users see it: one record, and a table.

A record's `status` is worked out when asked: "stopped" once its stop is recorded; "copied"
for a record `migrate` brought from another registry, whose server serves that one (it is
neither asked nor stopped from here); for a server on this machine, "dead" while this
machine proves its process gone (a crash, or a stop that could not be recorded), "running"
otherwise; for a server on another machine, which this one can prove nothing of,
"unreachable from here" when it was asked at its address and did not answer as itself
(`answered`), "running" otherwise.

`Deployment.token` is set only on the record `deploy` returns, and shown only by its plain
`repr` (a terminal), never by IPython's display, which a notebook would save; `to_dict`
carries it only on that record, the one chance to read it (the stop key, which the
registry also keeps, is never on a record).
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar

from jupyter_mlops.clock import utc_now
from jupyter_mlops.deploying import processes
from jupyter_mlops.jsonable import fields_of
from jupyter_mlops.registry.records import RecordTable

UNREACHABLE = "unreachable from here"
COPIED = "copied"


@dataclass(frozen=True)
class Deployment:
    id: int
    model: str
    ref: str
    host: str
    port: int
    pid: int
    machine: str
    started_at: datetime
    stopped_at: datetime | None
    log_file: str | None
    process_start: str | None = None  # None: recorded without /proc, or by an older server
    nonce_sha256: str | None = None
    shadow_ref: str | None = None  # the ref scoring its requests in shadow, if any
    address: str | None = None  # where other machines reach it (None: recorded before: host)
    stopped_by: str | None = None
    # only on the record `deploy` returns: shown once, and in its to_dict()
    token: str | None = field(default=None, metadata={"json": False})
    version: int | None = None  # what a running server says of itself on /health
    requests: int | None = None
    errors: int | None = None
    answered: bool | None = None  # whether it answered as itself when listed (None: not asked)
    copied_from: str | None = None  # the registry `migrate` copied it from, whose server it is

    @property
    def here(self) -> bool:
        """Whether it runs on this machine."""
        return processes.on_this_machine(self.machine)

    @property
    def url(self) -> str:
        """Where clients, and other machines, reach it."""
        return processes.url_of(self.address or self.host, self.port)

    @property
    def asked_url(self) -> str:
        """Where this machine asks it: on its own machine at the address it bound."""
        if self.here:
            return processes.url_of(processes.local_address(self.host), self.port)
        return self.url

    @property
    def status(self) -> str:
        if self.stopped_at is not None:
            return "stopped"
        if self.copied_from is not None:
            return COPIED
        if not self.here:
            return UNREACHABLE if self.answered is False else "running"
        gone = processes.known_gone(self.machine, self.pid, self.process_start)
        return "dead" if gone else "running"

    def to_dict(self) -> dict[str, Any]:
        """The record as JSON data with its `url` and `status`; the token only when this
        record carries it (the one `deploy` returns)."""
        data = {**fields_of(self), "url": self.url, "status": self.status}
        return {**data, "token": self.token} if self.token else data

    def __repr__(self) -> str:
        """Never with the token: a printed, logged or saved repr must not hand it out
        (`deploy`'s command line and `%mlops deploy` show it once, on purpose: `announce`)."""
        text = f"{self.ref} at {self.url} (pid {self.pid}, {self.status})"
        return text + ("\ntoken: in .token" if self.token else "")

    def announce(self) -> str:
        """What `deploy` says once: where it answers and, on its own line, the token."""
        text = f"{self.ref} at {self.url} (pid {self.pid}, {self.status})"
        text += f", {self.shadow_ref} in shadow" if self.shadow_ref else ""
        return text + (f"\ntoken (shown once): {self.token}" if self.token else "")

    def elsewhere(self) -> str:
        """Why a copied deployment is not this registry's to stop, and where it is."""
        return (
            f"deployment {self.id} of {self.ref} was copied from the registry "
            f"{self.copied_from!r} and its server serves that one, not this one"
        )

    @classmethod
    def from_row(cls, row: dict[str, Any], *, token: str | None = None) -> Deployment:
        fields = {k: row[k] for k in cls.__dataclass_fields__ if k in row and k != "token"}
        if row.get("stopped_at") is not None:  # what it served, as it stopped
            for key in ("version", "requests", "errors"):
                fields[key] = row.get(f"final_{key}")
        return cls(**fields, token=token)


class DeploymentList(RecordTable[Deployment]):
    """Deployments as a table; after `undeploy`, the ones it stopped, with a sentence for
    each one it found not running or had to kill, and for log rows saved elsewhere."""

    columns: ClassVar[list[str]] = [
        "id",
        "ref",
        "version",
        "shadow",
        "url",
        "pid",
        "status",
        "started (UTC)",
        "up",
        "requests",
        "errors",
        "stopped by",
    ]
    empty = "no deployments"

    def __init__(self, found: Iterable[Deployment] = (), *, notes: Iterable[str] = ()) -> None:
        super().__init__(found)
        self.notes = list(notes)

    def __str__(self) -> str:
        return "\n".join([super().__str__(), *self.notes])

    __repr__ = __str__

    def to_dict(self) -> dict[str, Any]:
        """The deployments as JSON data, and the sentences `undeploy` had for them."""
        return {"deployments": [found.to_dict() for found in self], "notes": list(self.notes)}

    def _repr_html_(self) -> str:
        notes = "".join(f"<p>{html.escape(note)}</p>" for note in self.notes)
        return super()._repr_html_() + notes

    def _rows(self) -> list[list[Any]]:
        now = utc_now()
        return [
            [
                d.id,
                d.ref,
                d.version,
                d.shadow_ref or "",
                d.url,
                d.pid,
                d.status,
                d.started_at,
                _up(d, now),
                d.requests,
                d.errors,
                d.stopped_by or "",
            ]
            for d in self
        ]


def _up(found: Deployment, now: datetime) -> str:
    """How long it has served: until now, or until it stopped (a dead one: unknown). A
    server that stopped as asked said what it had served as it went; one without those
    counters was found gone (killed, crashed) or killed later, when its record's stop is
    when that was noticed, not when it stopped serving: unknown too."""
    if found.stopped_at is not None:
        return "" if found.requests is None else _duration(found.stopped_at - found.started_at)
    return _duration(now - found.started_at) if found.status == "running" else ""


def _duration(span: timedelta) -> str:
    seconds = int(span.total_seconds())
    days, seconds = divmod(seconds, 86_400)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    if days:
        return f"{days}d {hours}h"
    return f"{hours}h {minutes}m" if hours else f"{minutes}m {seconds}s"
