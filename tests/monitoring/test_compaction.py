"""Compacting the logs: every row kept once, readers never see a half-moved day (crashes:
test_compaction_crashes.py)."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
import threading
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from jupyter_mlops.cli import main as cli
from jupyter_mlops.errors import InvalidArgumentError
from jupyter_mlops.monitoring import compaction, logs
from tests.conftest import logged_ids, wait_for

MODEL = "churn"
DAY = "2026-11-25"


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
    with pytest.raises(InvalidArgumentError, match="churm has no prediction or label log"):
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

    def compacted_while_read() -> bool:
        nonlocal compactions
        compactions += len(compaction.compact(tmp_path, MODEL))
        return compactions >= 20 and len(seen) >= 40

    wait_for(compacted_while_read, "20 compactions and 40 reads beside them")
    stop.set()
    for thread in threads:
        thread.join()
    assert problems == []
    assert ids_in(tmp_path) == sorted(written)


def test_compact_from_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    home = tmp_path / "registry"
    write(home, logs.PREDICTIONS, 4, day="2026-11-25")
    assert cli(["--home", str(home), "compact"]) == 0
    out = capsys.readouterr().out
    assert "churn" in out and "4 -> 1" in out
    assert re.search(r"\d+\.\d KB -> \d+\.\d KB", out), out  # small files in KB, not 0.0 MB
    assert cli(["--home", str(home), "compact", "nope"]) != 0


def log_batch(home: Path, inputs: dict[str, list], *, version: int, day: str) -> None:
    """One segment of two predictions of `version`, with these inputs, as a server logs it."""
    moments = pd.Series(pd.to_datetime([f"{day} 09:00", f"{day} 10:00"]))
    rows = logs.prediction_rows(
        pd.DataFrame(inputs),
        version=version,
        predictions=np.array([0, 1]),
        scores=np.array([0.2, 0.8]),
        timestamps=moments,
    )
    logs.write_segments(home, logs.PREDICTIONS, MODEL, rows)


def values_by_file(home: Path) -> dict[str, tuple]:
    """Every request's inputs, each with the type DuckDB reads it as, from its file alone."""
    found: dict[str, tuple] = {}
    for path in segments(home):
        for request_id, *cells in duckdb.execute(
            "SELECT __request_id__, active, typeof(active), plan, typeof(plan) "
            "FROM read_parquet(?)",
            [str(path)],
        ).fetchall():
            found[request_id] = tuple(cells)
    return found


def test_segments_of_two_schemas_are_merged_apart_and_keep_their_types(tmp_path: Path) -> None:
    """Version 1 logged `active` as booleans and `plan` as text; version 2, promoted the
    same day, logged both as numbers: merged together, one of them would change type."""
    for _ in range(3):
        log_batch(tmp_path, {"active": [True, False], "plan": ["a", "b"]}, version=1, day=DAY)
    for _ in range(2):
        log_batch(tmp_path, {"active": [1.0, 0.0], "plan": [2.0, 3.0]}, version=2, day=DAY)
    before = values_by_file(tmp_path)
    assert cli(["--home", str(tmp_path), "compact", MODEL]) == 0
    assert values_by_file(tmp_path) == before
    assert {cells[1::2] for cells in before.values()} == {
        ("BOOLEAN", "VARCHAR"),
        ("DOUBLE", "DOUBLE"),
    }
    assert len(segments(tmp_path)) == 2
    log_batch(tmp_path, {"active": [False, True], "plan": ["c", "d"]}, version=1, day=DAY)
    (again,) = compaction.compact(tmp_path, MODEL)  # a late one joins its own kind
    assert (again.files_before, again.files_after) == (2, 1) and len(segments(tmp_path)) == 2


def test_compaction_keeps_every_type_the_log_holds(tmp_path: Path) -> None:
    """Each column reads back with the type it was logged with, time zone, categories and
    durations included, from Arrow (pandas) as from DuckDB."""
    paris = pd.to_datetime(["2026-11-25 08:00", "2026-11-25 09:00"]).tz_localize("Europe/Paris")
    inputs = {
        "flag": [True, None],
        "text": ["a", None],
        "small": np.array([1, 2], dtype="int8"),
        "unsigned": np.array([1, 2**63], dtype="uint64"),
        "single": np.array([0.5, 1.5], dtype="float32"),
        "category": pd.Categorical(["x", "y"]),
        "local": paris,
        "nanos": pd.to_datetime(["2026-11-25 00:00:00.000000001", "2026-11-25 00:00:00.000000002"]),
        "taken": pd.to_timedelta([1.5, 2.0], unit="s"),
        "day": [date(2026, 11, 25), date(2026, 11, 26)],
        "amount": [Decimal("1.25"), None],
    }  # fmt: skip
    for _ in range(3):
        log_batch(tmp_path, inputs, version=1, day=DAY)
    first = segments(tmp_path)[0]
    schema = pq.read_schema(first).remove_metadata()
    rows = [row for path in segments(tmp_path) for row in pq.read_table(path).to_pylist()]
    described = duckdb.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(first)]).fetchall()
    assert [c.files_before for c in compaction.compact(tmp_path, MODEL)] == [3]
    (merged,) = segments(tmp_path)
    assert pq.read_schema(merged).remove_metadata() == schema
    assert pq.read_table(merged).to_pylist() == rows
    assert duckdb.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(merged)]).fetchall() == (
        described
    )


MODE_AT_RENAME = """
import os, stat, sys
from pathlib import Path

os.umask(0o022)  # a common default, which would leave a new file readable by all
seen = []


def note_mode(event, args):
    if event == "os.rename" and str(args[0]).endswith(".tmp"):
        seen.append(oct(stat.S_IMODE(os.stat(args[0]).st_mode)))


sys.addaudithook(note_mode)
from jupyter_mlops.monitoring import compaction

compaction.compact(Path(sys.argv[1]), "churn")
print(" ".join(seen))
"""


def test_the_merged_file_has_its_sources_mode_before_it_takes_its_name(tmp_path: Path) -> None:
    write(tmp_path, logs.PREDICTIONS, 4, day=DAY)
    assert {stat.S_IMODE(path.stat().st_mode) for path in segments(tmp_path)} == {0o600}
    done = subprocess.run(
        [sys.executable, "-c", MODE_AT_RENAME, str(tmp_path)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["0o600"]  # as it was renamed into place
    (merged,) = segments(tmp_path)
    assert stat.S_IMODE(merged.stat().st_mode) == 0o600


OWN_READER = """
import json, sys, traceback
from pathlib import Path
import duckdb
from jupyter_mlops.monitoring.compaction import holding

control = Path(sys.argv[1])
query = "SELECT count(*), count(DISTINCT __request_id__) FROM read_parquet(?)"
reads, failures = 0, []
while not (control / "stop").exists():
    try:
        with holding("churn") as held:  # the registry from $MLOPS_HOME
            rows, distinct = duckdb.execute(query, [held.predictions]).fetchone()
        if rows != distinct:
            failures.append(f"{rows} rows, {distinct} ids")
    except Exception:
        failures.append(traceback.format_exc(limit=1))
    reads += 1
    (control / "reads").write_text(str(reads))
print(json.dumps({"reads": reads, "failures": failures[:5]}), flush=True)
"""


def test_a_query_of_ones_own_inside_holding_never_meets_a_moved_file(tmp_path: Path) -> None:
    """A user's DuckDB query reads the log in another process while compactions merge and
    delete the files its glob matches."""
    home, control = tmp_path / "registry", tmp_path / "control"
    control.mkdir()
    start = len(write(home, logs.PREDICTIONS, 10, day=DAY))
    reader = subprocess.Popen(
        [sys.executable, "-c", OWN_READER, str(control)],
        env=dict(os.environ, MLOPS_HOME=str(home)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )

    def reads() -> int:
        text = (control / "reads").read_text() if (control / "reads").exists() else ""
        return int(text) if text.isdigit() else 0

    compactions, deadline = 0, time.monotonic() + 300
    while compactions < 5 or reads() < 50:
        assert reader.poll() is None and time.monotonic() < deadline, "the reader stopped"
        start += len(write(home, logs.PREDICTIONS, 5, day=DAY, start=start))
        compactions += len(compaction.compact(home, MODEL))
    (control / "stop").touch()
    out, err = reader.communicate(timeout=120)
    assert reader.returncode == 0, err[-2000:]
    report = json.loads(out.strip().splitlines()[-1])
    assert report["failures"] == [] and report["reads"] >= 50
