"""Three processes registering and promoting one model of a shared registry at once: no
version number given twice, none lost, every alias move recorded exactly once and in the
order it happened. A waiting writer queues in PostgreSQL and writes once the lock is let go;
one that waits past MLOPS_LOCK_TIMEOUT is told which role holds the lock, from which process
on which host."""

from __future__ import annotations

import multiprocessing
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from jupyter_mlops import Registry
from jupyter_mlops.config import machine
from jupyter_mlops.errors import RegistryBusyError
from jupyter_mlops.registry.events import AliasEvent

WRITERS = 3
SECONDS = 8.0


def writer(url: str, ready: Any, acks: Any) -> None:
    """Register a version and promote it, again and again for SECONDS once every writer is
    ready; the writes that returned go to `acks`."""
    from sklearn.datasets import load_iris
    from sklearn.dummy import DummyClassifier

    X, y = load_iris(return_X_y=True, as_frame=True)
    model = DummyClassifier().fit(X, y)
    registry = Registry(url)
    ready.wait()
    done: list[tuple[str, int]] = []
    until = time.monotonic() + SECONDS
    while time.monotonic() < until:
        version = registry.register("shared", model, X=X, y=y, force=True).version
        done.append(("version", version))
        moved = registry.promote("shared", version)
        assert isinstance(moved, AliasEvent)  # no other writer points it at this version
        done.append(("event", moved.id))
    acks.put(done)


def holder(url: str, holding: Any, release: Any) -> None:
    """Hold the registry's writer lock until `release` is set."""
    with Registry(url).db.write():
        holding.set()
        release.wait(120)


@pytest.fixture
def context() -> Any:
    found = multiprocessing.get_context("forkserver")
    found.set_forkserver_preload(["sklearn.dummy", "sklearn.datasets", "jupyter_mlops"])
    return found


@pytest.mark.slow
def test_three_writers_at_once_lose_nothing_and_repeat_nothing(lake_url, tmp_path, context):
    Registry(lake_url, data_path=tmp_path / "shared")
    ready, acks = context.Barrier(WRITERS + 1), context.Queue()
    processes = [context.Process(target=writer, args=(lake_url, ready, acks)) for _ in "abc"]
    for process in processes:
        process.start()
    ready.wait(120)
    done = [acks.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(60)
        assert process.exitcode == 0
    versions = [number for writes in done for kind, number in writes if kind == "version"]
    events = [number for writes in done for kind, number in writes if kind == "event"]
    assert all(writes for writes in done), "a writer wrote nothing"

    registry = Registry(lake_url)
    stored = [v.version for v in registry.versions("shared")]
    assert stored == list(range(1, len(stored) + 1))  # no gap, no number twice
    assert sorted(versions) == stored  # none lost, none given to two writers
    moves = [e for e in registry.history("shared") if isinstance(e, AliasEvent)]
    assert sorted(e.id for e in moves) == sorted(events)  # each move recorded exactly once
    moves.sort(key=lambda e: e.id)
    assert [e.from_version for e in moves] == [None] + [e.to_version for e in moves[:-1]]
    assert registry.model_aliases("shared") == {"champion": moves[-1].to_version}


def test_a_writer_waiting_past_the_lock_timeout_is_told_who_holds_it(
    lake_url, tmp_path, context, monkeypatch
):
    Registry(lake_url, data_path=tmp_path / "shared")
    holding, release = context.Event(), context.Event()
    process = context.Process(target=holder, args=(lake_url, holding, release))
    process.start()
    try:
        assert holding.wait(120), "the holder did not take the lock"
        monkeypatch.setenv("MLOPS_LOCK_TIMEOUT", "1")
        waiting = Registry(lake_url)
        with pytest.raises(RegistryBusyError) as busy:
            waiting.describe("churn", "waits for the lock")
    finally:
        release.set()
        process.join(60)
    message = str(busy.value)
    named = f"PostgreSQL role 'postgres' (process {process.pid} on {machine()}, "
    assert re.search(re.escape(f"locked by {named}") + r"PostgreSQL backend \d+\) for", message)
    assert "for more than 1 s" in message and "MLOPS_LOCK_TIMEOUT" in message


@contextmanager
def in_line(lake_url: str, context: Any, postgres: Any, write: Any) -> Iterator[threading.Thread]:
    """`write` run on a thread of this process while another process holds the writer lock,
    once PostgreSQL shows it waiting in line; the holder lets go when the block ends."""
    holding, release = context.Event(), context.Event()
    process = context.Process(target=holder, args=(lake_url, holding, release))
    process.start()
    waiter = threading.Thread(target=write)
    try:
        assert holding.wait(120), "the holder did not take the lock"
        waiter.start()
        queued = "SELECT count(*) FROM pg_locks WHERE NOT granted"
        while postgres.execute(queued) == [(0,)] and waiter.is_alive():
            time.sleep(0.01)  # until PostgreSQL shows the writer waiting in line
        yield waiter
    finally:
        release.set()
        process.join(60)
        waiter.join(60)


def test_a_waiting_writer_queues_for_the_lock_and_writes_once_it_is_let_go(
    lake_url, tmp_path, context, postgres, fitted
):
    registry = Registry(lake_url, data_path=tmp_path / "shared")
    done: list[int] = []
    write = lambda: done.append(registry.register("churn", fitted).version)  # noqa: E731
    with in_line(lake_url, context, postgres, write) as waiter:
        assert waiter.is_alive() and not done
    assert done == [1]


def test_a_writer_waiting_in_line_holds_up_no_other_thread_asking_who_it_is(
    lake_url, tmp_path, context, postgres, fitted
):
    """A thread of this process waits for the lock; another, opening the registry afresh (a
    server's request, say), learns its role and rights at once, not after that wait."""
    registry = Registry(lake_url, data_path=tmp_path / "shared", lock_timeout=600)
    asked: list[Any] = []
    with in_line(lake_url, context, postgres, lambda: registry.register("churn", fitted)) as waiter:
        fresh = Registry(lake_url).db
        asker = threading.Thread(
            target=lambda: asked.extend([fresh.role(), fresh.missing_rights()])
        )
        asker.start()
        asker.join(30)  # a bound for a broken system, which answers only once the holder
        assert asked == ["postgres", []]  # lets go (the waiter would wait 600 s for it)
        assert waiter.is_alive()


def first_opener(url: str, data_path: str, ready: Any, found: Any) -> None:
    """Open a shared registry nobody has opened yet, once every opener is ready."""
    ready.wait()
    try:
        found.put(("models", Registry(url, data_path=data_path).model_names()))
    except Exception as exc:  # what the test reports
        found.put((type(exc).__name__, str(exc)))


OPENERS = 8  # as a batch of jobs started together would


def test_processes_opening_a_new_shared_registry_at_once_all_open_the_one_catalog(
    postgres, tmp_path, context
) -> None:
    """The first processes to open a shared registry race to make its catalog: the ones that
    lose open the one the winner made (its tables and migrations made once)."""
    for attempt in range(3):
        url = postgres.url(schema := postgres.new_schema())
        ready, found = context.Barrier(OPENERS), context.Queue()
        args = (url, str(tmp_path / str(attempt)), ready, found)
        openers = [context.Process(target=first_opener, args=args) for _ in range(OPENERS)]
        for process in openers:
            process.start()
        outcomes = [found.get(timeout=120) for _ in openers]
        for process in openers:
            process.join(timeout=60)
        assert outcomes == [("models", [])] * OPENERS, outcomes
        made = postgres.execute(f"SELECT count(*) FROM {schema}.ducklake_metadata")
        assert made[0][0] > 0 and Registry(url).model_names() == []


def test_new_registries_made_at_once_with_one_folder_leave_it_to_one_of_them(
    postgres, tmp_path, context
) -> None:
    """Four new registries given one empty folder at the same moment: one takes it (its
    claim made before its catalog) and the others are refused in one sentence, so no two
    registries ever share a folder, whose files each would take for its own."""
    for attempt in range(2):
        urls = [postgres.url(postgres.new_schema()) for _ in range(4)]
        folder, ready, found = tmp_path / str(attempt), context.Barrier(4), context.Queue()
        openers = [
            context.Process(target=first_opener, args=(url, str(folder), ready, found))
            for url in urls
        ]
        for process in openers:
            process.start()
        outcomes = sorted(found.get(timeout=120) for _ in openers)
        for process in openers:
            process.join(timeout=60)
        assert outcomes[-1] == ("models", []), outcomes
        assert all(kind == "InvalidArgumentError" for kind, _ in outcomes[:3]), outcomes
        # told of the winner's claim, or of the registry it made meanwhile
        taken = ("is claimed by shared registry", "holds the files of shared registry")
        assert all(any(sign in said for sign in taken) for _, said in outcomes[:3]), outcomes
        made = [
            url
            for url in urls
            if postgres.execute(
                f"SELECT to_regclass('{schema_of(url)}.ducklake_metadata') IS NOT NULL"
            )[0][0]
        ]
        assert len(made) == 1 and Registry(made[0], data_path=folder).model_names() == []
        assert Registry(made[0]).model_names() == []  # the folder it was made with


def schema_of(url: str) -> str:
    return url.rsplit("schema=", 1)[1]
