"""`migrate` run again catches the copy up with its source: what the source changed or
removed since the last copy is taken (folder to shared registry and back), what only the copy
changed is kept, a row changed on both sides is refused with nothing saved, a copy whose rows
were never remembered remembers them, and one killed between a shared registry's aliases and
their remembering completes."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys

import pandas as pd
import psycopg
import pytest

from jupyter_mlops import Monitor, Registry, operations
from jupyter_mlops.cli import main
from jupyter_mlops.errors import ConflictError
from jupyter_mlops.operations.migration_records import Migration
from tests.conftest import wait_for
from tests.operations.conftest import assert_same_tables, features, tables


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


def changes(done: Migration) -> dict[str, tuple[int, int, int]]:
    """The rows a copy added, updated and removed, by table it changed."""
    return {
        t.name: (t.copied, t.updated, t.removed)
        for t in done.tables
        if t.copied + t.updated + t.removed
    }


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
    assert changes(caught) == {
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
    assert caught.to_dict()["tables"]["aliases"]["removed"] == 1
    assert_same_tables(live, back)
    assert shared.model_aliases("churn") == live.model_aliases("churn") == {"champion": 2}
    trail = [(e.to_version, e.action) for e in live.history("churn")]
    assert [(e.to_version, e.action) for e in shared.history("churn")] == trail
    live.describe("churn", "who leaves, when, and why")  # what the catch-up wrote, again
    again = operations.migrate(live, shared)
    assert changes(again) == {"models": (0, 1, 0)}
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
    assert caught.to_dict()["tables"]["models"]["rows"] == 1  # the source's row, kept here
    [shown] = [line.split() for line in str(caught).splitlines() if "table models" in line]
    assert shown[2:8] == ["1", "0", "0", "0", "1"]  # in source, added, updated, removed, kept
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


def test_a_source_restored_from_an_older_backup_is_refused_not_copied_as_deletions(
    source, tmp_path, capsys
):
    """A version and its audit event no command deletes: gone from the source, it was lost
    there (a restore from an older backup), so the copy keeps them and the run is refused."""
    live = Registry(shutil.copytree(source.home, tmp_path / "live"))
    copy = tmp_path / "copy"
    home = ("--home", str(live.home))
    assert main([*home, "migrate", "--to", str(copy)]) == 0
    backup = shutil.copytree(live.home, tmp_path / "backup")
    X, y = features(200, seed=7)
    newest = live.register("churn", source.load("churn:1"), X=X, y=y, force=True)
    live.promote("churn", newest.version, reason="newest")
    assert main([*home, "migrate", "--to", str(copy)]) == 0
    shutil.rmtree(live.home)
    shutil.copytree(backup, live.home)  # the source as the backup had it
    capsys.readouterr()
    assert main([*home, "migrate", "--to", str(copy)]) == 5
    said = capsys.readouterr().err
    assert "gone from it though nothing deletes them" in said and "\n" not in said.strip()
    assert Registry(copy).get(f"churn:{newest.version}").version == newest.version
    assert Registry(copy).model_aliases("churn")["champion"] == newest.version


def test_migrate_without_from_copies_only_a_registry_that_is_there(tmp_path, capsys):
    """The registry in use is copied when no --from is given: a misspelt --home is not made
    empty and copied, it is refused, and neither folder is made."""
    missing, target = tmp_path / "typo", tmp_path / "target"
    assert main(["--home", str(missing), "migrate", "--to", str(target)]) == 4
    assert "there is no registry at" in capsys.readouterr().err
    assert not missing.exists() and not target.exists()


def test_migrate_from_a_named_registry_opens_no_registry_of_home(source, tmp_path, monkeypatch):
    """With --from, the registry --home (or $MLOPS_HOME) names is not used, so none is made
    there: a team's exported MLOPS_HOME is not filled with an empty registry."""
    unused, home = tmp_path / "unused", tmp_path / "exported"
    monkeypatch.setenv("MLOPS_HOME", str(home))
    target = tmp_path / "target"
    assert (
        main(["--home", str(unused), "migrate", "--from", str(source.home), "--to", str(target)])
        == 0
    )
    assert main(["migrate", "--from", str(source.home), "--to", str(target)]) == 0
    assert not unused.exists() and not home.exists()
    assert Registry(target).model_names() == ["churn"]


def test_a_catch_up_that_would_leave_an_alias_on_an_archived_version_is_refused(
    source, tmp_path, capsys
):
    """Each row is caught up on its own: the copy's own alias move kept and the source's
    archiving of that version taken (or the reverse) would leave the alias on an archived
    version, which no command makes. Refused with nothing written, naming which registry
    moved the alias; moved elsewhere there, the copy completes."""
    live = Registry(shutil.copytree(source.home, tmp_path / "live"))
    copy = Registry(tmp_path / "copy")
    operations.migrate(live, copy)
    copy.promote("churn", 70, "blue", reason="tried in the copy")
    live.archive("churn", 70, reason="never used")
    before = tables(copy)

    code = main(["migrate", "--from", str(live.home), "--to", str(copy.home)])

    assert code == 5
    said = capsys.readouterr().err
    assert f"{str(copy.home)!r} moved churn's alias 'blue' to version 70, which" in said, said
    assert "archived" in said and "promote churn N blue" in said and "nothing was copied" in said
    assert said.count("\n") == 1 and said.count(". ") == 0, said
    after = tables(copy)
    for name, rows in before.items():
        pd.testing.assert_frame_equal(after[name], rows, obj=name)
    copy.promote("churn", 5, "blue", reason="a live one")
    assert operations.migrate(live, copy).verified
    assert copy.model_aliases("churn")["blue"] == 5 and copy.get("churn:70").status == "archived"

    other = Registry(tmp_path / "other")
    operations.migrate(live, other)
    other.archive("churn", 71, reason="never used here")
    live.promote("churn", 71, "green", reason="tried in the source")
    with pytest.raises(ConflictError, match=r"moved churn's alias 'green' to version 71, which"):
        operations.migrate(live, other)
    live.promote("churn", 72, "green", reason="71 is archived in the copy")

    caught = operations.migrate(live, other)

    assert caught.verified and other.model_aliases("churn")["green"] == 72
    assert other.get("churn:71").status == "archived"


def test_migrates_refusals_of_a_data_path_name_the_option_migrate_takes(
    source, lake_url, postgres, tmp_path, capsys
):
    """A shared --from or --to is given its data path by --from-data-path or --to-data-path,
    so a refusal of one says that, not the --data-path of the registry in use."""
    shared = tmp_path / "shared"
    operations.migrate(source, Registry(lake_url, data_path=shared))
    wrong = ["--from", lake_url, "--from-data-path", str(tmp_path / "typo")]
    assert main(["migrate", *wrong, "--to", str(tmp_path / "copy")]) == 2
    said = capsys.readouterr().err
    assert "(or --from-data-path)" in said and " --data-path" not in said, said
    new = postgres.url(postgres.new_schema())
    assert main(["migrate", "--from", str(source.home), "--to", new]) == 2
    said = capsys.readouterr().err
    assert "--to-data-path" in said and " --data-path" not in said, said
