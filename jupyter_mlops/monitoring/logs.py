"""The prediction and label logs: Parquet segment files per model and day.

    <registry>/logs/predictions/<model>/date=2026-11-26/<segment>.parquet
    <registry>/logs/labels/<model>/date=2026-11-26/<segment>.parquet

A prediction row holds the request id, the time (UTC), the version that answered,
the model's inputs as columns of their own, its output (`__prediction__`) and,
for a probabilistic classifier, the positive class's probability (`__score__`), and
from the server the time it took to answer (`__latency_ms__`). A
label row holds a request id, a time and the true value (`__label__`). Segments
are written whole (temporary file, fsync, rename), never appended to, so a reader
never sees half a file and no lock is shared with the registry. Monitoring reads
them with DuckDB's `read_parquet`.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from jupyter_mlops.errors import UsageError
from jupyter_mlops.monitoring.profile import to_parquet
from jupyter_mlops.registry.artifacts import write_file

PREDICTIONS = "predictions"
LABELS = "labels"
REQUEST_ID = "__request_id__"
TIMESTAMP = "__timestamp__"
VERSION = "__version__"
PREDICTION = "__prediction__"
SCORE = "__score__"
LABEL = "__label__"
LATENCY = "__latency_ms__"
RESERVED = (REQUEST_ID, TIMESTAMP, VERSION, PREDICTION, SCORE, LABEL, LATENCY)


def model_directory(home: Path, kind: str, model: str) -> Path:
    return home / "logs" / kind / model


def pattern(home: Path, kind: str, model: str) -> str:
    """The glob DuckDB reads every segment of one model's log with."""
    return str(model_directory(home, kind, model) / "date=*" / "*.parquet")


def has_log(home: Path, kind: str, model: str) -> bool:
    return any(model_directory(home, kind, model).glob("date=*/*.parquet"))


def write_segments(home: Path, kind: str, model: str, frame: pd.DataFrame) -> list[Path]:
    """Write `frame` (with a `__timestamp__` column) as one segment per day; return the files."""
    if TIMESTAMP not in frame:
        raise UsageError(f"a {kind} log segment needs a {TIMESTAMP} column; add the times.")
    if frame.empty:
        return []
    days = pd.to_datetime(frame[TIMESTAMP], utc=True).dt.strftime("%Y-%m-%d")
    written = []
    for day, rows in frame.groupby(days.to_numpy(), sort=True):
        name = f"{datetime.now(UTC):%Y%m%dT%H%M%S%f}-{os.getpid()}-{uuid.uuid4().hex[:8]}.parquet"
        target = model_directory(home, kind, model) / f"date={day}" / name
        write_file(target, to_parquet(rows.reset_index(drop=True)))
        written.append(target)
    return written


def prediction_rows(
    X: pd.DataFrame,
    *,
    version: int,
    predictions: np.ndarray,
    scores: np.ndarray | None,
    request_ids: list[str] | None = None,
    timestamps: pd.Series | None = None,
) -> pd.DataFrame:
    """The rows one batch of predictions adds to the log."""
    refuse_reserved(X.columns)
    frame = X.reset_index(drop=True).copy()
    frame.columns = [str(name) for name in frame.columns]
    now = pd.Timestamp.now(tz="UTC").tz_localize(None)
    own = prediction_columns(
        len(frame),
        version=version,
        predictions=predictions,
        scores=scores,
        request_ids=request_ids if request_ids is not None else new_ids(len(frame)),
        timestamps=now if timestamps is None else _naive_utc(timestamps),
    )
    return frame.assign(**own)


def prediction_columns(
    count: int,
    *,
    version: int,
    predictions: np.ndarray,
    scores: np.ndarray | None,
    request_ids: Any,
    timestamps: Any,
) -> dict[str, Any]:
    """The log's own columns for `count` predictions, beside the inputs' columns."""
    return {
        REQUEST_ID: request_ids,
        TIMESTAMP: timestamps,
        VERSION: np.full(count, version),
        PREDICTION: predictions,
        SCORE: scores if scores is not None else np.full(count, np.nan),
    }


def refuse_reserved(names: Iterable[object]) -> None:
    """Inputs may not take the names of the log's own columns."""
    clash = [str(name) for name in names if str(name) in RESERVED]
    if clash:
        raise UsageError(f"input columns {clash} use names the log reserves; rename them.")


def label_rows(
    request_ids: list[str], labels: list[object] | np.ndarray, *, timestamps: pd.Series | None
) -> pd.DataFrame:
    if len(request_ids) != len(labels):
        raise UsageError(
            f"{len(request_ids)} request ids but {len(labels)} labels; pass one label per id."
        )
    now = pd.Timestamp.now(tz="UTC").tz_localize(None)
    return pd.DataFrame(
        {
            REQUEST_ID: [str(value) for value in request_ids],
            TIMESTAMP: now if timestamps is None else _naive_utc(timestamps),
            LABEL: list(labels),
        }
    )


def new_ids(count: int) -> list[str]:
    """Random 128-bit request ids, as 32 hex digits."""
    digits = os.urandom(16 * count).hex()
    return [digits[i : i + 32] for i in range(0, 32 * count, 32)]


def _naive_utc(values: pd.Series) -> pd.Series:
    stamps = pd.to_datetime(pd.Series(values).reset_index(drop=True), utc=True)
    return stamps.dt.tz_localize(None)
