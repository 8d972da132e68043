"""A shared registry's PostgreSQL stopping under a live process (a crash, a restart for
maintenance): the process says so in one sentence, stays alive, and works again once the
server is back. A notebook's kernel is such a process: losing it loses the notebook's state.

The server here is one of this module's own, since stopping it ends every session on it."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sklearn.base import clone

from jupyter_mlops import Registry
from jupyter_mlops.automation import finishing
from jupyter_mlops.errors import UnavailableError
from tests import postgres

# a process that opens the registry, writes and reads while the server stops,
# then writes once more after it is started again
PROCESS = textwrap.dedent(
    """
    import sys
    from jupyter_mlops import Registry
    from jupyter_mlops.errors import MlopsError

    registry = Registry(sys.argv[1], data_path=sys.argv[2])
    registry.models()
    print("ready", flush=True)
    sys.stdin.readline()
    for attempt in (  # the first waits on a lock in PostgreSQL, which is stopped meanwhile
        lambda: registry.describe("churn", "held up"),
        lambda: registry.versions("churn"),
        lambda: registry.promote("churn", 2),
    ):
        try:
            attempt()
        except MlopsError as exc:
            print(type(exc).__name__, str(exc).splitlines()[0], flush=True)
    print("stopped", flush=True)
    sys.stdin.readline()  # the server is started again meanwhile
    registry.promote("churn", 2, reason="after the restart")
    print("champion", registry.model_aliases("churn")["champion"], flush=True)
    """
)


@pytest.fixture(scope="module")
def server() -> Iterator[postgres.Cluster]:
    with postgres.cluster() as found:
        yield found


# where the first write is held up when the server stops: at its first read of the catalog
# (EXCLUSIVE lets reads by, not writes), or as it commits; what it says of that write
HELD_UP = {
    "ACCESS EXCLUSIVE": "could not be reached",
    "EXCLUSIVE": "stopped answering as this change was saved",
}


@pytest.mark.parametrize("mode", list(HELD_UP))
def test_a_process_outlives_its_postgresql_stopping_and_works_once_it_is_back(
    server: postgres.Cluster, tmp_path: Path, fitted, dataset, mode: str
) -> None:
    X, y = dataset
    schema = server.new_schema()
    url = server.url(schema)
    registry = Registry(url, data_path=tmp_path / "shared")
    for c in (1.0, 0.5):
        registry.register("churn", clone(fitted).set_params(C=c).fit(X, y), X=X, y=y)
    registry.promote("churn", 1)
    process = subprocess.Popen(
        [sys.executable, "-c", PROCESS, url, str(tmp_path / "shared")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert process.stdin is not None and process.stdout is not None
    try:
        assert process.stdout.readline().strip() == "ready"
        holder = psycopg.connect(server.conninfo("mlops"))  # ended by the server's stop
        # DuckLake's transaction reads the snapshots first and adds one as it commits: held
        # up at either, the process's transaction has begun in PostgreSQL when it stops
        holder.execute(f"LOCK TABLE {schema}.ducklake_snapshot IN {mode} MODE")
        process.stdin.write("go\n")
        process.stdin.flush()
        waiting(holder)
        server.stop("immediate")
        said = [process.stdout.readline().strip() for _ in range(4)]
        server.start()
        with suppress(BrokenPipeError):  # ended already: its exit status says how
            process.stdin.write("go\n")
            process.stdin.flush()
        out, err = process.communicate(timeout=120)
    finally:
        process.kill()
    assert process.returncode == 0, err[-2000:]  # not aborted (-6), which would kill a kernel
    assert said[-1] == "stopped", said
    assert all(line.startswith("UnavailableError the shared registry") for line in said[:3]), said
    assert HELD_UP[mode] in said[0], said
    assert all("could not be reached" in line for line in said[1:3]), said
    assert out.strip() == "champion 2"
    events = Registry(url).history("churn")
    assert [event.to_version for event in events] == [1, 2]


@pytest.mark.parametrize("call", ["read", "write"])
def test_a_call_whose_session_postgresql_ends_midway_says_so_and_the_next_works(
    server: postgres.Cluster, tmp_path: Path, fitted, call: str
) -> None:
    """PostgreSQL ends a session under a call (an administrator, a failover): the call says
    it was broken off and kept nothing, not to check the URL, and the next call works."""
    schema = server.new_schema()
    registry = Registry(server.url(schema), data_path=tmp_path / "shared")
    registry.register("churn", fitted)
    calls = {
        "read": lambda: registry.history("churn"),
        "write": lambda: registry.promote("churn", 1, reason="held up"),
    }
    calls["read"]()  # an engine is kept, the catalog attached to it
    holder = psycopg.connect(server.conninfo("mlops"))
    holder.execute(f"LOCK TABLE {schema}.ducklake_data_file IN ACCESS EXCLUSIVE MODE")
    with ThreadPoolExecutor(1) as pool:
        asked = pool.submit(calls[call])
        waiting(holder)
        server.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        )
        with pytest.raises(UnavailableError) as broke:
            asked.result(timeout=120)
    holder.close()
    message = str(broke.value)
    assert "broke off this call" in message and "nothing of the call was kept" in message
    assert "check that PostgreSQL runs" not in message and "\n" not in message, message
    assert [event.reason for event in registry.history("churn")] == []
    calls[call]()
    kept = ["held up"] if call == "write" else []
    assert [event.reason for event in registry.history("churn")] == kept


def test_a_port_where_something_else_answers_says_to_check_the_urls_host_and_port(
    tmp_path: Path,
) -> None:
    """A program that is not PostgreSQL takes the connection and closes it, as a restarting
    server does: the sentence says both, and what to check if it never answers."""
    import socket

    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def close_each() -> None:
        with suppress(OSError):
            while True:
                listener.accept()[0].close()

    threading.Thread(target=close_each, daemon=True).start()
    url = f"ducklake:postgres:host=127.0.0.1 port={port} dbname=mlops user=alice"
    try:
        with pytest.raises(UnavailableError) as refused:
            Registry(url, data_path=tmp_path / "shared")
    finally:
        listener.close()
    message = str(refused.value)
    assert "check the URL's host and port" in message and "\n" not in message, message
    assert not (tmp_path / "shared").exists()


def waiting(session: psycopg.Connection) -> None:
    """Return once another session waits for a lock."""
    query = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
    while True:
        row = session.execute(query).fetchone()
        if row and row[0]:
            return
        session.execute("SELECT pg_sleep(0.05)")


# a process of three threads, two reading and one promoting, without end; on `after N` it
# answers once N calls have succeeded, and on `end` it stops them and says what failed
THREADED = textwrap.dedent(
    """
    import sys, threading
    from jupyter_mlops import Registry
    from jupyter_mlops.errors import MlopsError

    registry = Registry(sys.argv[1], data_path=sys.argv[2])
    done = threading.Condition()
    state = {"ok": 0, "failed": set(), "stop": False}

    def work(promotes):
        turn = 0
        while not state["stop"]:
            turn += 1
            try:
                registry.versions("churn")
                if promotes:
                    registry.promote("churn", 1 + turn % 2, reason="round")
            except MlopsError as exc:
                said = str(exc)
                state["failed"].add(f"{type(exc).__name__} {len(said.splitlines())} {said}")
                continue
            except Exception as exc:  # not one sentence: reported as it is
                state["failed"].add(f"RAW {type(exc).__name__}: {exc}")
                continue
            with done:
                state["ok"] += 1
                done.notify_all()

    threads = [threading.Thread(target=work, args=(n == 0,)) for n in range(3)]
    for thread in threads:
        thread.start()
    for line in sys.stdin:
        word, *count = line.split()
        if word == "after":
            with done:
                done.wait_for(lambda: state["ok"] >= int(count[0]))
                print(state["ok"], flush=True)
        else:
            break
    state["stop"] = True
    for thread in threads:
        thread.join()
    print("\\n".join(sorted(state["failed"])), flush=True)
    """
)
RESTARTS = 12


def test_a_process_whose_threads_use_the_registry_outlives_postgresql_restarting(
    server: postgres.Cluster, tmp_path: Path, fitted, dataset
) -> None:
    """DuckDB's own failure after PostgreSQL restarts under busy threads (an engine it
    invalidates) costs one call an error, never the process."""
    process = started(server, tmp_path, fitted, dataset, THREADED)
    assert process.stdin is not None and process.stdout is not None
    succeeded = 0
    try:
        for _ in range(RESTARTS):
            succeeded = asked(process, f"after {succeeded + 30}")  # all three at work
            server.stop("immediate")
            server.start()
        succeeded = asked(process, f"after {succeeded + 30}")  # and at work again after
        out, err = process.communicate("end\n", timeout=120)
    finally:
        process.kill()
    assert process.returncode == 0, err[-2000:]  # not aborted (-6), which would kill a kernel
    failures = out.strip().splitlines()
    assert not [
        line
        for line in failures
        if not line.startswith(("UnavailableError 1 ", "RegistryBusyError 1 "))
    ], failures
    assert all("the shared registry" in line for line in failures), failures


def started(
    server: postgres.Cluster, tmp_path: Path, fitted, dataset, script: str
) -> subprocess.Popen[str]:
    """`script` running in a process of its own on a new registry holding two versions of
    churn (given the URL and the data path)."""
    X, y = dataset
    url = server.url(server.new_schema())
    registry = Registry(url, data_path=tmp_path / "shared")
    for c in (1.0, 0.5):
        registry.register("churn", clone(fitted).set_params(C=c).fit(X, y), X=X, y=y)
    return subprocess.Popen(
        [sys.executable, "-c", script, url, str(tmp_path / "shared")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def asked(process: subprocess.Popen[str], question: str) -> int:
    """What the process answers to `question` (a count it has reached)."""
    assert process.stdin is not None and process.stdout is not None
    with suppress(BrokenPipeError):  # ended: its error output says why
        process.stdin.write(question + "\n")
        process.stdin.flush()
    answer = process.stdout.readline()
    assert process.stderr is not None
    assert answer.strip().isdigit(), answer or process.stderr.read()[-2000:]  # ended: why
    return int(answer)


# a process that reads and writes, then, once PostgreSQL was restarted while it was idle,
# reads and writes again
IDLE = textwrap.dedent(
    """
    import sys
    from jupyter_mlops import Registry

    registry = Registry(sys.argv[1], data_path=sys.argv[2])
    registry.promote("churn", 1)
    print(len(registry.versions("churn")), flush=True)
    sys.stdin.readline()  # PostgreSQL restarts meanwhile
    print(len(registry.versions("churn")), flush=True)
    registry.promote("churn", 2, reason="after the restart")
    print(registry.model_aliases("churn")["champion"], flush=True)
    """
)


def test_the_first_calls_after_postgresql_restarted_under_an_idle_process_work(
    server: postgres.Cluster, tmp_path: Path, fitted, dataset
) -> None:
    """A kernel left open over a database restart for maintenance reads and writes on, its
    connections made anew, without one call failing first."""
    process = started(server, tmp_path, fitted, dataset, IDLE)
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "2"
        server.stop("fast")
        server.start()
        out, err = process.communicate("go\n", timeout=120)
    finally:
        process.kill()
    assert process.returncode == 0, err[-2000:]
    assert out.split() == ["2", "2"]


def test_a_model_server_serves_through_an_outage_and_its_health_says_so(
    server: postgres.Cluster, tmp_path: Path, fitted, dataset
) -> None:
    """While PostgreSQL is down a model server answers with the version it loaded, and its
    /health says it is degraded since when; once PostgreSQL is back it follows the alias
    again, and says ok."""
    from jupyter_mlops.deploying import deploy, undeploy
    from tests.conftest import free_port

    X, y = dataset
    registry = Registry(server.url(server.new_schema()), data_path=tmp_path / "shared")
    registry.register("churn", fitted, X=X, y=y)
    registry.promote("churn", 1)
    started = deploy(registry, "churn@champion", port=free_port())
    try:
        assert health(started.url, lambda said: said["alias"]["looks"] > 0)["status"] == "ok"
        server.stop("immediate")
        try:
            said = health(started.url, lambda said: said["status"] == "degraded")
            assert said["reason"].startswith("the registry could not be reached since ")
            assert said["alias"]["unreachable_since"] is not None
            assert predicted(started, X.iloc[:3]) == 3  # served all the same
        finally:
            server.start()
        said = health(started.url, lambda said: said["status"] == "ok")
        assert said["alias"]["unreachable_since"] is None and said["version"] == 1
    finally:
        undeploy(registry, started.id)


def health(url: str, until: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    """The server's /health once `until` holds of it (asked again as each answer comes)."""
    while True:
        with urllib.request.urlopen(f"{url}/health", timeout=30) as answer:
            said = json.loads(answer.read())
        if until(said):
            return said


def predicted(started: Any, rows: Any) -> int:
    """How many rows the server answered."""
    request = urllib.request.Request(
        f"{started.url}/predict",
        data=json.dumps({"records": rows.to_dict("records")}).encode(),
        headers={"Authorization": f"Bearer {started.token}"},
    )
    with urllib.request.urlopen(request, timeout=60) as answer:
        return len(json.loads(answer.read())["predictions"])


def test_a_job_finishing_while_postgresql_is_away_waits_for_it(server, tmp_path, fitted):
    """A job's runner records how its notebook ended once PostgreSQL is back, rather than
    leaving its row `running` (and, once the runner has gone, `crashed`)."""
    registry = Registry(server.url(server.new_schema()), data_path=tmp_path / "shared")
    registry.register("churn", fitted)
    tries: list[int] = []
    asked_again = threading.Event()
    read: list[list[str]] = []

    def ask() -> list[str]:
        tries.append(1)
        if len(tries) == 2:  # asked, refused, and asked again
            asked_again.set()
        return registry.model_names()

    def finish() -> None:  # as a job's runner reads what its notebook recorded
        read.append(finishing.patiently(registry, 1, ask, ended="passed"))

    server.stop("fast")
    thread = threading.Thread(target=finish)
    try:
        thread.start()
        assert asked_again.wait(60), "it did not ask again"
    finally:
        server.start()
    thread.join(120)
    assert read == [["churn"]]
