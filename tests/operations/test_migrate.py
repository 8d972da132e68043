"""`migrate` copies a whole registry, folder to shared registry and back: every table with
its ids and recorded users, every artifact, every logged row; verified, and run again it
copies nothing. A target holding other rows under the same keys is refused untouched; a
damaged artifact in the source fails verification. The source's servers, whose records are
copied, stay the source's: the copy lists them as copied and never stops them. (Run again
after the source changed: `test_catch_up.py`.)"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys

import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from jupyter_mlops import Registry, operations
from jupyter_mlops.cli import main
from jupyter_mlops.errors import ConflictError, InvalidArgumentError, VerificationError
from jupyter_mlops.monitoring import logs
from jupyter_mlops.store.connection import analytics_cursor
from tests.conftest import copied, free_port, wait_for
from tests.operations.conftest import USER, VERSIONS, assert_same_tables, features, tables
from tests.postgres import respelt


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
    mounted = tmp_path / "mounted"  # one folder at two paths, as one export mounted twice
    mounted.mkdir()
    subprocess.run(["mount", "--bind", str(source.home), str(mounted)], check=True)
    try:
        with pytest.raises(InvalidArgumentError, match="give another registry to copy into"):
            operations.migrate(source, Registry(mounted))
    finally:
        subprocess.run(["umount", str(mounted)], check=True)


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
