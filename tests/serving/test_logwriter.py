"""The prediction-log writer: nothing lost on close, at most the buffer lost on a crash."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from jupyter_mlops.errors import LogFullError
from jupyter_mlops.monitoring import logs
from jupyter_mlops.serving.logwriter import LogWriter
from tests.conftest import logged_ids


def batch(start: int, count: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            logs.REQUEST_ID: [f"r{i}" for i in range(start, start + count)],
            logs.TIMESTAMP: pd.Timestamp("2026-11-26 12:00")
            + pd.to_timedelta(range(count), unit="s"),
            "x": range(start, start + count),
            logs.PREDICTION: 1,
        }
    )


def test_full_buffers_are_written_and_close_writes_the_rest(tmp_path: Path) -> None:
    with LogWriter(tmp_path, logs.PREDICTIONS, "churn", max_rows=100, max_seconds=60) as writer:
        for start in range(0, 250, 50):
            writer.append(batch(start, 50))
        assert writer.written == 200 and writer.buffered == 50
    ids = logged_ids(tmp_path, "churn")
    assert sorted(ids) == sorted(f"r{i}" for i in range(250))
    assert not list(tmp_path.rglob(".incoming-*"))


def test_old_rows_are_written_within_seconds(tmp_path: Path) -> None:
    writer = LogWriter(tmp_path, logs.PREDICTIONS, "churn", max_rows=10_000, max_seconds=0.2)
    writer.append(batch(0, 10))
    deadline = time.monotonic() + 10
    while writer.written < 10 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(logged_ids(tmp_path, "churn")) == 10
    writer.close()


WRITER = """
import sys
from pathlib import Path
from jupyter_mlops.monitoring import logs
from jupyter_mlops.errors import LogFullError
from jupyter_mlops.serving.logwriter import LogWriter
from tests.serving.test_logwriter import batch
writer = LogWriter(Path(sys.argv[1]), logs.PREDICTIONS, "churn", max_rows=500, max_seconds=0.3)
start = 0
while True:
    writer.append(batch(start, 25))
    start += 25
    print(start, flush=True)
"""


def test_a_crash_loses_at_most_the_buffer(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    child = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(tmp_path)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
    )
    assert child.stdout is not None
    acknowledged = 0
    for line in child.stdout:
        acknowledged = int(line)
        if acknowledged >= 20_000:
            break
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    ids = logged_ids(tmp_path, "churn")  # every segment on disk reads whole
    assert len(ids) == len(set(ids))
    # lost at most: a batch being written, the buffer filling behind it, the append under way
    assert len(ids) >= acknowledged - 2 * 500 - 25
    assert set(ids) <= {f"r{i}" for i in range(acknowledged + 25)}


def test_a_log_that_cannot_be_written_keeps_its_rows_then_refuses_more(tmp_path: Path) -> None:
    blocked = logs.model_directory(tmp_path, logs.PREDICTIONS, "churn")
    blocked.parent.mkdir(parents=True)
    blocked.write_text("a file where the log's directory goes: every write fails")
    writer = LogWriter(tmp_path, logs.PREDICTIONS, "churn", max_rows=100, max_seconds=0.2)
    for start in range(0, 1000, 50):  # ten segments' worth: every flush fails, nothing is lost
        writer.append(batch(start, 50))
    assert writer.buffered == 1000 and writer.written == 0 and writer.failures
    with pytest.raises(LogFullError, match=r"cannot be written .* 1000 rows wait"):
        writer.append(batch(1000, 1))
    blocked.unlink()  # the disk is back: the background thread writes everything
    deadline = time.monotonic() + 10
    while writer.written < 1000 and time.monotonic() < deadline:
        time.sleep(0.05)
    writer.close()
    assert logged_ids(tmp_path, "churn") == sorted(f"r{i}" for i in range(1000))


def odd_rows(count: int) -> dict[str, np.ndarray]:
    """Rows whose `x` mixes numbers and text: no Parquet column holds them."""
    return {
        logs.REQUEST_ID: np.array([f"odd{i}" for i in range(count)]),
        logs.TIMESTAMP: np.full(count, np.datetime64("2026-11-26T12:00")),
        "x": np.array([1.5, "one and a half"] * (count // 2), dtype=object),
    }


def test_rows_parquet_refuses_are_set_aside_whole_and_the_rest_is_written(tmp_path: Path) -> None:
    writer = LogWriter(tmp_path, logs.PREDICTIONS, "churn", max_rows=10_000, max_seconds=0.2)
    writer.append(batch(0, 50))
    writer.append(odd_rows(4))
    writer.append(batch(50, 50))
    deadline = time.monotonic() + 10
    while writer.set_aside < 4 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert writer.set_aside == 4 and writer.failures >= 1 and writer.buffered == 0
    assert "4 rows of the predictions log" in (writer.problem or "")
    writer.append(batch(100, 10))  # the background thread outlived the failure
    while writer.written < 110 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert logged_ids(tmp_path, "churn") == sorted(f"r{i}" for i in range(110))
    aside = logs.model_directory(tmp_path, logs.PREDICTIONS, "churn") / "set-aside"
    kept = pd.concat(pd.read_json(path, lines=True) for path in aside.glob("*.jsonl"))
    assert kept[logs.REQUEST_ID].tolist() == [f"odd{i}" for i in range(4)]
    assert kept["x"].tolist() == [1.5, "one and a half"] * 2
    writer.close()


def test_a_healthy_log_takes_an_append_larger_than_its_buffer(tmp_path: Path) -> None:
    with LogWriter(tmp_path, logs.PREDICTIONS, "churn", max_rows=100, max_seconds=60) as writer:
        writer.append(batch(0, 10))  # waiting in the buffer
        writer.append(batch(10, 5000))  # ten buffers' worth is not a full disk
        assert writer.buffered == 0 and writer.problem is None
    assert logged_ids(tmp_path, "churn") == sorted(f"r{i}" for i in range(5010))


def test_a_close_that_cannot_write_saves_the_rows_elsewhere_in_the_logs_layout(
    tmp_path: Path,
) -> None:
    blocked = logs.model_directory(tmp_path, logs.PREDICTIONS, "churn")
    blocked.parent.mkdir(parents=True)
    blocked.write_text("a file where the log's directory goes: every write fails")
    elsewhere = tmp_path / "private" / "unwritten" / "tag"
    writer = LogWriter(
        tmp_path, logs.PREDICTIONS, "churn", max_rows=100, max_seconds=60, fallback=elsewhere
    )
    writer.append(batch(0, 250))
    writer.close(deadline=time.monotonic() + 0.5)  # retried for half a second, then saved
    assert (writer.written, writer.saved_elsewhere, writer.lost) == (0, 250, 0)
    assert writer.closing_note == (
        f"250 rows of the predictions log of churn could not be written under {tmp_path}/logs "
        f"(not a directory): 250 were saved to {elsewhere}/logs; copy that folder into "
        f"{tmp_path} (cp -rn {elsewhere}/logs {tmp_path}/) once it has room."
    )
    assert logged_ids(elsewhere, "churn") == sorted(f"r{i}" for i in range(250))
    blocked.unlink()  # room again: copying the folder puts the rows in the log
    shutil.copytree(elsewhere / "logs", tmp_path / "logs", dirs_exist_ok=True)
    assert logged_ids(tmp_path, "churn") == sorted(f"r{i}" for i in range(250))


def test_rows_that_cannot_be_saved_anywhere_are_counted_as_lost(tmp_path: Path) -> None:
    blocked = logs.model_directory(tmp_path, logs.PREDICTIONS, "churn")
    blocked.parent.mkdir(parents=True)
    blocked.write_text("a file where the log's directory goes: every write fails")
    (tmp_path / "private").write_text("a file where the fallback's directory goes")
    elsewhere = tmp_path / "private" / "unwritten" / "tag"
    writer = LogWriter(tmp_path, logs.PREDICTIONS, "churn", fallback=elsewhere)
    writer.append(batch(0, 30))
    writer.close(deadline=time.monotonic())
    assert (writer.written, writer.saved_elsewhere, writer.lost) == (0, 0, 30)
    assert writer.closing_note is not None
    assert writer.closing_note.endswith(
        "(not a directory): 30 are lost, as they could not be saved there either (file exists)."
    )
