"""Writers killed at random points, and what must hold after every kill: every write that
returned is there, version numbers run without a gap, and every table reads. Shared by the
crash tests of a registry file and of a shared registry."""

from __future__ import annotations

import multiprocessing
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

import jupyter_mlops as mlops
from jupyter_mlops import Registry
from jupyter_mlops.errors import MlopsError
from jupyter_mlops.registry.events import AliasEvent
from jupyter_mlops.tracking import Tracker

FEATURES = 4


def writer(home: str, acks: str, seed: int, ready: Any, force: bool = False) -> None:
    """Register, promote, roll back and track in a loop, noting every write that returned
    (`home`: a directory or a shared registry's URL; `force`: every registration a new
    version, not the one it repeats)."""
    from sklearn.datasets import load_iris
    from sklearn.ensemble import RandomForestClassifier

    rng = random.Random(seed)
    X, y = load_iris(return_X_y=True, as_frame=True)
    model = RandomForestClassifier(n_estimators=10, random_state=0).fit(X, y)
    registry = Registry(home)
    ready.set()
    with open(acks, "a", buffering=1) as noted:
        while True:
            action = rng.choice(["register", "promote", "rollback", "track"])
            try:
                if action == "register":
                    stored = registry.register("victim", model, X=X, y=y, force=force)
                    noted.write(f"version {stored.version}\n")
                elif action in ("promote", "rollback"):
                    latest = registry.get("victim").version
                    moved = (
                        registry.promote("victim", latest, "champion")
                        if action == "promote"
                        else registry.rollback("victim", "champion")
                    )
                    if isinstance(moved, AliasEvent):  # a move to where it points records none
                        noted.write(f"event {moved.id}\n")
                else:
                    with mlops.run("crash", registry=registry) as run:
                        for step in range(20):
                            run.log_metric("loss", 1.0 / (step + 1))
                    noted.write(f"run {run.id}\n")
            except MlopsError:
                continue  # no model or nothing to roll back yet: a refusal, not a crash


def every_table_reads(home: Path | str) -> None:
    """Every table of the registry reads: a registry file as DuckDB itself opens it, a shared
    registry's catalog (`home`: its URL) through a connection of the registry's."""
    if str(home).startswith("ducklake:"):
        with Registry(home).db.read() as conn:
            read_every_table(conn)
    else:
        with duckdb.connect(str(Path(home) / "registry.duckdb"), read_only=True) as conn:
            read_every_table(conn)


def read_every_table(conn: duckdb.DuckDBPyConnection) -> None:
    tables = conn.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()"
    ).fetchall()
    assert tables
    for (table,) in tables:
        conn.execute(f'SELECT * FROM "{table}"').fetchall()


def assert_whole(home: Path | str, acks: Path) -> None:
    """What must hold after every kill."""
    every_table_reads(home)
    registry = Registry(home)
    noted = [line.split() for line in acks.read_text().splitlines()]
    names = registry.model_names()
    versions = registry.versions("victim") if names else []
    numbers = [v.version for v in versions]
    events = {e.id for e in registry.history("victim")} if names else set()
    runs = (
        {r.id for r in Tracker(registry).runs("crash")}
        if any(k == "run" for k, _ in noted)
        else set()
    )
    assert numbers == list(range(1, len(numbers) + 1))
    for kind, value in noted:
        held = {"version": set(numbers), "event": events, "run": runs}[kind]
        assert int(value) in held, f"acknowledged {kind} {value} was lost"
    report = registry.verify()
    assert report.ok, report.problems
    with registry.db.read() as conn:  # each version's profile whole, and once
        profiled = conn.execute(
            "SELECT version, count(*) FROM profiles WHERE model = 'victim' GROUP BY version"
        ).fetchall()
    assert dict(profiled) == dict.fromkeys(numbers, FEATURES + 1)  # features, target


def wait_for_writes(acks: Path, count: int, process: Any) -> None:
    """Until the writer has acknowledged `count` more writes."""
    target = len(acks.read_text().splitlines()) + count
    deadline = time.monotonic() + 120
    while len(acks.read_text().splitlines()) < target:
        assert process.is_alive() and time.monotonic() < deadline, "the writer stopped writing"
        time.sleep(0.01)


def kill_writers(
    home: str, acks: Path, *, kills: int, after: Callable[[], None], force: bool = False
) -> None:
    """`kills` times: start a writer on `home`, let it acknowledge a few writes, kill it
    (SIGKILL) at a random point in the writes that follow, then run `after`."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["sklearn.ensemble", "sklearn.datasets", "jupyter_mlops"])
    acks.touch()
    rng = random.Random(11)
    for _ in range(kills):
        ready = context.Event()
        process = context.Process(target=writer, args=(home, str(acks), rng.random(), ready, force))
        process.start()
        assert ready.wait(120), "the writer did not start"
        wait_for_writes(acks, rng.randrange(3), process)
        time.sleep(rng.uniform(0.0, 0.3))  # lands anywhere in the writes that follow
        process.kill()
        process.join()
        after()
