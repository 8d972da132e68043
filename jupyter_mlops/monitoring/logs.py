"""The prediction and label logs: Parquet segment files per model and day.

    <data path>/logs/predictions/<model>/date=2026-11-26/<segment>.parquet
    <data path>/logs/labels/<model>/date=2026-11-26/<segment>.parquet
    <data path>/logs/shadows/<model>/date=2026-11-26/<segment>.parquet

(the data path: a registry file's directory, or a shared registry's folder or bucket).

A prediction row holds the request id, the time (UTC), the version that answered,
the model's inputs as columns of their own, its output (`__prediction__`) and,
for a probabilistic classifier, the positive class's probability (`__score__`), and
from the server the time it took to answer (`__latency_ms__`). A
label row holds a request id, a time and the true value (`__label__`). A shadow row is
a prediction row without the inputs: a challenger's output for a request the served
version answered, under that request's id and time (serving/shadow.py). Segments
are written whole (temporary file, fsync, rename; in a bucket one PUT), never appended
to, so a reader never sees half a file and no lock is shared with the registry.
Monitoring reads them with DuckDB's `read_parquet`.

A registry file's segments are named `<time>-<pid>-<random>`. On a shared registry's data
path, which many machines mount and where `logs/.shared` marks it so every process treats
it alike, they are `<time>-<host>-<pid>-<random>` (`MLOPS_HOSTNAME`, else the system's host
name, its other characters than letters and digits turned into dots), so no two processes
on any machines name a segment alike; merging them there takes no file lock
(`journals.py`).

A batch is written whole or not at all: every column is given its one Parquet type
before any file is written (a column mixing types is refused, named, with nothing
written), and a batch spanning days whose second file cannot be written takes its
first one back.
"""

from __future__ import annotations

import io
import os
import re
import uuid
from collections.abc import Iterable, Sequence
from contextlib import suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from jupyter_mlops.config import machine
from jupyter_mlops.errors import InvalidArgumentError, StorageError
from jupyter_mlops.monitoring import journals
from jupyter_mlops.monitoring.log_times import log_times
from jupyter_mlops.registry.display import counted
from jupyter_mlops.store.objects import Objects, at

PREDICTIONS = "predictions"
LABELS = "labels"
SHADOWS = "shadows"
KINDS = (PREDICTIONS, LABELS, SHADOWS)  # every log of a model, as compaction walks them
REQUEST_ID = "__request_id__"
TIMESTAMP = "__timestamp__"
VERSION = "__version__"
PREDICTION = "__prediction__"
SCORE = "__score__"
LABEL = "__label__"
LATENCY = "__latency_ms__"
RESERVED = (REQUEST_ID, TIMESTAMP, VERSION, PREDICTION, SCORE, LABEL, LATENCY)


def host_part() -> str:
    """This machine's name as a segment's name holds it: other characters than ASCII
    letters and digits turned into dots."""
    return re.sub(r"[^A-Za-z0-9]", ".", machine())


def model_directory(home: Path, kind: str, model: str) -> Path:
    return home / model_key(kind, model)


def model_key(kind: str, model: str) -> str:
    """Where one model's log is, under the data path."""
    return f"logs/{kind}/{model}"


def pattern(home: Path | Objects, kind: str, model: str) -> str:
    """The glob DuckDB reads every segment of one model's log with."""
    return at(home).url(f"{model_key(kind, model)}/date=*/*.parquet")


def has_log(home: Path | Objects, kind: str, model: str) -> bool:
    base = model_key(kind, model)
    return any(_segment_of(entry.key, base) for entry in at(home).walk(base))


def _segment_of(key: str, base: str) -> bool:
    """Whether `key` is a segment of the log under `base` (`date=.../<name>.parquet`)."""
    parts = key[len(base) + 1 :].split("/")
    return len(parts) == 2 and parts[0].startswith("date=") and parts[1].endswith(".parquet")


def write_segments(home: Path | Objects, kind: str, model: str, frame: pd.DataFrame) -> list[str]:
    """Write `frame` (with a `__timestamp__` column) as one segment per day; return the
    files (as DuckDB reads them)."""
    if TIMESTAMP not in frame:
        raise InvalidArgumentError(
            f"a {kind} log segment needs a {TIMESTAMP} column; add the times."
        )
    if frame.empty:
        return []
    import pyarrow as pa

    data = at(home)
    table = _arrow_table(frame, kind)
    days = pd.to_datetime(frame[TIMESTAMP], utc=True).dt.strftime("%Y-%m-%d").to_numpy()
    distinct = sorted(set(days.tolist()))
    parts = [table] if len(distinct) == 1 else [table.filter(pa.array(days == d)) for d in distinct]
    payloads = [(day, _parquet(part)) for day, part in zip(distinct, parts, strict=True)]
    written: list[str] = []
    try:
        for day, payload in payloads:
            target = _new_segment(data, f"{model_key(kind, model)}/date={day}")
            data.put(target, payload)
            written.append(target)
    except OSError as exc:
        with suppress(OSError):  # all or nothing: a retry must not write these rows twice
            data.delete(written)
        raise StorageError.of(
            exc,
            data.url("logs"),
            doing=f"write the {kind} log of {model}",
            outcome="nothing was logged",
        ) from None
    return [data.url(key) for key in written]


def _new_segment(data: Objects, day: str) -> str:
    """A name no segment of `day` (a `date=` folder's key) has, written on any machine: the
    time (names sort in time order), on a shared data path this machine's name, the pid and
    a random part."""
    stamp, ending = f"{datetime.now(UTC):%Y%m%dT%H%M%S%f}", f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
    if data.shared:
        return f"{day}/{stamp}-{host_part()}-{ending}.parquet"
    return f"{day}/{stamp}-{ending}.parquet"


def days(data: Objects, kind: str, model: str) -> list[str]:
    """The `date=` folders of one model's log (their keys), oldest first."""
    base = model_key(kind, model)
    return sorted(f"{base}/{name}" for name in data.folders(base) if name.startswith("date="))


def segments(data: Objects, day: str) -> list[str]:
    """The segments of one day of a log (their keys), as its readers read them (each row
    once), oldest first: on a shared data path, less those that merged files listed with
    them replace (`journals.py`).

    Hold the model's logs still meanwhile (`compaction.reading`)."""
    if data.shared:
        return journals.day_files(data, day)
    return sorted(f"{day}/{name}" for name in data.names(day) if name.endswith(".parquet"))


def write_segment(data: Objects, day: str, table: Any) -> str:
    """Write an Arrow table as one new segment of `day` (a `date=` folder's key), whole or
    not at all, keeping its schema; its key."""
    target = _new_segment(data, day)
    try:
        data.put(target, _parquet(table))
    except OSError as exc:
        where = data.url(day)
        raise StorageError.of(
            exc, where, doing=f"write a segment of {where}", outcome="nothing was logged"
        ) from None
    return target


def _arrow_table(frame: pd.DataFrame, kind: str) -> Any:
    """The frame as an Arrow table, one type per column; a column Parquet cannot hold
    (text beside numbers, integers beyond 64 bits, nested lists) is refused by name."""
    import pyarrow as pa

    try:
        table = pa.Table.from_pandas(frame, preserve_index=False)
    except (pa.ArrowException, ValueError, TypeError, OverflowError) as exc:
        raise _refusal(frame, kind, exc) from None
    return table.rename_columns([str(name) for name in frame.columns])


def _refusal(frame: pd.DataFrame, kind: str, error: Exception) -> InvalidArgumentError:
    import pyarrow as pa

    for name in frame.columns:
        try:
            pa.Array.from_pandas(frame[name])
        except (pa.ArrowException, ValueError, TypeError, OverflowError) as exc:
            found = sorted({type(v).__name__ for v in frame[name].dropna().tolist()})
            reason = str(exc).split("\n")[0][:120]
            return InvalidArgumentError(
                f"the {kind} log cannot store column {name!r} (values of type "
                f"{', '.join(found) or 'unknown'}: {reason}); give the column one type "
                "(numbers, text or booleans, e.g. with .astype(str)) and log again."
            )
    return InvalidArgumentError(
        f"the {kind} log cannot store these rows ({error}); check their types."
    )


def _parquet(table: Any) -> bytes:
    """Parquet bytes; dictionary encoding only where values repeat (not floats)."""
    import pyarrow.parquet as pq

    buffer = io.BytesIO()
    pq.write_table(table, buffer, use_dictionary=dictionary_columns(table.schema))
    return buffer.getvalue()


def dictionary_columns(schema: Any) -> list[str] | bool:
    """The columns of an Arrow schema whose values repeat (not floats): those a segment
    dictionary-encodes; False when none."""
    import pyarrow as pa

    return [field.name for field in schema if not pa.types.is_floating(field.type)] or False


def prediction_rows(
    X: pd.DataFrame,
    *,
    version: int,
    predictions: np.ndarray,
    scores: np.ndarray | None,
    request_ids: list[str] | None = None,
    timestamps: pd.Series | None = None,
) -> pd.DataFrame:
    """The rows one batch of predictions adds to the log; predictions or request ids of
    another count than the rows are refused."""
    refuse_reserved(X.columns)
    for name, given in (("prediction", predictions), ("request id", request_ids)):
        count = None if given is None else len(given) if np.ndim(given) == 1 else 1
        if count is not None and count != len(X):
            raise InvalidArgumentError(
                f"X has {counted(len(X), 'row')} and {counted(count, name)}; pass one per row."
            )
    frame = X.reset_index(drop=True).copy()
    frame.columns = [str(name) for name in frame.columns]
    now = pd.Timestamp.now(tz="UTC").tz_localize(None)
    own = prediction_columns(
        len(frame),
        version=version,
        predictions=predictions,
        scores=scores,
        request_ids=request_ids if request_ids is not None else new_ids(len(frame)),
        timestamps=now if timestamps is None else log_times(timestamps, len(frame)),
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
        raise InvalidArgumentError(
            f"input columns {clash} use names the log reserves; rename them."
        )


def label_rows(
    request_ids: list[str], labels: list[object] | np.ndarray, *, timestamps: pd.Series | None
) -> pd.DataFrame:
    """The rows labels add to the label log (an array of labels keeps its dtype)."""
    if len(request_ids) != len(labels):
        raise InvalidArgumentError(
            f"{len(request_ids)} request ids but {len(labels)} labels; pass one label per id."
        )
    now = pd.Timestamp.now(tz="UTC").tz_localize(None)
    given = None if timestamps is None else log_times(timestamps, len(labels), per="label")
    return pd.DataFrame(
        {
            REQUEST_ID: [str(value) for value in request_ids],
            TIMESTAMP: now if given is None else given,
            LABEL: labels if isinstance(labels, np.ndarray) else list(labels),
        }
    )


def new_ids(count: int, *, key: bytes | None = None) -> list[str]:
    """Random request ids, as 32 hex digits: 128 random bits, or with a `key` (32 random
    bytes a server keeps to itself) 96 random bits and a 32-bit keyed hash of them, which
    `issued` checks without the server remembering a single id."""
    data = os.urandom(16 * count)
    if key is not None and count <= 16:  # a few ids: plain integers beat NumPy's overhead
        heads = [data[i : i + 12] for i in range(0, 16 * count, 16)]
        data = b"".join(head + _tag(head, key) for head in heads)
    elif key is not None:
        raw = np.frombuffer(data, dtype=np.uint8).reshape(count, 16).copy()
        raw[:, 12:] = _tags(raw[:, :12], key)
        data = raw.tobytes()
    digits = data.hex()
    return [digits[i : i + 32] for i in range(0, 32 * count, 32)]


def issued(request_ids: Sequence[str], key: bytes) -> np.ndarray:
    """Which of `request_ids` `new_ids(..., key=key)` made (a bool per id); a foreign id
    passes by chance once in 2**32."""
    found = np.zeros(len(request_ids), dtype=bool)
    shaped = [i for i, rid in enumerate(request_ids) if _ID.fullmatch(rid)]
    if shaped:
        text = "".join(request_ids[i] for i in shaped)
        raw = np.frombuffer(bytes.fromhex(text), dtype=np.uint8).reshape(len(shaped), 16)
        found[shaped] = (_tags(raw[:, :12], key) == raw[:, 12:]).all(axis=1)
    return found


_ID = re.compile(r"[0-9a-f]{32}")
_WORD = 2**64 - 1


def _tag(head: bytes, key: bytes) -> bytes:
    """`_tags` of one id's 12 bytes, in plain integers."""
    first, second, third, salt = (int.from_bytes(key[i : i + 8], "little") for i in (0, 8, 16, 24))
    low, high = int.from_bytes(head[:8], "little"), int.from_bytes(head[8:], "little")
    mixed = (((low ^ salt) * (first | 1)) ^ (high * (second | 1))) & _WORD
    mixed ^= mixed >> 29
    mixed = (mixed * (third | 1)) & _WORD
    mixed ^= mixed >> 32
    return (mixed & 0xFFFFFFFF).to_bytes(4, "little")


def _tags(heads: np.ndarray, key: bytes) -> np.ndarray:
    """A keyed 32-bit mix of each row's 12 bytes (multiply-xorshift over 64-bit words)."""
    first, second, third, salt = np.frombuffer(key, dtype="<u8", count=4).tolist()
    words = np.zeros((len(heads), 16), dtype=np.uint8)
    words[:, :12] = heads
    low, high = words.view("<u8").T
    mixed = ((low ^ np.uint64(salt)) * np.uint64(first | 1)) ^ (high * np.uint64(second | 1))
    mixed ^= mixed >> np.uint64(29)
    mixed *= np.uint64(third | 1)
    mixed ^= mixed >> np.uint64(32)
    return (mixed & np.uint64(0xFFFFFFFF)).astype("<u4").view(np.uint8).reshape(-1, 4)
