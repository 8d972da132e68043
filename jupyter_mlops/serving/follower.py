"""The served version follows its alias: a thread looks the alias up every `poll_seconds` and
swaps a newly promoted (or rolled back) version in whole, so a batch in flight finishes on
the version it started with. A version that cannot be served (no recorded inputs, unsafe,
damaged) is refused once, said on stderr, and the old one kept until the alias moves on.

What it did is reported, so a client can tell a follower that looked and refused from one
that never looked: how many looks it has completed and when the last began, and the version
it refused with the reason. A look that began after a change has seen it; its outcome is in
the report once `looks` has gone up twice since the change was made (the first may have begun
before it). A registry it cannot reach (its PostgreSQL down) is reported with the time
it was first found so, until a look reaches it again: the server goes on serving meanwhile.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime

from jupyter_mlops.clock import utc_now
from jupyter_mlops.errors import MlopsError, UnavailableError
from jupyter_mlops.registry import Registry
from jupyter_mlops.registry.records import Version
from jupyter_mlops.serving.batching import Served
from jupyter_mlops.serving.notices import say


class AliasFollower:
    """Which version of `ref` is served, kept up to date by a thread of its own."""

    def __init__(
        self,
        registry: Registry,
        ref: str,
        load: Callable[[Version], Served],
        *,
        poll_seconds: float,
    ) -> None:
        self.registry, self.ref, self.load = registry, ref, load
        self.poll_seconds = poll_seconds
        self.served = load(registry.get(ref))
        self.looks = 0  # completed looks at the alias
        self.looked_at: datetime | None = None  # when the last completed look began
        self.refused: int | None = None  # a version that cannot be served is not tried again
        self.reason: str | None = None  # why, as raised (it may name paths)
        self.unreachable_since: datetime | None = None  # the registry's outage, as seen here
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._follow, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _follow(self) -> None:
        while not self._stop.wait(self.poll_seconds):
            try:
                self.look()
            except Exception as exc:  # never the end of following: the next look may pass
                say(f"could not look {self.ref} up ({type(exc).__name__}); looking again")

    def look(self) -> None:
        """Look the alias up once and swap in what it points at, if that can be served."""
        began = utc_now()
        try:
            found = self.registry.get(self.ref)
        except UnavailableError:  # keep serving what we have, and say since when
            self.unreachable_since = self.unreachable_since or began
            return
        except MlopsError:
            return  # a busy registry or a removed alias: keep serving what we have
        self.unreachable_since = None
        if found.version == self.served.version.version:
            self.refused = self.reason = None  # the alias is back: nothing stands refused
        elif found.version != self.refused:
            try:
                self.served = self.load(found)  # one assignment: requests see old or new
            except MlopsError as exc:
                self.refused, self.reason = found.version, str(exc)
                say(f"still serving version {self.served.version.version}: {exc}")
        self.looked_at = began
        self.looks += 1

    def report(self, *, reasons: bool) -> dict[str, object]:
        """What /health (`reasons=False`: anyone may ask, and a reason may name a path) and
        /metadata say of the alias."""
        looked_at = None if self.looked_at is None else self.looked_at.isoformat()
        refused: dict[str, object] | None = None
        if self.refused is not None:
            refused = {"version": self.refused}
            if reasons:
                refused["reason"] = self.reason
        unreachable = self.unreachable_since
        return {
            "ref": self.ref,
            "looks": self.looks,
            "looked_at": looked_at,
            "refused": refused,
            "unreachable_since": None if unreachable is None else unreachable.isoformat(),
        }
