"""A challenger in shadow: every answered request scored again by a second version of the
model, off the answer path, its outputs logged under the same request ids.

The invariant: nothing the shadow does reaches an answer. The server hands each answered
batch (`batching.Scored`, with the times its rows were logged at) to `ShadowScorer.offer`,
which only appends it to a bounded queue (`max_queued` rows): when the queue is full the
batch is dropped from shadow scoring and its rows counted, so an answer never waits for
the shadow. One worker thread lets requests gather for `linger` seconds, takes everything
waiting (up to `max_rows` rows), calls the shadow model once for all of it, and hands its
outputs to the shadow log (`logs.SHADOWS`: the prediction log's layout without the
inputs, which the served version's log already holds). Whatever the shadow does (raise,
refuse the inputs because its signature differs, fail to load, find its log full) is
counted and its last error kept for /health and /metadata (`report`), never raised into
the server.

The worker keeps the process's priority on purpose: a thread made nicer by the system
still takes the GIL, and one descheduled while holding it stalls the answers behind it
(measured on two busy cores: with a nice-19 worker the champion's p99 was 1.3x its p99
alone; at the normal priority, batched, 0.73x to 0.92x: benchmarks/shadow_overhead.py).
While the shadow's alias and the served one point at the same version (after a promotion
moved the champion to the challenger), there is nothing to compare: those rows are counted
`same_version`, not scored twice, and /health says so until one of the aliases moves.
When the shadow takes the served version's inputs, its frame is made from the rows the
served version checked (one concatenation), not rebuilt from the logged columns.

The shadow follows its alias as the served version does (`follower.AliasFollower`, asked
by this module's own thread every `poll_seconds`); a version that cannot be loaded keeps
the previous one, and a shadow that could not be loaded at the start is tried again.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from jupyter_mlops.errors import MlopsError, Unprocessable
from jupyter_mlops.monitoring import logs
from jupyter_mlops.registry import Registry
from jupyter_mlops.registry.outputs import positive_column
from jupyter_mlops.registry.records import Version
from jupyter_mlops.serving.batching import MAX_BATCH_ROWS, Scored, Served, model_outputs
from jupyter_mlops.serving.follower import AliasFollower
from jupyter_mlops.serving.logwriter import LogWriter
from jupyter_mlops.serving.rows import combined, frame_of

MAX_QUEUED = 20_000  # rows waiting for the shadow; more are dropped from shadow scoring
LINGER = 0.5  # seconds requests gather before the shadow scores them, in one call


@dataclass(frozen=True)
class Offered:
    """One answered batch waiting for the shadow, with the times its rows were logged at."""

    scored: Scored
    timestamps: np.ndarray

    @property
    def count(self) -> int:
        return len(self.scored.request_ids)


class ShadowScorer:
    """Scores what the served version answered with the version `ref` points at."""

    def __init__(
        self,
        registry: Registry,
        ref: str,
        *,
        load: Callable[[Version], Served],
        log: LogWriter,
        poll_seconds: float,
        max_queued: int = MAX_QUEUED,
        max_rows: int = MAX_BATCH_ROWS,
        linger: float = LINGER,
    ) -> None:
        self.registry, self.ref, self._load, self.log = registry, ref, load, log
        self.poll_seconds, self.max_queued = poll_seconds, max_queued
        self.max_rows, self.linger = max_rows, linger
        self.scored = self.failed = self.dropped = 0  # rows
        self.same_version = 0  # rows the served version answered as the shadow's own version
        self.last_error: str | None = None
        self._unloaded: str | None = None  # why the shadow could not be loaded (may name paths)
        self._waiting: deque[Offered] = deque()
        self._queued = 0
        self._ready = threading.Condition()
        self._stopping = threading.Event()
        self.follower: AliasFollower | None = None
        self._connect()
        self._worker = threading.Thread(target=self._work, name="mlops-shadow", daemon=True)
        self._looker = threading.Thread(target=self._follow, daemon=True)

    def start(self) -> None:
        self._worker.start()
        self._looker.start()

    def offer(self, scored: Scored, timestamps: np.ndarray) -> None:
        """Queue an answered batch for the shadow, or count it dropped when the queue is
        full; never blocks for longer than a lock is held."""
        offered = Offered(scored, timestamps)
        with self._ready:
            if self._stopping.is_set() or self._queued + offered.count > self.max_queued:
                self.dropped += offered.count
                return
            self._waiting.append(offered)
            self._queued += offered.count
            self._ready.notify()

    def close(self, *, deadline: float) -> None:
        """Score what is queued until `deadline` (a `time.monotonic()` time), count the
        rest dropped, and write the shadow log."""
        self._stopping.set()
        with self._ready:
            self._ready.notify_all()
        if self._worker.is_alive():
            self._worker.join(timeout=max(deadline - time.monotonic(), 0.0))
        with self._ready:
            left, self._waiting = self._waiting, deque()
            self.dropped += sum(offered.count for offered in left)
            self._queued = 0
        self.log.close(deadline=deadline)

    def report(self, *, reasons: bool, served: int) -> dict[str, object]:
        """What /health (`reasons=False`: no paths) and /metadata say of the shadow, beside
        the `served` version."""
        follower = self.follower
        version = follower.served.version.version if follower is not None else None
        error = self.last_error or (self.log.detail if reasons else self.log.problem)
        if follower is None and reasons:
            error = self._unloaded
        found: dict[str, object] = {
            "ref": self.ref,
            "version": version,
            "scored": self.scored,
            "failed": self.failed,
            "dropped": self.dropped,
            "same_version": self.same_version,
            "last_error": error,
        }
        if version == served:
            found["note"] = (
                f"{self.ref} is version {version}, the version being served: its requests are "
                "not scored twice until one of the two aliases moves"
            )
        if follower is not None:
            found["alias"] = follower.report(reasons=reasons)
        return found

    # the alias

    def _connect(self) -> None:
        """Load what the shadow's alias points at; a failure is kept and tried again."""
        try:
            self.follower = AliasFollower(
                self.registry, self.ref, self._load, poll_seconds=self.poll_seconds
            )
            self.last_error = self._unloaded = None
        except MlopsError as exc:
            self.last_error = f"{self.ref} cannot be loaded ({type(exc).__name__}); see /metadata"
            self._unloaded = f"{self.ref} cannot be loaded: {exc}"

    def _follow(self) -> None:
        while not self._stopping.wait(self.poll_seconds):
            if self.follower is None:
                self._connect()
            else:
                self.follower.look()

    # scoring

    def _work(self) -> None:
        while (batch := self._take()) is not None:
            self._score(batch)

    def _take(self) -> list[Offered] | None:
        """What waits, up to `max_rows` rows, once requests have had `linger` seconds to
        gather; None once stopped with nothing left."""
        with self._ready:
            while not self._waiting and not self._stopping.is_set():
                self._ready.wait()
            if not self._waiting:
                return None
        self._stopping.wait(self.linger)  # wakes at once when the server stops
        taken: list[Offered] = []
        rows = 0
        with self._ready:
            while self._waiting and (not taken or rows + self._waiting[0].count <= self.max_rows):
                taken.append(self._waiting.popleft())
                rows += taken[-1].count
            self._queued -= rows
        return taken

    def _score(self, batch: list[Offered]) -> None:
        follower = self.follower
        if follower is None:
            self.failed += sum(offered.count for offered in batch)
            return
        served = follower.served
        given = sum(o.count for o in batch)
        batch = [o for o in batch if o.scored.served.version.version != served.version.version]
        count = sum(o.count for o in batch)
        self.same_version += given - count
        if not batch:
            return
        try:
            frame = shadow_frame([offered.scored for offered in batch], served)
            predictions, proba = model_outputs(served.model, frame, probabilities=False)
            binary = proba is not None and proba.ndim == 2 and proba.shape[1] == 2
            column = positive_column(served.model, served.version.positive_label)
            own = logs.prediction_columns(
                count,
                version=served.version.version,
                predictions=predictions,
                scores=proba[:, column] if binary and proba is not None else None,
                request_ids=np.concatenate([o.scored.request_ids for o in batch]).astype(object),
                timestamps=np.concatenate([offered.timestamps for offered in batch]),
            )
            self.log.append(own)
        except Exception as exc:  # the shadow's failure is counted, never the server's
            self.failed += count
            self.last_error = f"version {served.version.version}: {_described(exc)}"
            return
        self.scored += count


def shadow_frame(batches: list[Scored], served: Served) -> pd.DataFrame:
    """The rows the served version answered, as the shadow's model takes them; a column
    the shadow takes that the requests do not carry, or carry as another kind, refused."""
    checked = [scored.rows for scored in batches]
    if all(s.served.columns == served.columns for s in batches) and None not in checked:
        return frame_of(combined(checked), served.columns)  # type: ignore[arg-type]
    for scored in batches:
        given = {c.name: c for c in scored.served.columns}
        for column in served.columns:
            found = given.get(column.name)
            if found is None or found.kind != column.kind:
                what = "do not carry" if found is None else f"carry as {found.kind}"
                raise Unprocessable(
                    f"the shadow takes column {column.name!r} ({column.kind}), which the "
                    f"served version's requests {what}."
                )
    names = pd.Index([c.name for c in served.columns], dtype=object)
    frame = pd.DataFrame(
        {c.name: np.concatenate([s.inputs[c.name] for s in batches]) for c in served.columns}
    )
    frame.columns = names
    return frame


def _described(error: Exception) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}"[:300]
