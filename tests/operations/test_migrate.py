"""`migrate` copies a whole registry, folder to shared registry and back: every table with
its ids and recorded users, every artifact, every logged row; verified, and run again it
copies nothing. A target holding other rows under the same keys is refused untouched; a
damaged artifact in the source fails verification. The source's servers, whose records are
copied, stay the source's: the copy lists them as copied and never stops them."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys

import numpy as np
import pandas as pd
import psycopg
import pytest
from sklearn.linear_model import LogisticRegression

from jupyter_mlops import Monitor, Registry, Tracker, operations
from jupyter_mlops.cli import main
from jupyter_mlops.errors import ConflictError, InvalidArgumentError, VerificationError
from jupyter_mlops.monitoring import logs
from jupyter_mlops.store import catalog
from jupyter_mlops.store.connection import analytics_cursor
from jupyter_mlops.store.copying import OWN_TABLES
from tests.conftest import copied, free_port, wait_for
from tests.postgres import respelt

VERSIONS = 100
USER = "alice"


def features(count: int, *, seed: int) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(count, 3)), columns=["a", "b", "c"])
    return X, (X["a"] + rng.normal(scale=0.5, size=count) > 0).astype(int)


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Registry:
    """A registry file a team has used for a while, made once for the module: 100 versions
    of churn (2 registered; the other 98 written in one transaction by the function every
    registration writes with: registering 100 one by one takes 20 s), its champion moved
    several times, a run with metrics and an artifact, a check under an alert rule, and two
    days of logged predictions and labels; recorded as MLOPS_USER=alice."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLOPS_USER", USER)
        registry = Registry(tmp_path_factory.mktemp("source") / "registry")
        (X, y), (held, y_held) = features(120, seed=1), features(60, seed=2)
        for C in (1.0, 0.1):
            model = LogisticRegression(C=C).fit(X, y)
            registry.register("churn", model, X=X, y=y, reference=(held, y_held))
        with registry.db.write() as conn:
            second = catalog.get_version(conn, "churn", 2)
            assert second is not None
            for number in range(3, VERSIONS + 1):
                metrics = json.dumps({"auc": 0.8 + number / 1000})
                catalog.insert_version(conn, second | {"version": number, "metrics": metrics})
        for number in (1, 2, 3):
            registry.promote("churn", number, "champion", reason=f"try {number}")
        registry.rollback("churn", reason="3 was worse")
        registry.archive("churn", 50, reason="never used")
        with Tracker(registry).run("train") as run:
            for step in range(5):
                run.log_metric("loss", 1 / (step + 1), step=step)
            run.log_artifact("notes", "trained on 120 rows")
        operations.add_alert(registry, ref="churn@champion", expression="drift.share > 0.5")
        check = operations.check(registry, ref="churn@champion", current=held)
        registry.promote("churn", 1, "challenger", evidence={"check": check.check_id})
        times = pd.Series(pd.date_range("2026-11-20 12:00", periods=len(held), freq="30min"))
        logged = Monitor(registry).log_predictions("churn@champion", held, timestamps=times)
        Monitor(registry).log_labels("churn", logged, y_held)
    return registry


def tables(registry: Registry) -> dict[str, pd.DataFrame]:
    """Every table's rows, in one order (but those each registry keeps of its own)."""
    with registry.db.read() as conn:
        names = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_catalog = "
            "current_database() AND table_schema = current_schema() ORDER BY table_name"
        ).fetchall()
        return {
            name: conn.execute(f"SELECT * FROM {name} ORDER BY ALL").df()
            for (name,) in names
            if name not in OWN_TABLES
        }


def assert_same_tables(one: Registry, other: Registry) -> None:
    mine, theirs = tables(one), tables(other)
    assert list(mine) == list(theirs)
    for name, rows in mine.items():
        pd.testing.assert_frame_equal(rows, theirs[name], obj=name)


def logged(registry: Registry) -> dict[str, pd.DataFrame]:
    """Every logged row of churn, by log, in request order."""
    found = {}
    with analytics_cursor() as conn:
        for kind in (logs.PREDICTIONS, logs.LABELS):
            glob = logs.pattern(registry.home, kind, "churn")
            found[kind] = conn.execute(
                "SELECT * FROM read_parquet(?, union_by_name = true, hive_partitioning = false) "
                "ORDER BY ALL",
                [glob],
            ).df()
    return found


def test_a_registry_goes_to_a_shared_one_and_back_whole(source, lake_url, tmp_path):
    shared = Registry(lake_url, data_path=tmp_path / "shared")
    copied = operations.migrate(source, shared)
    assert copied.verified and copied.rows_copied == sum(t.rows for t in copied.tables)
    assert {t.name: t.rows for t in copied.tables}["versions"] == VERSIONS
    assert (copied.artifacts, copied.artifacts_copied) == (5, 5)  # 2 models, 2 references, notes
    assert {log.kind: log.copied for log in copied.logs} == {"predictions": 60, "labels": 60}
    assert "verified" in str(copied)
    assert json.loads(json.dumps(copied.to_dict())) == copied.to_dict()
    # history is copied, not made again: who moved the alias is who did, not the catalog role
    moves = [(event.to_version, event.moved_by) for event in shared.history("churn", "champion")]
    assert moves == [(number, USER) for number in (1, 2, 3, 2)]
    assert shared.get("churn@champion").version == 2 and shared.load("churn@challenger")

    again = operations.migrate(source, shared)
    assert not again.copied_anything and str(again).startswith("nothing to copy")

    back = Registry(tmp_path / "back")
    operations.migrate(shared, back)
    assert_same_tables(source, back)
    evidence = back.history("churn", "challenger")[-1].evidence
    assert back.get("churn@challenger").version == 1 and evidence == {"check": 1}
    assert back.load("churn@champion").get_params()["C"] == 0.1
    for kind, rows in logged(source).items():
        pd.testing.assert_frame_equal(rows, logged(back)[kind], obj=kind)


def test_a_registry_is_never_copied_into_itself_however_it_is_named(source, lake_url, tmp_path):
    """The same directory, or the same catalog through another spelling of its URL."""
    with pytest.raises(InvalidArgumentError, match="give another registry to copy into"):
        operations.migrate(source, Registry(source.home / "." / "registry.duckdb"))
    shared = Registry(lake_url, data_path=tmp_path / "shared")
    spelt = Registry(respelt(lake_url))
    with pytest.raises(InvalidArgumentError, match="give another registry to copy into"):
        operations.migrate(shared, spelt)
    copy = copied(shared, tmp_path / "copy")  # the catalog's id kept, another place
    assert not operations.migrate(copy, shared).copied_anything


def test_a_target_holding_other_rows_under_the_same_keys_is_refused_untouched(
    source, tmp_path, capsys
):
    other = Registry(tmp_path / "other")
    X, y = features(40, seed=3)
    other.register("churn", LogisticRegression().fit(X, y))
    before = tables(other)
    files = sorted(other.artifacts.digests())

    code = main(["migrate", "--from", str(source.home), "--to", str(other.home)])

    assert code == 5
    message = capsys.readouterr().err
    assert "versions model='churn', version=1" in message and "nothing was copied" in message
    assert message.count("\n") == 1
    after = tables(other)
    assert after.keys() == before.keys()
    for name, rows in before.items():
        pd.testing.assert_frame_equal(after[name], rows, obj=name)
    assert sorted(other.artifacts.digests()) == files and not (other.home / "logs").exists()


def test_an_artifact_damaged_in_the_source_fails_verification(source, tmp_path, capsys):
    damaged = Registry(shutil.copytree(source.home, tmp_path / "damaged"))
    digest = damaged.get("churn:1").artifact_sha256
    path = damaged.artifacts.path(digest)
    path.write_bytes(path.read_bytes()[::-1])

    with pytest.raises(VerificationError) as refused:
        operations.migrate(damaged, Registry(tmp_path / "copy"))

    assert "churn version 1" in str(refused.value)
    assert "does not match its sha256" in str(refused.value)
    code = main(["migrate", "--from", str(damaged.home), "--to", str(tmp_path / "copy")])
    assert code == 16 and "did not verify" in capsys.readouterr().err


def test_a_copy_killed_halfway_completes_when_run_again(source, tmp_path, subprocess_env, ipython):
    target = Registry(tmp_path / "target")
    command = [sys.executable, "-m", "jupyter_mlops.cli", "migrate"]
    command += ["--from", str(source.home), "--to", str(target.home)]
    with target.db.write():  # the target's writer lock: the copy waits before its first rows
        child = subprocess.Popen(command, env=subprocess_env, stdout=subprocess.DEVNULL)
        files = len(list(source.artifacts.digests()))
        wait_for(lambda: len(list(target.artifacts.digests())) == files, "the artifacts copied")
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    assert tables(target)["versions"].empty

    finished = operations.migrate(source, target)

    rows = sum(len(found) for found in tables(source).values())
    assert (finished.artifacts_copied, finished.rows_copied) == (0, rows)
    assert_same_tables(source, target)
    ipython.run_line_magic("mlops", f"connect {source.home}")
    again = ipython.run_line_magic("mlops", f"migrate --to {target.home}")  # from the connected
    assert not again.copied_anything


def test_a_copys_deployments_are_the_sources_servers_which_it_never_asks_or_stops(
    tmp_path, lake_url, capsys
):
    source = Registry(tmp_path / "source")
    X, y = features(120, seed=4)
    source.register("churn", LogisticRegression().fit(X, y), X=X, y=y)
    source.promote("churn", 1)
    started = operations.deploy(source, ref="churn@champion", port=free_port())
    try:
        copy = Registry(lake_url, data_path=tmp_path / "shared")
        assert operations.migrate(source, copy).verified
        listed = operations.deployments(copy)
        assert [(d.id, d.status, d.version) for d in listed] == [(started.id, "copied", None)]
        [note] = listed.notes
        assert f"copied from the registry {str(source.home)!r}" in note and "stop it there" in note
        for target in (str(started.id), "churn@champion", "churn"):
            with pytest.raises(ConflictError) as refused:
                operations.undeploy(copy, target=target)
            message = str(refused.value)
            assert str(source.home) in message and "so it was not stopped" in message
            assert "\n" not in message and message.count(". ") == 0, message
        home = ["--home", copy.location, "--data-path", str(copy.home)]
        assert main([*home, "undeploy", str(started.id)]) == 5
        assert "undeploy it there" in capsys.readouterr().err
        [serving] = operations.deployments(source)  # still the source's, still serving
        assert (serving.status, serving.version) == ("running", 1)
        again = operations.migrate(source, copy)
        assert again.verified and not again.copied_anything
        onwards = Registry(tmp_path / "onwards")  # a copy of the copy names the source too
        operations.migrate(copy, onwards)
        assert [d.copied_from for d in operations.deployments(onwards)] == [str(source.home)]
    finally:
        [stopped] = operations.undeploy(source, target=str(started.id))
    assert stopped.status == "stopped"


def live_copy(source: Registry, folder: os.PathLike[str]) -> Registry:
    """A registry to keep working in: the module's source copied, a tag and a drift
    setting added."""
    live = Registry(shutil.copytree(source.home, folder))
    live.tag("churn", 2, {"stage": "production"})
    Monitor(live).configure("churn", "*", threshold=0.2)
    return live


def keep_working(live: Registry) -> None:
    """What a team does between the bulk copy and the catch-up: every kind of change."""
    live.promote("churn", 4, "champion", reason="newer")
    live.rollback("churn", reason="4 was worse")
    live.remove_alias("churn", "challenger", reason="settled")
    live.tag("churn", 2, {"stage": "retired"})
    live.archive("churn", 60, reason="never used")
    live.describe("churn", "who leaves, and when")
    Monitor(live).configure("churn", "*")  # neither test nor threshold: removed
    operations.remove_alert(live, rule=1)
    live.set_reference("churn", 1, *features(50, seed=5), reason="fresher")  # a new profile


def test_a_copy_run_again_catches_up_with_what_the_source_changed_both_ways(
    source, lake_url, tmp_path, capsys
):
    """Folder to shared registry, shared registry to folder: the second pass takes every
    change and removal, verified; a third copies nothing."""
    live = live_copy(source, tmp_path / "live")
    shared = Registry(lake_url, data_path=tmp_path / "shared")
    back = Registry(tmp_path / "back")
    operations.migrate(live, shared)
    operations.migrate(shared, back)
    keep_working(live)

    to_shared = ["migrate", "--from", str(live.home), "--to", lake_url]
    assert main([*to_shared, "--to-data-path", str(tmp_path / "shared")]) == 0
    out = capsys.readouterr().out
    assert "(11 updated), 1 artifact and 0 logged rows, and removed 2 rows, from" in out, out
    caught = operations.migrate(shared, back)

    assert caught.verified
    changed = {
        t.name: (t.copied, t.updated, t.removed)
        for t in caught.tables
        if t.copied + t.updated + t.removed
    }
    assert changed == {
        "alert_rules": (0, 1, 0),
        "alias_events": (3, 0, 0),
        "aliases": (0, 1, 1),
        "drift_settings": (0, 0, 1),
        "models": (0, 1, 0),
        "profiles": (0, 5, 0),  # version 1's, one row per feature
        "tags": (0, 1, 0),
        "version_events": (2, 0, 0),
        "versions": (0, 2, 0),
    }
    assert caught.to_dict()["tables"]["aliases"] | {"hash": ""} == {
        "rows": 1, "copied": 0, "updated": 1, "removed": 1, "hash": ""
    }  # fmt: skip
    assert_same_tables(live, back)
    assert shared.model_aliases("churn") == live.model_aliases("churn") == {"champion": 2}
    trail = [(e.to_version, e.action) for e in live.history("churn")]
    assert [(e.to_version, e.action) for e in shared.history("churn")] == trail
    assert shared.get("churn:60").status == "archived"
    assert shared.get("churn:2").tags == {"stage": "retired"}
    live.describe("churn", "who leaves, when, and why")  # what the catch-up wrote, again
    again = operations.migrate(live, shared)
    assert [(t.name, t.updated) for t in again.tables if t.copied + t.updated] == [("models", 1)]
    third = operations.migrate(live, shared)
    assert third.verified and not third.copied_anything


def test_a_change_made_in_the_copy_is_kept_unless_the_source_changed_that_row_too(
    source, tmp_path, capsys
):
    live = live_copy(source, tmp_path / "live")
    copy = Registry(tmp_path / "copy")
    operations.migrate(live, copy)
    copy.describe("churn", "described in the copy")  # a row the source leaves alone
    copy.tag("churn", 3, {"team": "copy"})  # a row of the copy's own
    live.archive("churn", 70, reason="never used")

    caught = operations.migrate(live, copy)

    assert caught.verified and caught.rows_updated == 1 and not caught.rows_removed
    assert "kept as" in str(caught) and "1 row of models" in caught._repr_html_()
    assert caught.to_dict()["tables"]["models"]["kept"] == 1
    assert copy.get("churn:70").status == "archived"
    assert copy.models()[0].description == "described in the copy"
    assert copy.get("churn:3").tags == {"team": "copy"}
    live.promote("churn", 5, "champion", reason="in the source")
    copy.promote("churn", 6, "champion", reason="in the copy")
    before = tables(copy)

    code = main(["migrate", "--from", str(live.home), "--to", str(copy.home)])

    assert code == 5
    message = capsys.readouterr().err
    assert "aliases model='churn', alias='champion'" in message, message
    assert "nothing was copied" in message and "the same as in" in message
    assert message.count("\n") == 1 and message.count(". ") == 0, message
    after = tables(copy)
    for name, rows in before.items():
        pd.testing.assert_frame_equal(after[name], rows, obj=name)
    assert copy.get("churn@champion").version == 6


def test_a_copy_whose_rows_were_never_remembered_is_from_its_next_run(source, tmp_path):
    """As a copy an older version made leaves it: rows equal to the source's are remembered
    by the next run, so the source's changes after that are taken; a row the source changed
    meanwhile is refused (the copy cannot tell it from one changed on both sides)."""
    live = Registry(shutil.copytree(source.home, tmp_path / "live"))
    copy = Registry(tmp_path / "copy")
    operations.migrate(live, copy)
    with copy.db.write() as conn:
        conn.execute("DELETE FROM copied_rows")
    live.describe("churn", "changed before anything was remembered")
    with pytest.raises(ConflictError, match="models name='churn'"):
        operations.migrate(live, copy)
    copy.describe("churn", "changed before anything was remembered")  # the same again

    assert not operations.migrate(live, copy).copied_anything  # remembered, nothing copied
    live.promote("churn", 4, "champion", reason="newer")
    live.remove_alias("churn", "challenger")
    caught = operations.migrate(live, copy)

    assert caught.verified and (caught.rows_updated, caught.rows_removed) == (1, 1)
    assert_same_tables(live, copy)


def test_a_catch_up_killed_between_a_shared_registrys_aliases_and_their_remembering_completes(
    source, lake_url, tmp_path, subprocess_env
):
    """A shared registry's aliases (PostgreSQL's) and what the copy remembers of them
    (DuckLake's) are written in two commits: killed between them, the next run finds the
    aliases as the source has them, remembers them, and takes the source's later moves."""
    live = Registry(shutil.copytree(source.home, tmp_path / "live"))
    shared = Registry(lake_url, data_path=tmp_path / "shared")
    operations.migrate(live, shared)
    live.promote("churn", 4, "champion", reason="newer")  # only the aliases change
    db = shared.db
    remembered = "SELECT * FROM copied_rows WHERE table_name = 'aliases' ORDER BY ALL"
    with db.read() as conn:
        before = conn.execute(remembered).fetchall()
    command = [sys.executable, "-m", "jupyter_mlops.cli", "migrate", "--from", str(live.home)]
    command += ["--to", lake_url, "--to-data-path", str(tmp_path / "shared")]
    with psycopg.connect(db.conninfo) as session:
        # DuckLake commits by adding a snapshot: held off, while PostgreSQL's tables are not
        session.execute(f"LOCK TABLE {db.schema}.ducklake_snapshot IN EXCLUSIVE MODE")
        child = subprocess.Popen(command, env=subprocess_env, stdout=subprocess.DEVNULL)
        query = f"SELECT version FROM {db.schema}.mlops_aliases WHERE alias = 'champion'"
        with psycopg.connect(db.conninfo, autocommit=True) as reader:
            wait_for(lambda: reader.execute(query).fetchone() == (4,), "the aliases written")
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    with db.read() as conn:
        assert conn.execute(remembered).fetchall() == before  # the aliases, not remembered

    healed = operations.migrate(live, shared)

    assert healed.verified and not healed.copied_anything
    live.promote("churn", 5, "champion", reason="newer still")
    caught = operations.migrate(live, shared)
    assert caught.verified and (caught.rows_updated, caught.rows_added) == (1, 1)
    assert shared.model_aliases("churn") == live.model_aliases("churn")
