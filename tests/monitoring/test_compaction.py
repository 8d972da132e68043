"""Compacting the logs: every row kept once, readers never see a half-moved day (crashes:
test_compaction_crashes.py)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from jupyter_mlops.cli import main as cli
from jupyter_mlops.errors import UsageError
from jupyter_mlops.monitoring import compaction, logs
from tests.conftest import logged_ids

MODEL = "churn"


def write(home: Path, kind: str, count: int, *, day: str, start: int = 0) -> list[str]:
    """`count` one-row segments of `kind` on `day`; returns their request ids."""
    ids = [f"id-{start + i:06d}" for i in range(count)]
    for position, request_id in enumerate(ids):
        moment = pd.Timestamp(f"{day} 12:00") + pd.Timedelta(seconds=start + position)
        if kind == logs.PREDICTIONS:
            rows = logs.prediction_rows(
                pd.DataFrame({"x": [float(start + position)]}),
                version=1,
                predictions=np.array([1]),
                scores=np.array([0.7]),
                request_ids=[request_id],
                timestamps=pd.Series([moment]),
            )
        else:
            rows = logs.label_rows([request_id], [1], timestamps=pd.Series([moment]))
        logs.write_segments(home, kind, MODEL, rows)
    return ids


def ids_in(home: Path, kind: str = logs.PREDICTIONS) -> list[str]:
    return logged_ids(home, MODEL, kind)


def segments(home: Path, kind: str = logs.PREDICTIONS) -> list[Path]:
    return sorted(logs.model_directory(home, kind, MODEL).glob("date=*/*.parquet"))


def test_small_segments_become_one_file_a_day_with_every_row_once(tmp_path: Path) -> None:
    ids = write(tmp_path, logs.PREDICTIONS, 30, day="2026-11-24")
    ids += write(tmp_path, logs.PREDICTIONS, 20, day="2026-11-25", start=30)
    labels = write(tmp_path, logs.LABELS, 10, day="2026-11-25")
    before = duckdb.execute(
        "SELECT * FROM read_parquet(?) ORDER BY __request_id__",
        [logs.pattern(tmp_path, logs.PREDICTIONS, MODEL)],
    ).df()
    done = compaction.compact(tmp_path, MODEL)
    assert [(c.kind, c.day, c.files_before, c.rows) for c in done] == [
        ("predictions", "2026-11-24", 30, 30),
        ("predictions", "2026-11-25", 20, 20),
        ("labels", "2026-11-25", 10, 10),
    ]
    assert len(segments(tmp_path)) == 2 and len(segments(tmp_path, logs.LABELS)) == 1
    assert ids_in(tmp_path) == ids and ids_in(tmp_path, logs.LABELS) == labels
    after = duckdb.execute(
        "SELECT * FROM read_parquet(?) ORDER BY __request_id__",
        [logs.pattern(tmp_path, logs.PREDICTIONS, MODEL)],
    ).df()
    pd.testing.assert_frame_equal(before, after)
    assert "30 -> 1" in str(done)
    # what arrives afterwards is merged with the compacted file next time; then nothing to do
    write(tmp_path, logs.PREDICTIONS, 3, day="2026-11-25", start=50)
    assert [c.files_before for c in compaction.compact(tmp_path, MODEL)] == [4]
    assert len(ids_in(tmp_path)) == 53
    assert str(compaction.compact(tmp_path)).startswith("nothing to compact")


def test_compacting_an_unknown_model_says_so(tmp_path: Path) -> None:
    write(tmp_path, logs.PREDICTIONS, 2, day="2026-11-25")
    with pytest.raises(UsageError, match="churm has no prediction or label log"):
        compaction.compact(tmp_path, "churm")


def test_readers_during_compactions_see_every_row_once(tmp_path: Path) -> None:
    written = write(tmp_path, logs.PREDICTIONS, 20, day="2026-11-25")
    stop = threading.Event()
    seen: list[int] = []
    problems: list[str] = []

    def writer() -> None:
        start = len(written)
        while not stop.is_set():
            written.extend(write(tmp_path, logs.PREDICTIONS, 5, day="2026-11-25", start=start))
            start += 5
            time.sleep(0.01)

    def reader() -> None:
        while not stop.is_set():
            floor = len(written)  # every id written before the read must be in it
            ids = ids_in(tmp_path)
            if len(ids) != len(set(ids)):
                problems.append(f"{len(ids) - len(set(ids))} duplicated rows")
            if len(ids) < floor:
                problems.append(f"{floor - len(ids)} rows missing")
            seen.append(len(ids))

    threads = [threading.Thread(target=writer), threading.Thread(target=reader)]
    for thread in threads:
        thread.start()
    compactions = 0
    deadline = time.monotonic() + 4
    while time.monotonic() < deadline:
        compactions += len(compaction.compact(tmp_path, MODEL))
    stop.set()
    for thread in threads:
        thread.join()
    assert problems == []
    assert compactions >= 3 and len(seen) >= 10
    assert ids_in(tmp_path) == sorted(written)


def test_compact_from_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    home = tmp_path / "registry"
    write(home, logs.PREDICTIONS, 4, day="2026-11-25")
    assert cli(["--home", str(home), "compact"]) == 0
    out = capsys.readouterr().out
    assert "churn" in out and "4 -> 1" in out
    assert cli(["--home", str(home), "compact", "nope"]) != 0
