"""Concurrent requests share one call of the model.

Requests wait in a queue; one worker takes every request waiting (up to `max_rows` rows),
makes one frame of them, calls the model once in a thread of its own and hands each request
its slice of the answer. Nothing waits on purpose: under light load a batch is one request,
answered as soon as it would be alone; under heavy load requests arrive while the model
works and the next batch takes them all, so the cost of a call is shared. If the model
refuses a batch, each of its requests is tried alone, so a bad request fails only itself,
with the field the model most likely refused named (`rows.culprit`: a null it cannot take).
The rows of a batch are handed to `record` (the prediction log) before any answer is sent.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from jupyter_mlops.errors import ModelRefused, RequestError, Unprocessable
from jupyter_mlops.monitoring import logs
from jupyter_mlops.registry.outputs import positive_column, predictions_and_probabilities
from jupyter_mlops.registry.records import Version
from jupyter_mlops.serving.feedback import Takes
from jupyter_mlops.serving.rows import Rows, combined, culprit, frame_of, inputs_of
from jupyter_mlops.serving.validation import Column, described

MAX_BATCH_ROWS = 2_000


@dataclass(frozen=True)
class Served:
    """The version answering now, loaded; replaced whole when the alias moves."""

    version: Version
    model: Any
    columns: list[Column]
    labels: Takes  # the labels /feedback takes for it (see `feedback.takes`)


@dataclass
class Job:
    rows: Rows
    served: Served  # the version whose signature the rows were checked against
    probabilities: bool
    received: float  # time.perf_counter() when the request arrived
    future: asyncio.Future[Answer]


@dataclass(frozen=True)
class Answer:
    version: int
    request_ids: list[str]
    values: list[Any]  # predictions, or a list of class probabilities per row


@dataclass(frozen=True)
class Scored:
    """One batch as the log keeps it: inputs, outputs, ids and each row's latency."""

    served: Served
    inputs: dict[str, np.ndarray]
    predictions: np.ndarray
    scores: np.ndarray | None
    request_ids: list[str]
    latency_ms: np.ndarray
    rows: Rows | None = None  # as checked: what a shadow of the same inputs is called with


class Batcher:
    """Queues requests for the served model and answers them in shared calls."""

    def __init__(
        self,
        served: Callable[[], Served],
        record: Callable[[Scored], None],
        *,
        max_rows: int = MAX_BATCH_ROWS,
        ids: Callable[[int], list[str]] = logs.new_ids,
    ) -> None:
        self._served, self._record, self.max_rows = served, record, max_rows
        self._new_ids = ids
        self._queue: asyncio.Queue[Job] | None = None
        self._worker: asyncio.Task[None] | None = None
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="mlops-model")
        self.calls = 0  # calls of the model so far

    async def submit(self, rows: Rows, served: Served, *, probabilities: bool) -> Answer:
        """The model's answer to one request's rows (checked against `served`'s signature)."""
        if self._queue is None:
            self._queue = asyncio.Queue()
            self._worker = asyncio.create_task(self._work())
        loop = asyncio.get_running_loop()
        job = Job(rows, served, probabilities, time.perf_counter(), loop.create_future())
        self._queue.put_nowait(job)
        return await job.future

    async def aclose(self) -> None:
        """Stop once every queued request has its answer."""
        if self._queue is not None and self._worker is not None:
            await self._queue.join()
            self._worker.cancel()
        self._thread.shutdown(wait=True)

    async def _work(self) -> None:
        assert self._queue is not None
        loop = asyncio.get_running_loop()
        while True:
            batch = [await self._queue.get()]
            rows = batch[0].rows.count
            while rows < self.max_rows and not self._queue.empty():
                batch.append(self._queue.get_nowait())
                rows += batch[-1].rows.count
            try:
                outcomes = await loop.run_in_executor(self._thread, self._answer, batch)
            except Exception as exc:  # a full log (503) or our bug: the whole batch reports it
                outcomes = [exc] * len(batch)
            for job, outcome in zip(batch, outcomes, strict=True):
                if not job.future.done():  # a client that went away cancelled its future
                    if isinstance(outcome, Exception):
                        job.future.set_exception(outcome)
                    else:
                        job.future.set_result(outcome)
                self._queue.task_done()

    def _answer(self, batch: list[Job]) -> list[Answer | Exception]:
        """Answer with the version serving now; a request checked against an earlier version
        whose inputs differ (the alias moved meanwhile) is answered by that version."""
        current = self._served()
        groups: dict[int, tuple[Served, list[int]]] = {}
        for position, job in enumerate(batch):
            served = current if job.served.columns == current.columns else job.served
            groups.setdefault(id(served), (served, []))[1].append(position)
        outcomes: list[Answer | Exception] = [RuntimeError("unanswered")] * len(batch)
        for served, positions in groups.values():
            jobs = [batch[position] for position in positions]
            for position, outcome in zip(positions, self._answer_with(served, jobs), strict=True):
                outcomes[position] = outcome
        return outcomes

    def _answer_with(self, served: Served, batch: list[Job]) -> list[Answer | Exception]:
        try:
            return self._score(served, batch)
        except RequestError as exc:
            if len(batch) == 1:
                return [_named(exc, served, batch[0])]
        outcomes: list[Answer | Exception] = []
        for job in batch:  # find the request the model refused; the others are answered
            try:
                outcomes += self._score(served, [job])
            except RequestError as exc:
                outcomes.append(_named(exc, served, job))
        return outcomes

    def _score(self, served: Served, batch: list[Job]) -> list[Answer | Exception]:
        self.calls += 1
        rows = combined([job.rows for job in batch])
        frame = frame_of(rows, served.columns)
        predictions, proba = model_outputs(
            served.model, frame, probabilities=any(job.probabilities for job in batch)
        )
        ids = self._new_ids(len(frame))
        done = time.perf_counter()
        counts = [job.rows.count for job in batch]
        latency = np.repeat([(done - job.received) * 1000 for job in batch], counts)
        binary = proba is not None and proba.ndim == 2 and proba.shape[1] == 2
        column = positive_column(served.model, served.version.positive_label)
        scores = proba[:, column] if binary and proba is not None else None
        inputs = inputs_of(rows, served.columns)
        self._record(Scored(served, inputs, predictions, scores, ids, latency, rows))
        outcomes: list[Answer | Exception] = []
        start = 0
        for job, count in zip(batch, counts, strict=True):
            part = slice(start, start + count)
            start += count
            if job.probabilities and proba is None:
                outcomes.append(Unprocessable("this model has no probabilities; use /predict."))
                continue
            values = (proba if job.probabilities else predictions)[part]  # type: ignore[index]
            outcomes.append(Answer(served.version.version, ids[part], values.tolist()))
        return outcomes


def _named(error: RequestError, served: Served, job: Job) -> RequestError:
    """A refusal by the model, naming the field it most likely refused when one is found."""
    if not isinstance(error, ModelRefused):
        return error
    found = culprit(job.rows, served.columns, error.reason)
    if found is None:
        return error
    name, row, value = found
    return Unprocessable(
        f"column {name!r} has {described(value)} in row {row}, which the model cannot take "
        f"({error.reason}).",
        field=name,
    )


def model_outputs(
    model: Any, frame: Any, *, probabilities: bool
) -> tuple[np.ndarray, np.ndarray | None]:
    """The model's predictions, and its class probabilities where asked for or binary."""
    try:
        return predictions_and_probabilities(model, frame, probabilities=probabilities)
    except (ValueError, TypeError) as exc:  # scikit-learn's words for input it cannot take
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0].rstrip(". ")
        raise ModelRefused(reason) from None
