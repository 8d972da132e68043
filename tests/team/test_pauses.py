"""A writer frozen mid-write (a laptop suspended, a kernel stopped in a debugger) holds the
other writers up only until PostgreSQL ends its turn, and when it wakes its change is
refused whole: nothing of it is saved over what the others wrote meanwhile. Every session
a process opens on the catalog asks PostgreSQL for that limit where the server sets none,
whatever `options` the URL gives."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest

from jupyter_mlops import Registry
from jupyter_mlops.store import lake_pauses


def frozen(url: str, holding: Any, outcome: Any, reads: bool) -> None:
    """Change the model's description under the writer lock, then stop there until the test
    continues this process, then (`reads`) read once more, and commit; what the write ended
    with goes to `outcome`."""
    registry = Registry(url)
    try:
        with registry.db.write() as conn:
            conn.execute("UPDATE models SET description = 'written while frozen'")
            holding.set()
            os.kill(os.getpid(), signal.SIGSTOP)  # stopped here until the test continues it
            if reads:
                conn.execute("SELECT count(*) FROM versions").fetchone()
        outcome.put("saved")
    except Exception as exc:
        outcome.put(f"{type(exc).__name__}: {exc}")


def stopped(pid: int) -> None:
    """Return once the kernel reports process `pid` stopped (state T)."""
    deadline = time.monotonic() + 60
    while Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] != "T":
        assert time.monotonic() < deadline, "the writer did not stop"
        time.sleep(0.01)


@pytest.fixture
def pausing_role(postgres: Any) -> str:
    """A role whose sessions PostgreSQL ends after 2 s standing still in a transaction,
    as an administrator sets one with ALTER ROLE ... SET."""
    role = f"pauser_{uuid.uuid4().hex[:8]}"
    postgres.execute(f"CREATE ROLE {role} LOGIN SUPERUSER")
    postgres.execute(f"ALTER ROLE {role} SET {lake_pauses.SETTING} = '2s'")
    return role


@pytest.mark.parametrize("reads", [False, True], ids=["commits", "reads then commits"])
def test_a_frozen_writer_holds_the_others_up_only_until_postgresql_ends_its_turn(
    postgres, pausing_role, tmp_path, fitted, dataset, reads
):
    url = postgres.url(postgres.new_schema(), user=pausing_role)
    registry = Registry(url, data_path=tmp_path / "shared")
    X, y = dataset
    registry.register("churn", fitted, X=X, y=y)
    context = multiprocessing.get_context("forkserver")
    holding, outcome = context.Event(), context.Queue()
    process = context.Process(target=frozen, args=(url, holding, outcome, reads))
    process.start()
    try:
        assert holding.wait(120), "the writer did not take the lock"
        stopped(process.pid)  # holding the lock
        # waits in PostgreSQL's queue until the frozen writer's turn is ended
        Registry(url, lock_timeout=120).describe("churn", "written by a writer awake")
    finally:
        os.kill(process.pid, signal.SIGCONT)
    said = outcome.get(timeout=120)
    process.join(60)
    assert said.startswith("UnavailableError: "), said
    message = said.removeprefix("UnavailableError: ")
    assert "stood still for more than 2 s in the middle of a write" in message, message
    assert message.endswith("nothing of this change was saved, so run it again.")
    assert message.count(". ") == 0 and "\n" not in message  # one sentence
    described = Registry(url).models()
    assert [model.description for model in described] == ["written by a writer awake"]


def _session_limit(url: str) -> tuple[str, str]:
    """The limit, and the role, the writer lock's session of a registry at `url` has."""
    db = Registry(url).db
    with db.write():
        pass
    session = db._session()
    return (
        session.execute(f"SHOW {lake_pauses.SETTING}").fetchone()[0],
        session.execute("SELECT current_user").fetchone()[0],
    )


@pytest.mark.parametrize("form", ["keywords", "keywords with options", "uri", "uri with options"])
def test_sessions_ask_for_the_limit_where_the_server_sets_none_keeping_the_urls_options(
    postgres, tmp_path, form
):
    group = f"team_{uuid.uuid4().hex[:8]}"
    postgres.execute(f"CREATE ROLE {group} SUPERUSER")
    schema = postgres.new_schema()
    base = f"postgresql://postgres@127.0.0.1:{postgres.port}/mlops"
    url = {
        "keywords": postgres.url(schema),
        "keywords with options": postgres.url(schema, options=f"'-c role={group}'"),
        "uri": f"ducklake:postgres:{base} schema={schema}",
        "uri with options": f"ducklake:postgres:{base}?options=-crole%3D{group} schema={schema}",
    }[form]
    Registry(url, data_path=tmp_path / "shared")
    limit, role = _session_limit(url)
    assert limit == f"{lake_pauses.LIMIT_SECONDS // 60}min"
    assert role == (group if "options" in form else "postgres")


def test_a_limit_the_server_sets_is_kept(postgres, pausing_role, tmp_path):
    url = postgres.url(postgres.new_schema(), user=pausing_role)
    Registry(url, data_path=tmp_path / "shared")
    assert _session_limit(url)[0] == "2s"
    with psycopg.connect(postgres.conninfo("mlops", pausing_role)) as session:
        assert session.execute(f"SHOW {lake_pauses.SETTING}").fetchone()[0] == "2s"


@pytest.mark.parametrize(
    ("given", "asked"),
    [
        ("", " options='-c {setting}'"),
        ("host=h options=-crole=x", "host=h options='-crole=x -c {setting}'"),
        ("options='it\\'s' host=h", "options='it\\'s -c {setting}' host=h"),
        ("options=it\\'s", "options='it\\'s -c {setting}'"),
        (
            "postgresql://u@h/db?sslmode=disable",
            "postgresql://u@h/db?sslmode=disable&options=-c%20{uri}",
        ),
    ],
)
def test_the_limit_is_added_to_the_options_a_url_gives_as_postgresql_reads_them(given, asked):
    setting = f"{lake_pauses.SETTING}={lake_pauses.LIMIT_SECONDS * 1000}"
    uri = setting.replace("=", "%3D")
    assert lake_pauses.limited(given, 0) == asked.format(setting=setting, uri=uri)
    assert lake_pauses.limited(given, 2000) == given  # the server's own limit is kept
