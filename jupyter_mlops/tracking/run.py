"""A run being recorded: params, tags, step metrics (buffered), models, inputs, artifacts.

`log_metric` only appends to in-memory lists, so a training loop pays microseconds per
point; the buffer is written as one batch when it holds `FLUSH_POINTS` points, when
`FLUSH_SECONDS` have passed since the last write, and when the run ends.
"""

from __future__ import annotations

import json
import operator
import time
import traceback
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import duckdb

from jupyter_mlops.clock import utc_now
from jupyter_mlops.errors import (
    Command,
    Fix,
    InvalidArgumentError,
    MlopsError,
    RegistryBusyError,
    Spelled,
    StorageError,
    UnwrittenPointsError,
)
from jupyter_mlops.registry.refs import check_key, check_tags
from jupyter_mlops.store import runs as sql

if TYPE_CHECKING:
    import pandas as pd

    from jupyter_mlops.registry import Registry

FLUSH_POINTS = 50_000
FLUSH_SECONDS = 5.0
CHECK_EVERY = 1_000
MAX_STEP = 2**63 - 1  # steps are what the store's BIGINT holds: -MAX_STEP - 1 to MAX_STEP
_clock = time.time


class Run:
    """One run of an experiment. Use as a context manager, or call `end()`."""

    def __init__(self, registry: Registry, run_id: int, experiment: str) -> None:
        self.registry = registry
        self.id = run_id
        self.experiment = experiment
        self.params: dict[str, Any] = {}
        self.tags: dict[str, str] = {}
        self.models: dict[str, dict[str, Any]] = {}
        self.inputs: dict[str, dict[str, Any]] = {}
        self.ended = False
        self.children: list[Run] = []  # runs started while this one was active, in order
        self._buffer: list[tuple[str, int, float, float]] = []
        self._next_check = CHECK_EVERY
        self._last_step: dict[str, int] = {}
        self._written_until = 0  # the last written point's logged_at, in microseconds
        self._flushed_at = time.monotonic()
        self._started = time.monotonic()

    def __repr__(self) -> str:
        return f"<Run {self.id} of {self.experiment!r}{' (ended)' if self.ended else ''}>"

    # params and tags

    def log_param(self, key: str, value: Any) -> None:
        self.params[str(key)] = _plain(value)

    def log_params(self, params: Mapping[str, Any]) -> None:
        for key, value in params.items():
            self.log_param(key, value)

    def set_tag(self, key: str, value: Any) -> None:
        self.tags.update(check_tags({key: value}))

    # metrics

    def log_metric(self, key: str, value: Any, step: int | None = None) -> None:
        """Record `value` of metric `key` at `step` (default: the key's last step + 1).

        A point is checked here, when logged, so only points the store takes reach the
        buffer: one bad point is refused alone and never fails the writes of the others."""
        last = self._last_step.get(key) if key.__class__ is str else None
        if last is None:  # the key's first point: check its name once
            check_key(key, what="metric")
        if value.__class__ is not float:
            value = _number(key, value)
        if step is not None:
            step = _step(key, step)
        elif last is not None:
            step = last + 1 if last < MAX_STEP else _step(key, last + 1)
        else:
            step = 0
        if last is not None and step < last:
            raise InvalidArgumentError(
                f"metric {key!r} went back from step {last} to {step}; steps must not decrease "
                "within a run (omit step to count up automatically)."
            )
        self._last_step[key] = step
        buffer = self._buffer
        buffer.append((key, step, value, _clock()))
        if len(buffer) >= self._next_check:
            self._flush_if_due()

    def _flush_if_due(self) -> None:
        """Checked every CHECK_EVERY points, so the loop does not read the clock each time."""
        due = time.monotonic() - self._flushed_at > FLUSH_SECONDS
        if due or len(self._buffer) >= FLUSH_POINTS:
            try:
                self.flush()
                return
            except (RegistryBusyError, StorageError):  # keep training; the points stay buffered
                self._flushed_at = time.monotonic()
        self._next_check = len(self._buffer) + CHECK_EVERY

    def log_metrics(self, metrics: Mapping[str, Any], step: int | None = None) -> None:
        for key, value in metrics.items():
            self.log_metric(key, value, step)

    # models, data, files

    def log_model(
        self,
        name: str,
        model: Any,
        *,
        trust: str | Iterable[str] = (),
        fit_seconds: float | None = None,
    ) -> None:
        """Store a fitted model with the run (skops), so it can be registered later, with its
        params (a pipeline's steps' too, as `logisticregression__C`).

        A model that cannot be stored safely (it uses names nobody trusted) is still listed
        with the run, with the reason it was not stored, and UnsafeModelError says so."""
        from jupyter_mlops.registry import serialization

        entry: dict[str, Any] = {
            "class": f"{type(model).__module__}.{type(model).__qualname__}",
            "predicts": any(
                callable(getattr(model, m, None)) for m in ("predict", "predict_proba")
            ),
        }
        if fit_seconds is not None:
            entry["fit_seconds"] = round(fit_seconds, 6)
        get_params = getattr(model, "get_params", None)
        if callable(get_params):
            entry["params"] = {
                key: _plain(value)
                for key, value in get_params(deep=True).items()
                if not _holds_estimator(value)  # its params are listed on their own
            }
        try:
            stored = serialization.dump(model, trust=trust)
        except MlopsError as exc:  # listed as fitted, with the reason it was not stored
            self.models[name] = entry | {"not_stored": str(exc)}
            raise
        entry["sha256"] = self._store(f"model:{name}", stored.data, "model")
        entry["trusted_types"] = stored.trusted_types
        self.models[name] = entry

    def log_input(self, name: str, data: Any, *, role: str = "X") -> None:
        """Record the fingerprint and shape of data the run trained on (role X or y)."""
        from jupyter_mlops.registry import datasets

        frame = datasets.as_frame(data, name=name)
        self.inputs[name] = {
            "rows": len(frame),
            "columns": frame.shape[1],
            "fingerprint": datasets.fingerprint(frame),
            "role": role,
        }

    def log_artifact(self, name: str, content: Any) -> str:
        """Store a small artifact: bytes, text, a path, a DataFrame (CSV) or a figure."""
        data, kind = _artifact_bytes(content)
        return self._store(name, data, kind)

    def _store(self, name: str, data: bytes, kind: str) -> str:
        with self.registry.artifacts.in_use():  # no garbage collection until the row is in
            digest = self.registry.artifacts.put(data)
            with self.registry.db.write() as conn:
                sql.insert_artifact(conn, self.id, name, digest, len(data), kind)
        return digest

    # writing

    def flush(self) -> None:
        """Write the buffered metric points and the params and tags so far."""
        self._write({})

    def _write(self, changes: dict[str, Any]) -> None:
        """One transaction: the buffered points, the run's state so far, and `changes`."""
        points = self._points() if self._buffer else None
        with self.registry.db.write() as conn:
            if points is not None:
                sql.append_metrics(conn, points)
            sql.finish_run(conn, self.id, self._state() | changes)
        if points is not None:
            self._written(points)
        self._buffer = []  # only once written: a failed write keeps every point for the next
        self._flushed_at = time.monotonic()
        self._next_check = CHECK_EVERY

    def _points(self) -> pd.DataFrame:
        """The buffered points as rows, each logged_at a microsecond or more after the one
        logged before it (in this batch or a written one): a metric's points at one step are
        told apart by when they were logged, the last being its value there."""
        import numpy as np
        import pandas as pd

        points = pd.DataFrame(self._buffer, columns=["key", "step", "value", "logged_at"])
        points.insert(0, "run_id", self.id)
        micros = np.round(points["logged_at"].to_numpy() * 1e6).astype(np.int64)
        micros = np.maximum(micros, self._written_until + 1)
        order = np.arange(len(micros), dtype=np.int64)
        micros = np.maximum.accumulate(micros - order) + order  # each past the one before
        points["logged_at"] = pd.to_datetime(micros, unit="us")
        return points

    def _written(self, points: pd.DataFrame) -> None:
        """`points` are in the registry (or in a file that restores them there): the points
        logged next come after them."""
        self._written_until = int(points["logged_at"].iloc[-1].value // 1_000)

    def _state(self) -> dict[str, Any]:
        return {
            "params": json.dumps(self.params),
            "tags": json.dumps(self.tags),
            "models": json.dumps(self.models),
            "inputs": json.dumps(self.inputs),
        }

    def end(self, *, error: BaseException | None = None) -> None:
        """Flush and mark the run finished, or failed with the error's message."""
        if self.ended:
            return
        changes: dict[str, Any] = {
            "status": "failed" if error else "finished",
            "ended_at": utc_now(),
        }
        if error is not None:
            changes["error"] = "".join(traceback.format_exception_only(error)).strip()
        try:
            self._write(changes)
        except (MlopsError, duckdb.Error) as exc:
            if not self._buffer:
                raise
            raise self._unwritten(exc, changes) from None
        self.ended = True

    def _unwritten(self, exc: Exception, changes: dict[str, Any]) -> UnwrittenPointsError:
        """The run ended without its points, if the registry takes that, and the points
        saved to a file of their own (and kept here for another `end()`): the error to
        raise, naming both."""
        from jupyter_mlops.tracking import unwritten

        count, points = len(self._buffer), self._points()
        try:
            with self.registry.db.write() as conn:
                sql.finish_run(conn, self.id, self._state() | changes)
            ended, self.ended = f"run {self.id} ended, but", True
        except (MlopsError, duckdb.Error):
            ended = f"run {self.id} could not be ended (it shows as running) and"
        cause = str(exc).rstrip(".") if isinstance(exc, MlopsError) else type(exc).__name__
        try:
            path: Path | None = unwritten.save(self.id, points)
            self._written(points)
            self._buffer = []  # they are in the file now: a later end() does not repeat them
            kept = f"saved in {str(path)!r}, and Tracker().restore_points(PATH) logs them"
        except OSError as saving:
            path, kept = (
                None,
                f"kept in memory only ({saving.strerror or saving}); run.end() writes them",
            )
        return UnwrittenPointsError(
            f"{ended} its last {count:,} metric points were not written ({cause}); they are "
            f"{kept} once the registry takes writes again.",
            path=path,
        )

    def __enter__(self) -> Run:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.end(error=error)


def not_stored(run_id: int, name: str, reason: str) -> tuple[str | Fix, ...]:
    """Why a model a run fitted was not stored (the first clause of the recorded reason),
    and how to store it: the parts of an error's message or a note."""
    because = reason.split("; ", 1)[0].rstrip(".")
    logged = f"run.log_model({name!r}, model, trust=[...])"
    register = Command(
        "register",
        f"NAME {name} --trust TYPE",
        python=f"registry.register(NAME, {name}, trust=[...])",
        shell="jupyter-mlops register NAME MODEL.skops --trust TYPE",
    )
    return (
        f"run {run_id} fitted {name!r} but did not store it: {because}; to store it, register "
        "the object itself (`",
        register,
        "`)",
        Spelled(
            python=f" or log it in a new run with {logged}.",
            shell=".",
        ),
    )


def _step(key: str, step: Any) -> int:
    """A whole-number step (Python or NumPy integer) that the store holds (a 64-bit one)."""
    try:
        number = None if isinstance(step, bool) else operator.index(step)
    except TypeError:
        number = None
    if number is None:
        raise InvalidArgumentError(
            f"metric {key!r} got step {step!r}; a step is a whole number such as 3."
        )
    if not -MAX_STEP - 1 <= number <= MAX_STEP:
        bits = number.bit_length()
        shown = f"step {number}" if bits <= 80 else f"a step of {bits} bits"
        raise InvalidArgumentError(
            f"metric {key!r} got {shown}, beyond what a step holds (-2**63 to 2**63-1); "
            "log steps that count training progress, such as 0, 1, 2 ..."
        )
    return number


def _number(key: str, value: Any) -> float:
    if not isinstance(value, bool | str):
        try:
            return float(value)
        except (TypeError, ValueError):
            pass
        except OverflowError:  # an integer beyond any float would be stored as inf
            raise InvalidArgumentError(
                f"metric {key!r} got an integer of {len(str(abs(value)))} digits, beyond what a "
                "float holds; log it scaled (e.g. its logarithm)."
            ) from None
    shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:40] + "..."
    raise InvalidArgumentError(
        f"metric {key!r} got {shown}, which is not a number; log a float or an int."
    )


def _holds_estimator(value: Any) -> bool:
    """Whether a param is an estimator, or a list of them (a pipeline's `steps`)."""
    if isinstance(value, list | tuple):
        return any(_holds_estimator(item) for item in value)
    return not isinstance(value, type) and callable(getattr(value, "get_params", None))


def _plain(value: Any) -> Any:
    from jupyter_mlops.registry.registration import plain

    return plain(value)


def _artifact_bytes(content: Any) -> tuple[bytes, str]:
    if isinstance(content, bytes):
        return content, "bytes"
    if isinstance(content, str):
        return content.encode(), "text"
    if isinstance(content, Path):
        return content.read_bytes(), content.suffix.lstrip(".") or "file"
    if hasattr(content, "to_csv") and hasattr(content, "columns"):
        return content.to_csv(index=False).encode(), "csv"
    if hasattr(content, "to_json") and hasattr(content, "data") and hasattr(content, "layout"):
        return content.to_json().encode(), "plotly"
    if hasattr(content, "savefig"):
        import io

        buffer = io.BytesIO()
        content.savefig(buffer, format="png")
        return buffer.getvalue(), "png"
    raise InvalidArgumentError(
        f"cannot store a {type(content).__name__} as an artifact; pass bytes, text, a path, "
        "a DataFrame or a figure."
    )
