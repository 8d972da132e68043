"""A shared registry's PostgreSQL stopping under a live process (a crash, a restart for
maintenance): the process says so in one sentence, stays alive, and works again once the
server is back. A notebook's kernel is such a process: losing it loses the notebook's state.

The server here is one of this module's own, since stopping it ends every session on it."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path

import psycopg
import pytest

from jupyter_mlops import Registry
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
        lambda: registry.promote("churn", 2),
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
        registry.register("churn", fitted.set_params(C=c).fit(X, y), X=X, y=y)
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


def waiting(session: psycopg.Connection) -> None:
    """Return once another session waits for a lock."""
    query = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
    while True:
        row = session.execute(query).fetchone()
        if row and row[0]:
            return
        session.execute("SELECT pg_sleep(0.05)")
