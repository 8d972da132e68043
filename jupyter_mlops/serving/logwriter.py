"""The prediction-log writer: rows buffered in memory, written as whole Parquet segments.

A segment is written when the buffer holds `max_rows` rows, when its oldest row is
`max_seconds` old (a background thread looks every `max_seconds / 4`), and on `close()`,
which the server calls on shutdown (SIGTERM included). A clean stop therefore loses
nothing; a crash loses the rows not yet in a segment: the batch being written and the
buffer filling behind it, at most 2 x `max_rows` rows and about `max_seconds` seconds of
traffic plus the time a segment takes to write. Segments go
through `monitoring.logs.write_segments` (temporary file, fsync, rename), so a reader
never sees half a file.

A segment that cannot be written (disk full, the directory gone) keeps its rows in the
buffer, and the background thread tries again; rows keep being accepted up to
`max_buffered` (ten segments' worth by default), after which `append` raises
`LogFullError`: the server then refuses requests (503) rather than answer what it
cannot log.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from contextlib import suppress
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from jupyter_mlops.errors import MlopsError
from jupyter_mlops.monitoring import logs

MAX_ROWS = 10_000
MAX_SECONDS = 2.0


class LogFullError(MlopsError, OSError):
    """The log cannot be written and its buffer is full."""


class LogWriter:
    """Buffers rows of one model's prediction (or label) log and writes them as segments."""

    def __init__(
        self,
        home: Path,
        kind: str,
        model: str,
        *,
        max_rows: int = MAX_ROWS,
        max_seconds: float = MAX_SECONDS,
        max_buffered: int | None = None,
    ) -> None:
        self.home, self.kind, self.model = home, kind, model
        self.max_rows, self.max_seconds = max_rows, max_seconds
        self.max_buffered = max_buffered if max_buffered is not None else 10 * max_rows
        self._pieces: list[dict[str, np.ndarray]] = []
        self._rows = 0
        self._oldest: float | None = None
        self._lock = threading.Lock()  # guards the buffer
        self._writing = threading.Lock()  # one segment write at a time, in order
        self._closed = threading.Event()
        self.written = 0  # rows written to segments so far
        self.errors: list[str] = []
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
        count = len(next(iter(piece.values()), ()))
        with self._lock:
            if self._rows and self._rows + count > self.max_buffered:
                raise LogFullError(
                    f"the {self.kind} log of {self.model} cannot be written "
                    f"({self.errors[-1] if self.errors else 'writes are failing'}) and "
                    f"{self._rows} rows wait; free the disk under {self.home / 'logs'}."
                )
            self._pieces.append(piece)
            self._rows += count
            if self._oldest is None:
                self._oldest = time.monotonic()
            full = self._rows >= self.max_rows
        if full:
            with suppress(OSError):  # recorded in errors; the rows wait, the thread retries
                self.flush()

    def flush(self) -> int:
        """Write what is buffered as segments now; returns the rows written."""
        with self._writing:
            with self._lock:
                pieces, self._pieces = self._pieces, []
                self._rows, self._oldest = 0, None
            if not pieces:
                return 0
            batch = _frame(pieces)
            try:
                logs.write_segments(self.home, self.kind, self.model, batch)
            except OSError as exc:  # disk full, permissions: keep the rows for the next try
                self.errors.append(f"{type(exc).__name__}: {exc}")
                with self._lock:
                    self._pieces.insert(0, {str(n): batch[n].to_numpy() for n in batch})
                    self._rows += len(batch)
                    self._oldest = self._oldest or time.monotonic()
                raise
            self.written += len(batch)
            return len(batch)

    def close(self) -> int:
        """Write everything buffered and stop the background thread; returns the rows written."""
        self._closed.set()
        self._flusher.join(timeout=self.max_seconds + 1)
        return self.flush()

    @property
    def buffered(self) -> int:
        with self._lock:
            return self._rows

    def _flush_when_old(self) -> None:
        while not self._closed.wait(self.max_seconds / 4):
            with self._lock:
                old = self._oldest is not None and (
                    time.monotonic() - self._oldest >= self.max_seconds
                )
            if old:
                try:
                    self.flush()
                except OSError:
                    continue  # recorded in errors; retried on the next look

    def __enter__(self) -> LogWriter:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()


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
