"""The prediction-log writer: rows buffered in memory, written as whole Parquet segments.

A segment is written when the buffer holds `max_rows` rows, when its oldest row is
`max_seconds` old (a background thread looks every `max_seconds / 4`), and on `close()`,
which the server calls on shutdown (SIGTERM included). A clean stop therefore loses
nothing; a crash loses the rows not yet in a segment: the batch being written and the
buffer filling behind it, at most 2 x `max_rows` rows and about `max_seconds` seconds of
traffic plus the time a segment takes to write. Segments go
through `monitoring.logs.write_segments` (temporary file, fsync, rename), so a reader
never sees half a file.

A stop while the log cannot be written retries until a deadline (`unwritten.RETRY_SECONDS`
by default), then writes the rows it still holds in the log's layout under `fallback`,
outside the registry (see `unwritten`), and `closing_note` says where, and how many;
only rows that cannot be written there either are lost, and the note counts them.

Rows once taken are never dropped on purpose, whatever a write raises:

- A segment that cannot be written (an `OSError`: disk full, the directory gone) keeps
  its rows in the buffer, and the background thread tries again; rows keep being
  accepted up to `max_buffered` (ten segments' worth by default), after which `append`
  raises `LogFullError`: the server then refuses requests (503) rather than answer what
  it cannot log. A healthy log takes any amount (a big append is written at once).
- Rows Parquet refuses (any other exception: a column of mixed types that got past the
  server's checks) cannot succeed by retrying. The batch is split in halves until the
  pieces that fail alone are found; the others are written as segments, and each
  refused piece is set aside whole as JSON lines (one row an object) in
  `<log>/<model>/set-aside/`, where no reader of the log looks.

Each failure is counted (`failures`), and `problem` says in one sentence what is wrong
while the log is failing, and for good once rows have been set aside: the server shows
it on `/health` as status "degraded". `problem` (and `LogFullError`, which the server
answers with a 503) names no file or directory, since anyone may ask /health; `detail`
says the same with the paths and the error as raised, and is printed to stderr when the
log starts failing (and again when it recovers). The background thread survives
anything a flush raises.
"""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from jupyter_mlops.deploying import unwritten
from jupyter_mlops.errors import LogFullError, plain_reason
from jupyter_mlops.monitoring import logs
from jupyter_mlops.serving.notices import say
from jupyter_mlops.store.objects import Objects, at

MAX_ROWS = 10_000
MAX_SECONDS = 2.0
RETRY_PAUSE = 0.5  # between retries of a failing write while closing
SET_ASIDE = "set-aside"

Piece = dict[str, np.ndarray]


class LogWriter:
    """Buffers rows of one model's prediction (or label) log and writes them as segments."""

    def __init__(
        self,
        home: Path | Objects,
        kind: str,
        model: str,
        *,
        max_rows: int = MAX_ROWS,
        max_seconds: float = MAX_SECONDS,
        max_buffered: int | None = None,
        fallback: Path | None = None,
    ) -> None:
        self.data, self.kind, self.model = at(home), kind, model
        self.home = self.data.url()  # where the log is, as messages name it
        self.fallback = fallback or unwritten.directory(unwritten.tag_of(None))
        self.max_rows, self.max_seconds = max_rows, max_seconds
        self.max_buffered = max_buffered if max_buffered is not None else 10 * max_rows
        self._pieces: list[Piece] = []
        self._rows = 0
        self._oldest: float | None = None
        self._lock = threading.Lock()  # guards the buffer
        self._writing = threading.Lock()  # one segment write at a time, in order
        self._closed = threading.Event()
        self.written = 0  # rows written to segments so far
        self.set_aside = 0  # rows Parquet refused, kept as JSON lines beside the log
        self.failures = 0  # flushes (or parts of one) that raised
        self.last_error: str | None = None
        self._failing: Exception | None = None  # why the last write failed, while it does
        self.saved_elsewhere = 0  # rows written under `fallback` on close
        self.lost = 0  # rows neither written nor saved under `fallback` on close
        self.closing_note: str | None = None  # where those rows went, after close
        self._flusher = threading.Thread(target=self._flush_when_old, daemon=True)
        self._flusher.start()

    def append(self, rows: pd.DataFrame | Mapping[str, np.ndarray]) -> None:
        """Buffer rows (with a `__timestamp__` column); a full buffer is written at once.

        Rows come as a DataFrame or as equally long arrays by column name (cheaper: the
        frame is built once per segment, not once per request).
        """
        if self._closed.is_set():
            raise RuntimeError("the log writer is closed")
        piece = {str(name): np.asarray(values) for name, values in rows.items()}
        lengths = {len(values) for values in piece.values()}
        if len(lengths) > 1:
            raise ValueError(f"columns of different lengths {sorted(lengths)} for one log")
        count = lengths.pop() if lengths else 0
        with self._lock:
            if self._failing and self._rows + count > self.max_buffered:
                raise LogFullError(
                    f"the {self.kind} log of {self.model} cannot be written "
                    f"({plain_reason(self._failing)}) and {self._rows} rows wait; requests are "
                    "answered again once it can be written."
                )
            self._pieces.append(piece)
            self._rows += count
            if self._oldest is None:
                self._oldest = time.monotonic()
            full = self._rows >= self.max_rows
        if full:
            self.flush()

    def flush(self) -> int:
        """Write what is buffered as segments now; returns the rows written.

        Never raises for a failed write: rows that could not be written wait in the
        buffer (or are set aside), and `problem` says why.
        """
        with self._writing:
            with self._lock:
                pieces, self._pieces = self._pieces, []
                self._rows, self._oldest = 0, None
            if not pieces:
                return 0
            before = self.written
            try:
                done, error = self._store(pieces, place=self.data)
            except Exception as exc:  # our own bug: keep every row, say so, carry on
                done, error = 0, exc
            if error is not None:
                self._failed(error)
                self._put_back(pieces[done:])
            self._now_failing(error)
            return self.written - before

    def close(self, *, deadline: float | None = None) -> int:
        """Write everything buffered and stop the background thread; returns the rows written.

        A failing write is retried until `deadline` (a `time.monotonic()` time; by default
        `unwritten.RETRY_SECONDS` from now). Rows still unwritten then are saved under
        `fallback`, and `closing_note` says where and how many (or that they are lost).
        """
        self._closed.set()
        self._flusher.join(timeout=self.max_seconds + 1)
        if deadline is None:
            deadline = time.monotonic() + unwritten.RETRY_SECONDS
        before = self.written
        self.flush()
        while self.buffered and time.monotonic() < deadline:
            time.sleep(max(min(RETRY_PAUSE, deadline - time.monotonic()), 0.0))
            self.flush()
        if self.buffered:
            self._save_elsewhere()
        return self.written - before

    def _save_elsewhere(self) -> None:
        """Write what the buffer still holds under `fallback`, and say where (the note)."""
        with self._writing:
            with self._lock:
                pieces, self._pieces = self._pieces, []
                self._rows, self._oldest = 0, None
            try:
                unwritten.prepared(self.fallback)
                done, error = self._store(pieces, place=at(self.fallback))
            except Exception as exc:  # the fallback is refused too: these rows are lost
                done, error = 0, exc
            self.saved_elsewhere += _count(pieces[:done])
            self.lost += _count(pieces[done:])
            self.closing_note = self._note(error)
            say(self.closing_note)

    def _note(self, error: Exception | None) -> str:
        """One sentence: which rows could not be written, where they are, what was lost."""
        where, saved, lost = self.fallback / "logs", self.saved_elsewhere, self.lost
        told = []
        copy = f"cp -rn {where} {self.home}/"
        if self.data.folder is None:  # a bucket
            copy = f"aws s3 cp --recursive {where} {self.data.url('logs')}"
        if saved:
            told.append(
                f"{saved:,} were saved to {where}; copy that folder into {self.home} "
                f"({copy}) once it has room"
            )
        if lost:
            why = plain_reason(error) if error is not None else "unknown"
            told.append(f"{lost:,} are lost, as they could not be saved there either ({why})")
        failing = plain_reason(self._failing) if self._failing else "unknown"
        return (
            f"{saved + lost:,} rows of the {self.kind} log of {self.model} could not be "
            f"written under {self.data.url('logs')} ({failing}): {'; '.join(told)}."
        )

    @property
    def buffered(self) -> int:
        with self._lock:
            return self._rows

    @property
    def problem(self) -> str | None:
        """What is wrong with this log, in one sentence naming no path, or None when all is
        well (anyone may read it at /health)."""
        failing, aside = self._failing, self.set_aside
        if failing:
            return (
                f"the {self.kind} log cannot be written ({plain_reason(failing)}); "
                f"{self.buffered} rows wait in memory and are retried"
            )
        if aside:
            return (
                f"{aside} rows of the {self.kind} log could not be stored as Parquet and "
                "were set aside beside the log"
            )
        return None

    @property
    def detail(self) -> str | None:
        """`problem` with the paths and the error as raised, for the server's operators."""
        failing, aside = self._failing, self.set_aside
        if failing:
            return (
                f"the {self.kind} log of {self.model} cannot be written under "
                f"{self.data.url('logs')} ({_describe(failing).rstrip('.')}); {self.buffered} rows "
                "wait in memory and are retried"
            )
        if aside:
            return (
                f"{aside} rows of the {self.kind} log of {self.model} could not be stored as "
                f"Parquet ({self.last_error}) and were set aside in "
                f"{self.data.url(self._aside_directory())}"
            )
        return None

    def _now_failing(self, error: Exception | None) -> None:
        """Record whether the log is failing; say so when that starts, changes or ends."""
        was, self._failing = self._failing, error
        if error is not None and (was is None or _describe(was) != _describe(error)):
            say(self.detail or "")
        elif error is None and was is not None:
            say(f"the {self.kind} log of {self.model} is written again")

    def _store(self, pieces: list[Piece], *, place: Objects) -> tuple[int, Exception | None]:
        """Write `pieces` in order under `place`; returns how many of them are stored
        (written, or set aside when Parquet refuses them alone) and the error that stopped
        the rest. Only rows written under the log's own data path count as `written`."""
        try:
            frame = _frame(pieces)
            logs.write_segments(place, self.kind, self.model, frame)
        except OSError as exc:  # disk full, permissions: nothing written, all retried
            return 0, exc
        except Exception as exc:  # rows Parquet refuses: find them, write the rest
            if len(pieces) > 1:
                self._failed(exc)
                half = len(pieces) // 2
                done, error = self._store(pieces[:half], place=place)
                if error is not None:
                    return done, error
                rest, error = self._store(pieces[half:], place=place)
                return half + rest, error
            try:
                self._put_aside(pieces[0], exc, place=place)
            except OSError as error:
                return 0, error
            return 1, None
        if place is self.data:
            self.written += len(frame)
        return len(pieces), None

    def _put_aside(self, piece: Piece, error: Exception, *, place: Objects) -> None:
        """Keep rows Parquet refused as JSON lines beside the log (no reader looks there)."""
        self._failed(error)
        names = list(piece)
        columns = [_plain(piece[name]) for name in names]
        lines = [
            json.dumps(dict(zip(names, values, strict=True)), default=str).encode()
            for values in zip(*columns, strict=True)
        ]
        stamp = f"{datetime.now(UTC):%Y%m%dT%H%M%S%f}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        place.put(f"{self._aside_directory()}/{stamp}.jsonl", b"\n".join(lines) + b"\n")
        self.set_aside += len(lines)
        say(
            f"{len(lines)} rows of the {self.kind} log of {self.model} could not be stored as "
            f"Parquet ({self.last_error}) and were set aside in "
            f"{place.url(self._aside_directory())}"
        )

    def _aside_directory(self) -> str:
        return f"{logs.model_key(self.kind, self.model)}/{SET_ASIDE}"

    def _failed(self, error: Exception) -> None:
        self.failures += 1
        self.last_error = _describe(error)

    def _put_back(self, pieces: list[Piece]) -> None:
        """Return unwritten pieces to the front of the buffer, in their order."""
        if not pieces:
            return
        count = _count(pieces)
        with self._lock:
            self._pieces[:0] = pieces
            self._rows += count
            self._oldest = self._oldest or time.monotonic()

    def _flush_when_old(self) -> None:
        while not self._closed.wait(self.max_seconds / 4):
            try:
                with self._lock:
                    old = self._oldest is not None and (
                        time.monotonic() - self._oldest >= self.max_seconds
                    )
                if old:
                    self.flush()
            except Exception as exc:  # this thread must outlive any failure
                self._failed(exc)

    def __enter__(self) -> LogWriter:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()


def _describe(error: Exception) -> str:
    return f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"[:300]


def _count(pieces: list[Piece]) -> int:
    return sum(len(next(iter(piece.values()), ())) for piece in pieces)


def _plain(values: np.ndarray) -> list[Any]:
    """Values JSON can hold: times as ISO text, NumPy scalars as Python ones."""
    if values.dtype.kind == "M":
        return np.datetime_as_string(values).tolist()
    return values.tolist()


def _frame(pieces: list[dict[str, np.ndarray]]) -> pd.DataFrame:
    """One frame of many pieces; a column a piece lacks is missing (NaN or None) there."""
    names = list(dict.fromkeys(name for piece in pieces for name in piece))
    columns = {}
    for name in names:
        present = [piece[name] for piece in pieces if name in piece]
        numeric = all(array.dtype.kind in "iufb" for array in present)
        filler: Any = np.nan if numeric else None
        parts = [
            piece[name] if name in piece else np.full(len(next(iter(piece.values()))), filler)
            for piece in pieces
        ]
        columns[name] = np.concatenate(parts) if len(parts) > 1 else parts[0]
    return pd.DataFrame(columns)
