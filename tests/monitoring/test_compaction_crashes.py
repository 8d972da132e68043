"""Compactions killed at every step, and crashed ones recovered, while readers read.

A compaction is killed with SIGKILL by an audit hook (`sys.addaudithook`) installed in its
own process: the hook sees each file event Python raises (`open`, `os.rename`,
`os.remove`) and kills the process just before the chosen one, so the code runs as it is
and the kill lands exactly where asked. Other trials kill at random moments from outside.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from datetime import date, timedelta
from pathlib import Path

import pytest

from jupyter_mlops.monitoring import compaction, logs
from jupyter_mlops.registry.artifacts import write_file
from tests.conftest import wait_for
from tests.monitoring.test_compaction import MODEL, ids_in, segments, write

DAY = "2026-11-25"

KILLED = """
import os, signal, sys
from pathlib import Path

home, within, point, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
STEPS = {  # the file event that starts each step of a compaction
    "journal": lambda event, path: event == "open" and "/.incoming-" in path,
    "rename": lambda event, path: event == "os.rename" and path.endswith(".tmp"),
    "delete": lambda event, path: event == "os.remove" and path.endswith(".parquet"),
    "forget": lambda event, path: event == "os.remove" and path.endswith(".json"),
    "event": lambda event, path: event in ("open", "os.rename", "os.remove"),
}
seen = 0


def kill_at_step(event, args):
    global seen
    if args and isinstance(args[0], (str, os.PathLike)) and str(args[0]).startswith(within):
        if STEPS[point](event, str(args[0])):
            seen += 1
            if seen == count:
                os.kill(os.getpid(), signal.SIGKILL)


from jupyter_mlops.monitoring import compaction

print("ready", flush=True)
sys.addaudithook(kill_at_step)
compaction.compact(Path(home), "churn")
"""

READER = """
import json, sys
from pathlib import Path
import duckdb
from jupyter_mlops.monitoring import compaction, logs

home, control = Path(sys.argv[1]), Path(sys.argv[2])
written, planned, stop = control / "written", control / "planned", control / "stop"
query = "SELECT count(*), count(DISTINCT __request_id__) FROM read_parquet(?)"
segments = logs.pattern(home, "predictions", "churn")
reads, problems = 0, []
while not stop.exists():
    floor = int(written.read_text())
    with compaction.reading(home, "churn"):
        rows, distinct = duckdb.execute(query, [segments]).fetchone()
    ceiling = int(planned.read_text())
    reads += 1
    if rows != distinct or not floor <= rows <= ceiling:
        problems.append(f"read {reads}: {rows} rows, {distinct} ids, {floor} to {ceiling} written")
    if reads == 1:
        print("reading", flush=True)
print(json.dumps({"reads": reads, "problems": problems[:20]}), flush=True)
"""


def killed(home: Path, point: str, count: int, *, within: Path | None = None) -> int:
    """Run a compaction that is SIGKILLed at the `count`th event of `point` on a file under
    `within` (anywhere in `home` by default); its exit code."""
    place = str(within or home)
    done = subprocess.run(
        [sys.executable, "-c", KILLED, str(home), place, point, str(count)], capture_output=True
    )
    assert done.returncode in (0, -signal.SIGKILL), done.stderr.decode()[-2000:]
    return done.returncode


def debris(home: Path) -> list[str]:
    return sorted(path.name for path in home.glob("logs/*/*/date=*/.compaction-*"))


@pytest.mark.parametrize(
    ("point", "count", "left"),
    [
        ("journal", 1, ["tmp"]),  # the merged copy written, no journal yet
        ("rename", 1, ["json", "tmp"]),  # the journal written, the merged file not in place
        ("delete", 1, ["json"]),  # the merged file in place beside every source
        ("delete", 7, ["json"]),  # halfway through deleting the sources
        ("forget", 1, ["json"]),  # every source deleted, the journal not yet
    ],
)
def test_a_compaction_killed_at_each_step_loses_and_doubles_nothing(
    tmp_path: Path, point: str, count: int, left: list[str]
) -> None:
    ids = write(tmp_path, logs.PREDICTIONS, 12, day=DAY)
    assert killed(tmp_path, point, count) == -signal.SIGKILL
    assert sorted(name.rsplit(".", 1)[1] for name in debris(tmp_path)) == left
    assert ids_in(tmp_path) == ids  # a reader finishes a move the merged file started
    compaction.compact(tmp_path, MODEL)  # the next compaction finishes or undoes the rest
    assert debris(tmp_path) == []
    assert ids_in(tmp_path) == ids and len(segments(tmp_path)) == 1


def opened_for_reading(fifo: Path) -> int | None:
    """A writing end of `fifo` once a process has opened it to read, else None."""
    try:
        return os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
    except OSError:
        return None


def waiting_for_lock(path: Path) -> bool:
    """Whether some process waits to take a lock on `path` (the kernel's /proc/locks)."""
    inode = f":{path.stat().st_ino} "
    return any(
        "->" in line and inode in line for line in Path("/proc/locks").read_text().splitlines()
    )


def test_a_reader_waits_while_a_compaction_recovers_a_crashed_one(tmp_path: Path) -> None:
    """The second compaction is held inside its recovery of the first one's journal (the
    journal is a FIFO the test fills once a reader has started), and a reader reads."""
    ids = write(tmp_path, logs.PREDICTIONS, 6, day=DAY)
    assert killed(tmp_path, "delete", 1) == -signal.SIGKILL
    assert len(segments(tmp_path)) == 7  # the merged file in place beside its six sources
    (journal,) = segments(tmp_path)[0].parent.glob(".compaction-*.json")
    record = journal.read_bytes()
    journal.unlink()
    os.mkfifo(journal)
    second = subprocess.Popen(
        [sys.executable, "-m", "jupyter_mlops.cli", "--home", str(tmp_path), "compact", MODEL],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    seen: list[list[str]] = []
    reader = threading.Thread(target=lambda: seen.append(ids_in(tmp_path)))
    try:
        writing = wait_for(
            lambda: opened_for_reading(journal), "the compaction to read", every=0.005
        )
        assert isinstance(writing, int)
        reader.start()
        lock = tmp_path / "logs" / "locks" / f"{MODEL}.log.lock"
        wait_for(lambda: not reader.is_alive() or waiting_for_lock(lock), "the reader", every=0.005)
        with os.fdopen(writing, "wb") as fifo:
            fifo.write(record)
        _, err = second.communicate(timeout=120)
    finally:
        if second.poll() is None:
            second.kill()
            second.wait()
    reader.join(timeout=120)
    assert second.returncode == 0, err.decode()[-2000:]
    assert seen == [ids]  # not the merged file and its sources both
    assert debris(tmp_path) == [] and len(segments(tmp_path)) == 1


def start_compaction(home: Path) -> subprocess.Popen[str]:
    """A compaction that will not be killed by its own hook, once it has said it is ready."""
    process = subprocess.Popen(
        [sys.executable, "-c", KILLED, str(home), str(home), "event", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stdout.readline() == "ready\n"
    return process


@pytest.mark.slow
def test_compactions_killed_anywhere_never_show_a_reader_a_row_twice_or_not_at_all(
    tmp_path: Path,
) -> None:
    """Each trial adds a day of three segments and kills a compaction in it; what earlier
    trials left is recovered by the reader or by a later compaction, whichever comes first."""
    home = tmp_path / "registry"
    written: list[str] = []

    def add_day() -> Path:  # the reader knows at least `written` and at most `planned` rows
        day = str(date(2026, 1, 1) + timedelta(days=len(written) // 3))
        write_file(tmp_path / "planned", str(len(written) + 3).encode())
        written.extend(write(home, logs.PREDICTIONS, 3, day=day, start=len(written)))
        write_file(tmp_path / "written", str(len(written)).encode())
        return logs.model_directory(home, logs.PREDICTIONS, MODEL) / f"date={day}"

    add_day()
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(home), str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert reader.stdout is not None and reader.stdout.readline() == "reading\n"
    targeted = [("journal", 1), ("rename", 1), ("delete", 1), ("delete", 2), ("forget", 1)]
    for point, at in targeted:
        assert killed(home, point, at, within=add_day()) == -signal.SIGKILL, (point, at)
    for sweep in range(1, 40):  # then at each file event of a day's compaction in turn
        if killed(home, "event", sweep, within=add_day()) == 0:
            break
    assert 8 < sweep < 40, sweep  # the last trial outlived its day's every event
    shuffle = random.Random(20261125)
    for _ in range(6):  # and at random moments: in DuckDB's copy, in a recovery, anywhere
        add_day()
        process = start_compaction(home)
        time.sleep(shuffle.uniform(0, 0.3))
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=120)
    compaction.compact(home, MODEL)
    (tmp_path / "stop").touch()
    out, err = reader.communicate(timeout=120)
    assert reader.returncode == 0, err[-2000:]
    report = json.loads(out.strip().splitlines()[-1])
    assert report["problems"] == []
    assert report["reads"] > 20
    days = len(written) // 3
    assert debris(home) == [] and len(segments(home)) == days
    assert ids_in(home) == sorted(written)
