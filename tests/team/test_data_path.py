"""A shared registry's data path: needed to make one, remembered once made, free to move
whole (DuckLake keeps its files' paths relative), and a folder that is not the registry's is
refused in one sentence before anything is read from it or written to it: one without its
files, or one marked as another registry's. No registry file is made in one."""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess
import sys

import pytest

from jupyter_mlops import Registry
from jupyter_mlops.errors import InvalidArgumentError

USAGE_EXIT = 2


def one_sentence(error: BaseException | str) -> str:
    message = str(error)
    assert "\n" not in message and message.endswith(".") and message.count("; ") == 1, message
    return message


def test_a_new_shared_registry_needs_a_data_path_and_storage_it_cannot_reach_is_refused(
    lake_url, postgres, monkeypatch
):
    with pytest.raises(InvalidArgumentError) as missing:
        Registry(lake_url)
    assert "is new, so it needs the folder its files go in" in one_sentence(missing.value)
    schema = lake_url.rsplit("schema=", 1)[1]
    made = postgres.execute(f"SELECT count(*) FROM pg_tables WHERE schemaname = '{schema}'")
    assert made == [(0,)]  # no catalog was made
    monkeypatch.setenv("MLOPS_DATA_PATH", "gs://bucket/x")
    with pytest.raises(InvalidArgumentError) as remote:
        Registry(lake_url)
    assert "'gs://bucket/x' is on a kind of storage" in one_sentence(remote.value)
    monkeypatch.setenv("MLOPS_DATA_PATH", "s3:///x")
    with pytest.raises(InvalidArgumentError) as unnamed:
        Registry(lake_url)
    assert "names no bucket" in one_sentence(unnamed.value)
    monkeypatch.setenv("MLOPS_DATA_PATH", "s3://key:hush@team/x")  # credentials in the URL
    with pytest.raises(InvalidArgumentError) as keyed:
        Registry(lake_url)
    assert "hush" not in one_sentence(keyed.value) and "key:***@" in str(keyed.value)
    assert postgres.execute(f"SELECT count(*) FROM pg_tables WHERE schemaname = '{schema}'") == made


def test_the_data_folder_moved_whole_opens_with_its_new_path_and_a_wrong_one_is_refused(
    lake_url, tmp_path, dataset, fitted
):
    X, y = dataset
    made, moved, wrong = tmp_path / "made", tmp_path / "moved", tmp_path / "wrong"
    registry = Registry(lake_url, data_path=made)
    registry.register("churn", fitted, X=X, y=y)
    registry.register("churn", fitted, X=X.iloc[:300], y=y.iloc[:300])
    assert list(made.glob("main/*/*.parquet")), "no DuckLake data file to move"
    assert Registry(lake_url).home == made  # the data path it was made with

    shutil.move(made, moved)
    reopened = Registry(lake_url, data_path=moved)
    assert reopened.verify().ok
    for version in reopened.versions("churn"):
        assert (reopened.load(version.ref).predict(X) == fitted.predict(X)).all()
        assert len(reopened.profile(version.ref)) == X.shape[1] + 1  # parquet, read relative

    with pytest.raises(InvalidArgumentError) as gone:
        Registry(lake_url)  # the folder it was made with is no longer there
    assert f"was made with its files in {str(made)!r}" in one_sentence(gone.value)
    wrong.mkdir()
    with pytest.raises(InvalidArgumentError) as elsewhere:
        Registry(lake_url, data_path=wrong)
    message = one_sentence(elsewhere.value)
    assert f"{str(wrong)!r} holds none of the files" in message and str(made) in message
    assert not list(wrong.iterdir()) and not made.exists()  # nothing written to either


def test_a_new_registry_never_takes_another_registrys_folder(lake_url, postgres, tmp_path, fitted):
    shared = tmp_path / "shared"
    first = Registry(lake_url, data_path=shared)
    first.register("churn", fitted)
    second = postgres.url(postgres.new_schema())
    file_registry = tmp_path / "mine"
    Registry(file_registry).register("churn", fitted)
    refusals = {
        shared: f"holds the files of shared registry {lake_url!r}, and the shared registry "
        f"{second!r} holds no registry yet; to open that one, give its URL (check schema=",
        file_registry: "holds another registry's files",
        shared / "artifacts": f"lies inside shared registry {lake_url!r}'s data folder",
        shared / "sub": f"lies inside shared registry {lake_url!r}'s data folder",
        file_registry / "sub": f"lies inside a registry file's folder {str(file_registry)!r}",
    }
    for taken, said in refusals.items():
        with pytest.raises(InvalidArgumentError) as refused:
            Registry(second, data_path=taken)
        assert said in one_sentence(refused.value)
    assert first.verify().ok  # nothing the second could have collected as unused
    assert not (shared / "sub").exists() and not (file_registry / "sub").exists()
    schema = second.rsplit("schema=", 1)[1]
    tables = f"SELECT count(*) FROM pg_tables WHERE schemaname = '{schema}'"
    assert postgres.execute(tables) == [(0,)]  # refused before a catalog was made there
    assert Registry(second, data_path=tmp_path / "new").model_names() == []
    assert Registry(second).home == tmp_path / "new"  # the folder it was made with, remembered


def test_a_folder_marked_by_another_registry_is_refused_naming_both(
    lake_url, postgres, tmp_path, fitted
):
    mine, theirs = tmp_path / "mine", tmp_path / "theirs"
    Registry(lake_url, data_path=mine).register("churn", fitted)
    other_url = postgres.url(postgres.new_schema())
    Registry(other_url, data_path=theirs).register("other", fitted)
    before = {path: path.stat().st_mtime_ns for path in theirs.rglob("*")}
    with pytest.raises(InvalidArgumentError) as refused:
        Registry(lake_url, data_path=theirs)  # it holds artifacts/, but not this registry's
    message = one_sentence(refused.value)
    assert f"{str(theirs)!r} holds the files of shared registry {other_url!r}" in message
    assert f"not of the shared registry {lake_url!r}" in message
    assert {path: path.stat().st_mtime_ns for path in theirs.rglob("*")} == before
    assert Registry(lake_url, data_path=mine).model_names() == ["churn"]


def test_a_registry_files_own_folder_is_never_taken_for_a_shared_registrys_data_path(
    lake_url, tmp_path, fitted, subprocess_env
):
    """Someone's registry folder holds artifacts/ as a shared registry's data path does: given
    as one (a wrong MLOPS_DATA_PATH), it is refused before anything is read or written, so no
    shared registry's gc ever takes the file registry's artifacts for its own unused ones."""
    Registry(lake_url, data_path=tmp_path / "shared").register("churn", fitted)
    own = Registry(tmp_path / "own")
    own.register("mine", fitted)
    before = {path: path.stat().st_mtime_ns for path in own.home.rglob("*")}
    with pytest.raises(InvalidArgumentError) as refused:
        Registry(lake_url, data_path=own.home)
    message = one_sentence(refused.value)
    said = f"{str(own.home)!r} is a registry file's own folder (it holds registry.duckdb)"
    assert said in message
    sweeping = subprocess.run(
        [sys.executable, "-m", "jupyter_mlops.cli", "--home", lake_url,
         "--data-path", str(own.home), "gc", "--older-than", "0"],
        capture_output=True, text=True, env=subprocess_env, timeout=120,
    )  # fmt: skip
    assert sweeping.returncode == USAGE_EXIT and "registry file's own folder" in sweeping.stderr
    assert {path: path.stat().st_mtime_ns for path in own.home.rglob("*")} == before
    assert Registry(own.home).verify().ok


def test_a_registry_made_before_marks_and_the_lock_table_gets_both_when_next_opened(
    lake_url, postgres, tmp_path, fitted
):
    older, theirs = tmp_path / "older", tmp_path / "theirs"
    Registry(lake_url, data_path=older).register("churn", fitted)
    schema = lake_url.rsplit("schema=", 1)[1]
    (older / ".mlops-catalog.json").unlink()  # as a release before marks left it
    postgres.execute(f"DROP TABLE {schema}.mlops_writer_lock")  # nor had it this table
    reopened = Registry(lake_url)
    assert reopened.model_names() == ["churn"]
    mark = json.loads((older / ".mlops-catalog.json").read_text())
    made = postgres.execute(f"SELECT schema_uuid FROM {schema}.ducklake_schema WHERE schema_id = 0")
    place = reopened.db.place()  # type: ignore[attr-defined]
    assert len(mark.pop("written")) == 32  # what tells this writing of the mark from others
    assert mark == {"catalog": str(made[0][0]), "place": place, "registry": lake_url}
    Registry(lake_url).describe("churn", "written by the first writer since")  # the lock made
    assert postgres.execute(f"SELECT count(*) FROM {schema}.mlops_writer_lock") == [(1,)]
    other_url = postgres.url(postgres.new_schema())
    Registry(other_url, data_path=theirs).register("other", fitted)
    with pytest.raises(InvalidArgumentError) as refused:
        Registry(other_url, data_path=older)
    assert f"holds the files of shared registry {lake_url!r}" in one_sentence(refused.value)


def test_no_registry_file_is_made_in_a_shared_registrys_data_folder(
    lake_url, tmp_path, fitted, subprocess_env
):
    shared = tmp_path / "shared"
    Registry(lake_url, data_path=shared).register("churn", fitted)
    before = sorted(path.name for path in shared.iterdir())
    copying = subprocess.run(
        [sys.executable, "-m", "jupyter_mlops.cli", "--home", lake_url,
         "migrate", "--to", str(shared)],
        capture_output=True, text=True, env=subprocess_env, timeout=120,
    )  # fmt: skip
    assert copying.returncode == USAGE_EXIT, copying.stderr
    message = copying.stderr.strip().removeprefix("jupyter-mlops: ")
    assert f"{str(shared)!r} is the data folder of shared registry {lake_url!r}" in message
    assert one_sentence(message) and sorted(path.name for path in shared.iterdir()) == before
    with pytest.raises(InvalidArgumentError):
        Registry(shared)
    assert not (shared / "registry.duckdb").exists()
    for inside in (shared / "logs", shared / "artifacts" / "mine"):  # nor anywhere under it
        with pytest.raises(InvalidArgumentError) as refused:
            Registry(inside)
        assert f"(inside {str(shared)!r})" in one_sentence(refused.value)
        assert not (inside / "registry.duckdb").exists()


def test_a_full_or_read_only_data_folder_is_said_so_not_postgresql_unreachable(
    lake_url, disk, fitted, dataset
):
    """A change whose catalog rows DuckLake writes as files in the data folder (a drift
    check's results) on a full or read-only folder: one sentence about the folder, nothing
    saved, and PostgreSQL never blamed."""
    from jupyter_mlops.errors import StorageError
    from jupyter_mlops.monitoring import Monitor

    X, y = dataset
    registry = Registry(lake_url, data_path=disk.mount / "team")
    registry.register(
        "churn", fitted, X=X.iloc[:300], y=y.iloc[:300], reference=(X.iloc[300:], y.iloc[300:])
    )
    monitor = Monitor(registry)
    spoils = ((lambda: disk.fill(leave=0), "is full"), (disk.read_only, "read-only"))
    # opened with its data path, and with the one the catalog remembers
    for (spoil, sign), opened in itertools.product(spoils, (monitor, Monitor(Registry(lake_url)))):
        spoil()
        try:
            with pytest.raises(StorageError) as refused:
                opened.drift("churn:1", current=X)
        finally:
            disk.writable()
            disk.free()
        message = str(refused.value)
        assert sign in message and "nothing was saved" in message, message
        assert "PostgreSQL" not in message and "\n" not in message
        assert f"{disk.mount / 'team'}" in message  # the folder, whichever way it was named
    assert monitor.drift("churn:1", current=X).check_id is not None  # room again: recorded


def test_a_new_registry_on_a_read_only_folder_or_a_file_is_refused_before_its_catalog(
    lake_url, postgres, disk, tmp_path
):
    """A data path this machine cannot write, or one that is a file: one sentence saying
    which and how to fix it, and no catalog made in PostgreSQL for a registry that has none
    of its files."""
    from jupyter_mlops.errors import StorageError

    schema = lake_url.rsplit("schema=", 1)[1]
    a_file = tmp_path / "notes.txt"
    a_file.write_text("not a folder\n")
    disk.read_only()
    try:
        for data_path in (disk.mount, disk.mount / "team"):  # there, and to be made there
            with pytest.raises(StorageError) as refused:
                Registry(lake_url, data_path=data_path)
            message = one_sentence(refused.value)
            assert f"{str(data_path)!r} is on a read-only file system" in message, message
            assert "nothing was made" in message
    finally:
        disk.writable()
    with pytest.raises(InvalidArgumentError) as refused:
        Registry(lake_url, data_path=a_file)
    assert f"the data path {str(a_file)!r}" in one_sentence(refused.value) and "is a file" in str(
        refused.value
    )
    tables = postgres.execute(
        f"SELECT count(*) FROM information_schema.tables WHERE table_schema = '{schema}'"
    )
    assert tables == [(0,)]
    assert Registry(lake_url, data_path=disk.mount).models() == []  # writable: made there


def test_a_first_tag_on_a_read_only_data_folder_is_said_so_and_an_alias_still_moves(
    lake_url, disk, fitted
):
    """The first tag of a registry makes its table's folder under the data path: on a
    read-only one, tagging is refused naming the folder, and nothing is saved. An alias move
    writes PostgreSQL alone, so it goes through."""
    from jupyter_mlops.errors import StorageError

    registry = Registry(lake_url, data_path=disk.mount / "team")
    registry.register("churn", fitted)
    disk.read_only()
    try:
        with pytest.raises(StorageError) as refused:
            registry.tag("churn", 1, {"team": "fraud"})
        assert Registry(lake_url).get("churn:1").tags == {}
        assert registry.promote("churn", 1).to_version == 1
    finally:
        disk.writable()
    message = one_sentence(refused.value)
    assert f"{str(disk.mount / 'team')!r} is on a read-only file system" in message, message
    assert "PostgreSQL" not in message and "nothing was saved" in message
    assert registry.tag("churn", 1, {"team": "fraud"}).tags == {"team": "fraud"}
