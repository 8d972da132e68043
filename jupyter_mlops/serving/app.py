"""The model server: a Starlette app answering for one alias of one registered model.

    POST /predict, /predict_proba   {"records": [...]} or {"columns": {...}}
    POST /feedback                  {"request_ids": [...], "labels": [...]}
    GET  /health                    no token needed; the served version, the alias's looks,
                                    the shadow's counts
    GET  /metadata                  model, alias, serving version, signature, refusal reasons
    POST /shutdown                  the deployment's stop key, not the token (see deploying/)

Every request but /health carries `Authorization: Bearer <token>`; the server keeps
only the token's sha256. Requests arriving together share one call of the model
(`batching.Batcher`). Every answered prediction is logged (request id, time,
version, inputs, outputs, latency) through a `LogWriter` before its answer is sent;
labels go to their own log. The served version follows the alias (`follower`): a
background thread looks it up every `poll_seconds` and swaps in a newly promoted (or
rolled back) version whole; /health says how many looks it has made and which version it
refused, /metadata also why. Given a `shadow` ref (a challenger), every answered batch is
also scored by the version it points at, off the answer path, into a log of its own
(`shadow.ShadowScorer`); what the shadow does never changes an answer.
Errors are mapped to JSON answers in one place: 400 malformed, 401 token, 403 stop key,
404 route, 413 too large, 422 unusable input, 503 when the prediction log cannot be
written and its buffer is full (the server answers nothing it cannot log). A client
that goes away mid-request is one rate-limited line on stderr (`notices.notice`), and
`/health` says "degraded", with the reason, while a log has trouble being written or the
registry cannot be reached (the version loaded is served meanwhile). What
/health and the 503s say names no file or directory (anyone may ask /health); the
server's stderr and the authenticated /metadata (`log_problem`) carry the paths.

On shutdown every buffered row is written; a log that cannot be written then is retried
for `unwritten.RETRY_SECONDS` (both logs together), and the rows it still holds are
saved outside the registry, said on stderr and left where undeploy reads it (`unwritten`).

A deployed server also reports its nonce at /health (it grants nothing: it tells
undeploy that this URL is still that deployment) and, sent its stop key at /shutdown,
stops as it would on SIGTERM (deploying/processes.py says when undeploy does that).
"""

from __future__ import annotations

import asyncio
import hmac
import os
import signal
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from functools import partial

import numpy as np
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from jupyter_mlops.clock import utc_now
from jupyter_mlops.deploying import unwritten
from jupyter_mlops.deploying.processes import digest as token_hash
from jupyter_mlops.errors import (
    Face,
    Forbidden,
    InvalidArgumentError,
    MlopsError,
    Unauthorized,
    Unprocessable,
)
from jupyter_mlops.monitoring import logs
from jupyter_mlops.registry import Registry
from jupyter_mlops.registry.records import Version
from jupyter_mlops.serving import feedback
from jupyter_mlops.serving.batching import Batcher, Scored, Served
from jupyter_mlops.serving.follower import AliasFollower
from jupyter_mlops.serving.limits import CUT_OFF, EarlyAnswer
from jupyter_mlops.serving.logwriter import LogWriter
from jupyter_mlops.serving.notices import notice, say
from jupyter_mlops.serving.rows import rows_of
from jupyter_mlops.serving.shadow import ShadowScorer
from jupyter_mlops.serving.validation import parse_body, read_body, signature

POLL_SECONDS = 1.0


class ModelServer:
    """One model alias served over HTTP, its predictions and labels logged."""

    def __init__(
        self,
        registry: Registry,
        ref: str,
        *,
        token_sha256: str,
        poll_seconds: float = POLL_SECONDS,
        log_rows: int = 10_000,
        log_seconds: float = 2.0,
        nonce: str | None = None,
        stop_key_sha256: str | None = None,
        shadow: str | None = None,
    ) -> None:
        self.registry, self.ref = registry, ref
        self.token_sha256 = token_sha256
        self.identity = {"nonce": nonce} if nonce else {}
        self.stop_key_sha256 = stop_key_sha256
        self.follower = AliasFollower(registry, ref, self._load, poll_seconds=poll_seconds)
        self.unwritten = unwritten.directory(unwritten.tag_of(nonce and token_hash(nonce)))
        self._open_logs(max_rows=log_rows, max_seconds=log_seconds, shadow=shadow)
        self._id_key = os.urandom(32)  # the ids this process issues carry a tag made with it
        ids = partial(logs.new_ids, key=self._id_key)
        self.batcher = Batcher(lambda: self.served, self._record, ids=ids)
        self.requests = self.errors = 0
        self.dropped = 0  # clients that went away before their request's body arrived
        self.app = self._routed()

    def _open_logs(self, *, max_rows: int, max_seconds: float, shadow: str | None) -> None:
        """The prediction and label logs of the served model (and the shadow's log), each
        buffering up to `max_rows` rows or `max_seconds`, saving under `self.unwritten`
        what a failing disk will not take at the stop."""
        model = self.served.version.model
        log = partial(
            LogWriter, max_rows=max_rows, max_seconds=max_seconds, fallback=self.unwritten
        )
        self.predictions = log(self.registry.data, logs.PREDICTIONS, model)
        self.labels = log(self.registry.data, logs.LABELS, model)
        self.shadow: ShadowScorer | None = None
        if shadow is not None:
            self.shadow = ShadowScorer(
                self.registry,
                shadow,
                load=self._load,
                log=log(self.registry.data, logs.SHADOWS, model),
                poll_seconds=self.follower.poll_seconds,
            )

    def _routed(self) -> Starlette:
        """The app: the route table, and every error mapped to its answer in one place;
        /shutdown only on a deployed server (one with a stop key: it stops its process)."""
        routes = [
            Route("/health", self.health, methods=["GET"]),
            Route("/metadata", self.metadata, methods=["GET"]),
            Route("/predict", self.predict, methods=["POST"]),
            Route("/predict_proba", self.predict_proba, methods=["POST"]),
            Route("/feedback", self.feedback, methods=["POST"]),
        ]
        if self.stop_key_sha256 is not None:
            routes.append(Route("/shutdown", self.shutdown, methods=["POST"]))
        handlers = {
            MlopsError: self._refused,
            ClientDisconnect: self._gone,
            HTTPException: self._http,
            Exception: self._failed,
        }
        return Starlette(routes=routes, exception_handlers=handlers, lifespan=self._lifespan)

    @asynccontextmanager
    async def _lifespan(self, app: Starlette) -> AsyncIterator[None]:
        self.follower.start()
        if self.shadow is not None:
            self.shadow.start()
        try:
            yield
        finally:
            await self.batcher.aclose()
            self.close()

    def _load(self, version: Version) -> Served:
        columns = signature(version.schema)
        if not columns:
            raise InvalidArgumentError(
                f"{version.model} version {version.version} has no recorded inputs (it was "
                "registered without X), so requests cannot be checked; register it with its "
                "training data to serve it."
            )
        logs.refuse_reserved([c.name for c in columns])
        model = self.registry.load(version.ref)
        labels = feedback.takes(self.registry.profile(version.ref), model)
        return Served(version, model, columns, labels)

    @property
    def served(self) -> Served:
        """The version answering now (the alias follower swaps it)."""
        return self.follower.served

    def close(self) -> None:
        """Stop following the alias and write every buffered log row (called on shutdown);
        rows a failing disk still holds after `unwritten.RETRY_SECONDS` are saved under
        `self.unwritten`, which says so in its report for undeploy."""
        self.follower.stop()
        deadline = time.monotonic() + unwritten.RETRY_SECONDS
        for log in (self.predictions, self.labels):
            log.close(deadline=deadline)
        written = [self.predictions, self.labels]
        if self.shadow is not None:
            self.shadow.close(deadline=deadline)
            written.append(self.shadow.log)
        notes = [log.closing_note for log in written if log.closing_note]
        if notes:
            try:
                unwritten.write_report(self.unwritten, notes)
            except OSError as exc:
                say(f"could not leave the note above where undeploy reads it: {exc}")

    # endpoints

    async def health(self, request: Request) -> JSONResponse:
        problem = self.predictions.problem or self.labels.problem or self._unfollowed()
        state = {"status": "degraded", "reason": problem} if problem else {"status": "ok"}
        failures = self.predictions.failures + self.labels.failures
        counts = self._counts(self.served)
        alias = {"alias": self.follower.report(reasons=False), **self._shadow(reasons=False)}
        return JSONResponse({**state, **counts, "log_failures": failures, **alias, **self.identity})

    async def metadata(self, request: Request) -> JSONResponse:
        self._authorize(request)
        served = self.served
        inputs = [{"name": c.name, "type": c.kind} for c in served.columns]
        problem = self.predictions.detail or self.labels.detail
        alias = self.follower.report(reasons=True)
        return JSONResponse(
            {
                "ref": self.ref,
                "signature": inputs,
                **self._counts(served),
                "log_problem": problem,
                "alias": alias,
                **self._shadow(reasons=True),
            }
        )

    def _unfollowed(self) -> str | None:
        since = self.follower.unreachable_since
        if since is None:
            return None
        return (
            f"the registry could not be reached since {since.isoformat()}; the version loaded "
            "is served, and its alias followed again once the registry answers"
        )

    def _shadow(self, *, reasons: bool) -> dict[str, object]:
        if self.shadow is None:
            return {}
        served = self.served.version.version
        return {"shadow": self.shadow.report(reasons=reasons, served=served)}

    def final_counts(self) -> dict[str, int]:
        """What the deployment's record keeps once it has stopped."""
        served = self.served.version.version
        return {"version": served, "requests": self.requests, "errors": self.errors}

    def _counts(self, served: Served) -> dict[str, object]:
        return {
            "model": served.version.model,
            "version": served.version.version,
            "requests": self.requests,
            "errors": self.errors,
            "dropped": self.dropped,
            "model_calls": self.batcher.calls,
        }

    async def predict(self, request: Request) -> JSONResponse:
        return await self._answer(request, probabilities=False)

    async def predict_proba(self, request: Request) -> JSONResponse:
        return await self._answer(request, probabilities=True)

    async def _answer(self, request: Request, *, probabilities: bool) -> JSONResponse:
        self._authorize(request)
        served = self.served
        if probabilities and not hasattr(served.model, "predict_proba"):
            raise Unprocessable("this model has no probabilities; use /predict.")
        rows = rows_of(parse_body(await self._body(request)), served.columns)
        answer = await self.batcher.submit(rows, served, probabilities=probabilities)
        self.requests += 1
        key = "probabilities" if probabilities else "predictions"
        return JSONResponse(
            {"version": answer.version, "request_ids": answer.request_ids, key: answer.values}
        )

    def _record(self, scored: Scored) -> None:
        """Buffer a batch's rows in the prediction log (the batcher calls this before answering)."""
        count = len(scored.request_ids)
        own = logs.prediction_columns(
            count,
            version=scored.served.version.version,
            predictions=scored.predictions,
            scores=scored.scores,
            request_ids=np.array(scored.request_ids, dtype=object),
            timestamps=np.full(count, np.datetime64(utc_now(), "us")),
        )
        self.predictions.append({**scored.inputs, **own, logs.LATENCY: scored.latency_ms})
        if self.shadow is not None:  # only what is logged: an answer that failed is not
            self.shadow.offer(scored, own[logs.TIMESTAMP])

    async def shutdown(self, request: Request) -> JSONResponse:
        """Stop as SIGTERM stops it (answer first, then a graceful shutdown): the way
        undeploy stops a server it cannot prove to be a process of its own machine."""
        _, _, key = request.headers.get("authorization", "").partition(" ")
        assert self.stop_key_sha256 is not None
        if not hmac.compare_digest(token_hash(key.strip()), self.stop_key_sha256):
            raise Forbidden("the deployment's stop key is required; stop it with undeploy.")
        asyncio.get_running_loop().call_soon(os.kill, os.getpid(), signal.SIGTERM)
        return JSONResponse({"stopping": True}, status_code=202)

    async def feedback(self, request: Request) -> JSONResponse:
        """Labels of earlier predictions; the answer counts the ids this process did not
        issue (another replica's, or from before a restart: logged all the same)."""
        self._authorize(request)
        payload = parse_body(await self._body(request))
        ids, labels = feedback.checked(payload, self.served.labels)
        unknown = await run_in_threadpool(self._log_labels, ids, labels)
        return JSONResponse({"received": len(ids), "unknown": unknown})

    def _log_labels(self, ids: list[str], labels: np.ndarray) -> int:
        """Buffer labels (in a worker thread: a full buffer is written at once); returns how
        many of their ids this process did not issue."""
        self.labels.append(logs.label_rows(ids, labels, timestamps=None))
        return int((~logs.issued(ids, self._id_key)).sum())

    async def _body(self, request: Request) -> bytes:
        body = await read_body(request.stream(), declared=request.headers.get("content-length"))
        request.state.body_read = True
        return body

    # errors, in one place

    def _authorize(self, request: Request) -> None:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            token_hash(token.strip()), self.token_sha256
        ):
            raise Unauthorized("a valid bearer token is required (Authorization: Bearer ...).")

    async def _refused(self, request: Request, exc: Exception) -> JSONResponse:
        """Any error of ours raised on purpose, answered as the table of `errors` says."""
        assert isinstance(exc, MlopsError)
        self.errors += 1
        body = {"error": exc.kind.value, "message": exc.render(Face.SHELL)}
        if getattr(exc, "field", None) is not None:
            body["field"] = exc.field  # type: ignore[attr-defined]
        return _answer(request, body, exc.outcome.http_status)

    async def _gone(self, request: Request, exc: Exception) -> Response:
        """The client went away before its body arrived: one line, no traceback."""
        self.dropped += 1
        if not request.scope.get(CUT_OFF):  # a deadline that cut it has said so already
            client = request.client
            where = f"{client.host}:{client.port}" if client else "a client"
            notice("gone", f"{where} went away before sending all of {request.url.path}'s body")
        return Response(status_code=499)  # nobody reads it

    async def _http(self, request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HTTPException)
        self.errors += 1
        return _answer(request, {"error": "http", "message": str(exc.detail)}, exc.status_code)

    async def _failed(self, request: Request, exc: Exception) -> JSONResponse:
        self.errors += 1
        message = f"{type(exc).__name__}: {exc}"
        return JSONResponse({"error": "internal", "message": message}, status_code=500)


def _answer(request: Request, body: Mapping[str, object], status: int) -> JSONResponse:
    """A refusal; one sent before a request's body was read lets the client finish sending
    (see `limits.EarlyAnswer`)."""
    unread = request.method == "POST" and not getattr(request.state, "body_read", False)
    return EarlyAnswer(body, status) if unread else JSONResponse(body, status_code=status)


__all__ = ["ModelServer", "token_hash"]
