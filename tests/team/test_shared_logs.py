"""Prediction logs on a shared registry's data path: segments named per machine and process,
merges beside their sources under a lease in the catalog, readers that take no lock.

One catalog and data path serve the module (a shared registry costs seconds to make); each
test logs a model of its own.
"""

from __future__ import annotations

import random
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from jupyter_mlops import Monitor, Registry, operations
from jupyter_mlops.errors import InvalidArgumentError
from jupyter_mlops.monitoring import compaction, logs
from jupyter_mlops.monitoring.compaction import holding
from jupyter_mlops.store import leases
from jupyter_mlops.store.objects import Objects
from tests.conftest import logged_ids, wait_for
from tests.postgres import Cluster

DAY = "2026-11-25"
NOW = timedelta(0)  # a grace period over at once: what merges replaced goes at the next one
SEGMENT = re.compile(r"\d{8}T\d{12}-(?P<host>[A-Za-z0-9.]+)-\d+-[0-9a-f]+\.parquet")


@pytest.fixture(scope="module")
def shared(postgres: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Registry:
    data = tmp_path_factory.mktemp("shared") / "data"
    return Registry(postgres.url(postgres.new_schema()), data_path=data)


def write(
    home: Path | Objects, model: str, count: int, *, day: str = DAY, start: int = 0
) -> list[str]:
    """`count` one-row segments of `model`'s prediction log on `day`; their request ids."""
    ids = [f"{model}-{start + i:06d}" for i in range(count)]
    for position, request_id in enumerate(ids, start):
        rows = logs.prediction_rows(
            pd.DataFrame({"x": [float(position)]}),
            version=1,
            predictions=np.array([1]),
            scores=np.array([0.5]),
            request_ids=[request_id],
            timestamps=pd.Series([pd.Timestamp(f"{day} 12:00") + pd.Timedelta(seconds=position)]),
        )
        logs.write_segments(home, logs.PREDICTIONS, model, rows)
    return ids


def files(home: Path, model: str, pattern: str = "*.parquet") -> list[str]:
    directory = logs.model_directory(home, logs.PREDICTIONS, model)
    return sorted(path.name for path in directory.glob(f"date=*/{pattern}"))


def compact(registry: Registry, model: str, *, grace: timedelta = NOW) -> list[int]:
    """Compact `model`'s log; the rows each day's merges took."""
    done = compaction.compact(registry.home, model, catalog=registry.db, grace=grace)
    return [merged.rows for merged in done]


def test_segments_are_named_by_machine_and_process_where_a_file_keeps_its_names(
    shared: Registry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids: list[str] = []
    for host in ("alpha-1.example.com", "beta_2"):  # as processes on two machines would
        monkeypatch.setenv("MLOPS_HOSTNAME", host)
        ids += write(shared.home, "named", 2, start=len(ids))
    found = [SEGMENT.fullmatch(name) for name in files(shared.home, "named")]
    assert sorted(match["host"] for match in found if match) == [
        "alpha.1.example.com",
        "alpha.1.example.com",
        "beta.2",
        "beta.2",
    ]
    assert logged_ids(shared.home, "named") == ids
    write(tmp_path, "named", 1)  # a registry file's log: <time>-<pid>-<random>, as ever
    (name,) = files(tmp_path, "named")
    assert re.fullmatch(r"\d{8}T\d{12}-\d+-[0-9a-f]{8}\.parquet", name), name


def test_a_merge_stands_beside_its_sources_until_later_compactions_delete_them(
    shared: Registry, tmp_path: Path
) -> None:
    home, model = shared.home, "merged"
    ids = write(home, model, 3)
    sources = files(home, model)
    done = operations.compact(shared, model=model)  # what users run: 15 minutes' grace
    assert [(c.files_before, c.files_after, c.rows) for c in done] == [(3, 1, 3)]
    (first,) = set(files(home, model)) - set(sources)
    assert logged_ids(home, model) == ids
    ids += write(home, model, 2, start=3)
    assert compact(shared, model, grace=timedelta(hours=1)) == [3 + 2]  # merged again
    assert len(files(home, model)) == 7 and logged_ids(home, model) == ids
    # what a listing can meet while a compaction deletes the first sources, then the first
    # merge: some of those sources, and not the merge that replaced them
    raced = tmp_path / "raced"
    shutil.copytree(home / "logs", raced / "logs")
    (logs.model_directory(raced, logs.PREDICTIONS, model) / f"date={DAY}" / first).unlink()
    assert logged_ids(raced, model) == ids
    with holding(model, shared.location) as held:  # a query of one's own: no lock
        query = "SELECT count(*), count(DISTINCT __request_id__) FROM read_parquet(?)"
        assert duckdb.execute(query, [held.predictions]).fetchone() == (5, 5)
    assert compact(shared, model) == []  # deletes the first sources, then the first merge
    (merged,) = files(home, model)
    assert len(files(home, model, ".merged-*.done")) == 2 and logged_ids(home, model) == ids
    compact(shared, model)  # forgets the journals
    assert files(home, model, ".*") == [] and files(home, model) == [merged]
    assert logged_ids(home, model) == ids


def test_monitoring_reads_each_logged_row_once_beside_a_merge(
    shared: Registry, dataset: tuple[pd.DataFrame, pd.Series], fitted: LogisticRegression
) -> None:
    X, y = dataset
    shared.register("watched", fitted, X=X, y=y)
    monitor = Monitor(shared)
    for first in (0, 40):
        monitor.log_predictions("watched:1", X.iloc[first : first + 40])
    compact(shared, "watched", grace=timedelta(hours=1))
    assert len(files(shared.home, "watched")) == 2 + 1  # the merge beside its sources
    assert len(monitor.logged("watched:1")) == 80


def test_a_second_compactor_is_refused_while_the_lease_lives_and_takes_over_after(
    shared: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    home, model, name = shared.home, "leased", "compaction:leased"
    write(home, model, 3)
    monkeypatch.setenv("MLOPS_HOSTNAME", "elsewhere")
    first = leases.claim(shared.db, name, owner=leases.new_owner(), seconds=1)
    monkeypatch.delenv("MLOPS_HOSTNAME")
    with pytest.raises(InvalidArgumentError, match=r"is running on elsewhere \(process \d+\)"):
        compact(shared, model)
    assert len(files(home, model)) == 3
    wait_for(lambda: leases.holder(shared.db, name) is None, "the lease to expire", every=0.1)
    assert compact(shared, model) == [3]
    assert leases.renew(shared.db, first, seconds=60) is None  # its first holder lost it
    assert leases.holder(shared.db, name) is None  # and the second released it


CLAIM_AND_EXIT = """
import sys
from jupyter_mlops import Registry
from jupyter_mlops.store import leases
registry = Registry(sys.argv[1], data_path=sys.argv[2])
leases.claim(registry.db, "compaction:orphan", owner=leases.new_owner(), seconds=600)
"""


def test_a_compaction_that_ended_on_this_machine_holding_its_lease_is_said_to_have_ended(
    shared: Registry, subprocess_env: dict[str, str]
) -> None:
    """Its process is gone (killed, crashed): the next compaction is told so and when it may
    run, not that one is running."""
    write(shared.home, "orphan", 3)
    command = [sys.executable, "-c", CLAIM_AND_EXIT, shared.location, shared.data_path]
    subprocess.run(command, env=subprocess_env, check=True, timeout=120)
    ended = r"by process \d+ of this machine ended without giving its lease back"
    with pytest.raises(InvalidArgumentError, match=ended):
        compact(shared, "orphan")
    assert len(files(shared.home, "orphan")) == 3


def test_a_reader_never_sees_a_row_twice_or_missing_while_compactions_merge_and_delete(
    shared: Registry,
) -> None:
    home, model = shared.home, "busy"
    written, planned = write(home, model, 4), [4]
    reads, problems, stop = [0], [], threading.Event()

    def read() -> None:  # what a reader knows: at least `written`, at most `planned` rows
        while not stop.is_set():
            floor = len(written)
            try:
                found = logged_ids(home, model)
            except Exception as exc:
                problems.append(repr(exc))
                continue
            if len(set(found)) != len(found) or not floor <= len(found) <= planned[0]:
                problems.append(f"{len(found)} rows, {len(set(found))} ids, {floor} written")
            reads[0] += 1

    reader = threading.Thread(target=read)
    reader.start()
    deleted = 0
    try:
        while reads[0] < 300 or deleted < 10:
            assert reader.is_alive() and len(problems) == 0, problems[:3]
            planned[0] += 3
            written += write(home, model, 3, start=len(written))
            before = set(files(home, model))
            compact(shared, model, grace=timedelta(seconds=2))
            deleted += len(before - set(files(home, model)))
    finally:
        stop.set()
        reader.join()
    assert problems == [] and reads[0] >= 300
    assert logged_ids(home, model) == written


KILLED = """
import os, signal, sys
from datetime import timedelta
from jupyter_mlops import Registry
from jupyter_mlops.errors import InvalidArgumentError
from jupyter_mlops.monitoring import compaction

url, data, model, kill_at = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
registry = Registry(url, data_path=data)
moves = 0


def kill_at_a_move(event, args):  # each rename and delete of a file under the logs
    global moves
    if event in ("os.rename", "os.remove") and str(args[0]).startswith(data + "/logs/"):
        moves += 1
        if moves == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)


sys.addaudithook(kill_at_a_move)
print("ready", flush=True)
while True:
    try:
        compaction.compact(
            registry.home, model, catalog=registry.db, grace=timedelta(0), lease_seconds=1
        )
    except InvalidArgumentError:  # another holds the lease: until it expires, if it died
        continue
    print("compacted", flush=True)
"""


def compacting(home: Path, model: str, location: str, *, kill_at: int) -> subprocess.Popen[str]:
    """A child compacting `model`'s log over and over; killed by itself at its `kill_at`th
    move of a file (0: never)."""
    return subprocess.Popen(
        [sys.executable, "-c", KILLED, location, str(home), model, str(kill_at)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.slow
def test_compactions_killed_at_random_points_lose_and_double_no_row(shared: Registry) -> None:
    """Two child processes compact the log over and over, in turn (the lease), while this
    one logs: one is killed at a random move of a file (by an audit hook of its own), the
    other at a random moment once it has compacted (from here), and the survivor takes
    over once the dead one's lease expires. After each kill a reader sees every row once;
    compactions after both leave a file a day."""
    home, model, days = shared.home, "killed", ["2026-11-23", "2026-11-24", "2026-11-25"]
    seed = random.randrange(2**32)
    chance = random.Random(seed)
    hooked, outside = (
        compacting(home, model, shared.location, kill_at=at) for at in (chance.randint(1, 40), 0)
    )
    compacted = threading.Event()
    for child in (hooked, outside):
        assert child.stdout is not None and child.stdout.readline() == "ready\n", seed
    said = outside.stdout
    assert said is not None
    threading.Thread(target=lambda: compacted.set() if said.readline() else None).start()
    written: list[str] = []
    moment, alive = None, [hooked, outside]
    while alive:
        written += write(home, model, 1, day=days[len(written) % 3], start=len(written))
        if moment is None and compacted.is_set():
            moment = time.monotonic() + chance.uniform(0, 1)
        if moment is not None and time.monotonic() > moment and outside.poll() is None:
            outside.send_signal(signal.SIGKILL)
        for child in [child for child in alive if child.poll() is not None]:
            _, err = child.communicate(timeout=60)
            assert child.returncode == -signal.SIGKILL, (seed, err[-2000:])
            assert logged_ids(home, model) == sorted(written), seed
            alive.remove(child)
    name = f"compaction:{model}"
    wait_for(lambda: leases.holder(shared.db, name) is None, "the lease to expire", every=0.1)
    for _ in range(3):  # merge, then delete the sources, then forget the journals
        compact(shared, model)
    assert files(home, model, ".merged-*") == [], seed
    assert len(files(home, model)) == len(days), seed
    assert logged_ids(home, model) == sorted(written), seed
