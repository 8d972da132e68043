"""A copy of a shared registry's catalog (a dump restored, a database made from it as a
template, a schema copied) keeps the catalog's id and the data path it records, not where
it is in PostgreSQL: opened on the original's data folder (or bucket folder) it is refused
before it writes a file there, so neither's `gc` deletes the other's artifacts, and it takes
a data path only by the explicit adopt step. A mark older versions wrote (the id alone) is
given the catalog's place by a registry whose URL names the catalog that wrote it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from jupyter_mlops import Registry, operations
from jupyter_mlops.errors import InvalidArgumentError
from jupyter_mlops.registry.locations import catalog_key
from jupyter_mlops.store.lake import LakeDatabase
from jupyter_mlops.store.lake_urls import PREFIX
from tests.postgres import Cluster, copy_catalog, respelt
from tests.s3 import S3, server
from tests.team.test_data_path import USAGE_EXIT, one_sentence

CLI = str(Path(sys.executable).parent / "jupyter-mlops")
MARK = ".mlops-catalog.json"
COPIED = "is a copy of the catalog of shared registry"
MAKE = """
import sys
from sklearn.linear_model import LogisticRegression
from jupyter_mlops import Registry
model = LogisticRegression().fit([[0.0], [1.0], [0.2], [0.9]], [0, 1, 0, 1])
Registry(sys.argv[1], data_path=sys.argv[2]).register("churn", model)
"""


def copy_of(registry: Registry, *, data_path: Path | str) -> str:
    """The URL of a copy of `registry`'s catalog (a schema of its database) that records
    `data_path` as its own: the original's, as a dump restored records it."""
    lake = registry.db
    assert isinstance(lake, LakeDatabase)
    schema = copy_catalog(lake.conninfo, lake.schema, data_path=data_path)
    return f"{PREFIX}{lake.conninfo} schema={schema}"


def cli(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "MLOPS_HOME": str(home / "mlops-home")}
    for name in ("MLOPS_REGISTRY", "MLOPS_DATA_PATH"):
        environment.pop(name, None)
    return subprocess.run([CLI, *args], capture_output=True, text=True, env=environment)


def files(folder: Path) -> dict[Path, int]:
    return {path: path.stat().st_mtime_ns for path in folder.rglob("*")}


def test_a_copy_on_the_originals_folder_is_refused_and_its_gc_deletes_nothing(
    lake_url, tmp_path, dataset, fitted
):
    X, y = dataset
    team = tmp_path / "team"
    original = Registry(lake_url, data_path=team)
    original.register("churn", fitted, X=X, y=y)
    copy_url = copy_of(original, data_path=team)  # records the original's data path
    original.register("churn", fitted, X=X.iloc[:300], y=y.iloc[:300])  # unknown to the copy
    before = files(team)

    for data_path in (None, team):  # the path the copy records, or given as the original's
        with pytest.raises(InvalidArgumentError) as refused:
            Registry(copy_url, data_path=data_path)
        message = one_sentence(refused.value)
        assert f"{COPIED} {lake_url!r}" in message and repr(str(team)) in message
        assert f"operations.adopt_data_path(URL, data_path={str(team)!r})" in message
    collected = cli("--home", copy_url, "gc", "--older-than", "0", home=tmp_path)
    assert collected.returncode == USAGE_EXIT, collected.stderr
    assert COPIED in collected.stderr and "adopt-data-path" in collected.stderr
    assert f"--data-path {team} adopt-data-path" in collected.stderr
    assert files(team) == before  # nothing written, nothing deleted
    assert original.verify().ok
    for version in original.versions("churn"):
        assert (original.load(version.ref).predict(X) == fitted.predict(X)).all()


def test_a_catalog_moved_adopts_its_folder_and_the_old_one_is_then_refused(
    lake_url, tmp_path, fitted
):
    team = tmp_path / "team"
    original = Registry(lake_url, data_path=team)
    original.register("churn", fitted)
    moved_url = copy_of(original, data_path=team)  # a dump restored on the new server

    adopted = cli("--home", moved_url, "adopt-data-path", home=tmp_path)
    assert adopted.returncode == 0, adopted.stderr
    moved = Registry(moved_url)
    assert f"{team} is the data path of {moved.shown}" in adopted.stdout
    assert f"no longer of {lake_url}" in adopted.stdout
    assert moved.model_names() == ["churn"] and moved.verify().ok
    mark = json.loads((team / MARK).read_text())
    assert f"catalog {mark['catalog']} at {mark['place']}" == catalog_key(moved.db)

    with pytest.raises(InvalidArgumentError) as refused:  # this process opened it before
        Registry(lake_url, data_path=team)
    assert f"{COPIED} {moved_url!r}" in one_sentence(refused.value)
    old = cli("--home", lake_url, "--data-path", str(team), "models", home=tmp_path)
    assert old.returncode == USAGE_EXIT and COPIED in old.stderr
    again = operations.adopt_data_path(moved_url)  # once more: nothing to change
    assert str(again).endswith(f"already ({catalog_key(moved.db)})")


def test_a_copy_given_a_copy_of_the_folder_adopts_it_and_the_original_keeps_its_own(
    lake_url, tmp_path, dataset, fitted
):
    X, y = dataset
    team, staging = tmp_path / "team", tmp_path / "staging"
    original = Registry(lake_url, data_path=team)
    original.register("churn", fitted, X=X, y=y)
    shutil.copytree(team, staging)
    copy_url = copy_of(original, data_path=staging)
    with pytest.raises(InvalidArgumentError) as refused:  # the copied mark names the original
        Registry(copy_url)
    assert COPIED in one_sentence(refused.value)

    result = operations.adopt_data_path(copy_url, data_path=staging)
    assert result.to_dict()["before"] == lake_url and result.data_path == str(staging)
    assert json.loads(json.dumps(result.to_dict(), allow_nan=False)) == result.to_dict()
    copy = Registry(copy_url)
    copy.register("churn", fitted, X=X.iloc[:300], y=y.iloc[:300])  # staging's own version
    before = files(team)
    operations.gc(Registry(lake_url, data_path=team), older_than=0)
    operations.gc(copy, older_than=0)
    assert files(team) == before and copy.verify().ok and original.verify().ok
    assert Registry(lake_url, data_path=team).versions("churn")[-1].version == 1
    assert (
        json.loads((team / MARK).read_text())["place"]
        != json.loads((staging / MARK).read_text())["place"]
    )


def test_a_folder_of_another_catalog_is_never_adopted(lake_url, postgres, tmp_path, fitted):
    mine, theirs = tmp_path / "mine", tmp_path / "theirs"
    Registry(lake_url, data_path=mine).register("churn", fitted)
    other_url = postgres.url(postgres.new_schema())
    Registry(other_url, data_path=theirs).register("other", fitted)
    mark = (theirs / MARK).read_text()
    with pytest.raises(InvalidArgumentError) as refused:
        operations.adopt_data_path(lake_url, data_path=theirs)
    message = one_sentence(refused.value)
    assert f"holds the files of shared registry {other_url!r}, another catalog" in message
    assert "not adopted" in message
    shell = cli("--home", lake_url, "--data-path", str(theirs), "adopt-data-path", home=tmp_path)
    assert shell.returncode == USAGE_EXIT and "not adopted" in shell.stderr
    assert (theirs / MARK).read_text() == mark
    assert Registry(other_url, data_path=theirs).model_names() == ["other"]
    directory = cli("--home", str(tmp_path / "file"), "adopt-data-path", home=tmp_path)
    assert directory.returncode == USAGE_EXIT and "nothing to adopt" in directory.stderr
    assert not (tmp_path / "file").exists()


def test_a_folder_holding_files_but_no_mark_is_never_adopted(lake_url, postgres, tmp_path, fitted):
    """Whose files an unmarked folder holds is unknown: a registry file's, or a shared
    registry's whose mark was lost (a copy that skipped dotfiles). Adopting it would let each
    one's gc delete the other's artifacts, so it is refused, and nothing is marked."""
    Registry(lake_url, data_path=tmp_path / "mine").register("churn", fitted)
    Registry(tmp_path / "file").register("other", fitted)  # a registry file's folder
    theirs = tmp_path / "theirs"
    other_url = postgres.url(postgres.new_schema())
    Registry(other_url, data_path=theirs).register("other", fitted)
    (theirs / MARK).unlink()  # lost, as a copy of its files without dotfiles loses it
    for folder in (tmp_path / "file", theirs):
        before = files(folder)
        with pytest.raises(InvalidArgumentError) as refused:
            operations.adopt_data_path(lake_url, data_path=folder)
        message = one_sentence(refused.value)
        assert "holds files but no mark saying whose they are" in message, message
        args = ("--home", lake_url, "--data-path", str(folder), "adopt-data-path")
        shell = cli(*args, home=tmp_path)
        assert shell.returncode == USAGE_EXIT and "not adopted" in shell.stderr
        assert files(folder) == before
    assert Registry(tmp_path / "file").model_names() == ["other"]


def test_an_older_mark_is_upgraded_by_its_catalog_and_refuses_a_copy(lake_url, tmp_path, fitted):
    team = tmp_path / "team"
    original = Registry(lake_url, data_path=team)
    original.register("churn", fitted)
    assert isinstance(original.db, LakeDatabase)
    catalog = original.db.catalog_id()
    older = {"catalog": catalog, "registry": lake_url}  # as releases before places wrote it
    (team / MARK).write_text(json.dumps(older) + "\n")
    copy_url = copy_of(original, data_path=team)

    with pytest.raises(InvalidArgumentError) as refused:  # the copy opens first
        Registry(copy_url)
    message = one_sentence(refused.value)
    assert "marked by an older jupyter-mlops" in message and "may be its copy" in message
    assert json.loads((team / MARK).read_text()) == older  # the copy did not take it

    assert Registry(respelt(lake_url)).model_names() == ["churn"]  # the catalog, spelt otherwise
    mark = json.loads((team / MARK).read_text())
    assert f"catalog {mark['catalog']} at {mark['place']}" == catalog_key(original.db)
    with pytest.raises(InvalidArgumentError) as still:
        Registry(copy_url)
    assert f"{COPIED} {respelt(lake_url)!r}" in one_sentence(still.value)  # who upgraded it


def test_a_database_made_from_the_catalogs_as_a_template_is_refused_there(
    postgres: Cluster, tmp_path
):
    """The copy a team makes: `CREATE DATABASE ... TEMPLATE` (which no session may be on)."""
    team, name = tmp_path / "team", f"orig_{os.getpid()}"
    postgres.execute(f"CREATE DATABASE {name}", dbname="postgres")
    postgres.execute("CREATE SCHEMA mlops", dbname=name)
    original_url = postgres.url("mlops", dbname=name)
    made = subprocess.run([sys.executable, "-c", MAKE, original_url, str(team)], check=False)
    assert made.returncode == 0
    postgres.execute(f"CREATE DATABASE {name}_copy TEMPLATE {name}", dbname="postgres")
    copy_url = postgres.url("mlops", dbname=f"{name}_copy")
    before = files(team)

    collected = cli("--home", copy_url, "gc", "--older-than", "0", home=tmp_path)
    assert collected.returncode == USAGE_EXIT and COPIED in collected.stderr
    assert files(team) == before
    assert Registry(original_url).verify().ok


@pytest.fixture(scope="module")
def s3() -> Iterator[S3]:
    with server() as found:
        yield found


def test_a_copy_on_the_originals_bucket_folder_is_refused_until_adopted(
    s3: S3, postgres: Cluster, fitted, monkeypatch
):
    for name, value in s3.environment().items():
        monkeypatch.setenv(name, value)
    bucket = s3.new_bucket()
    original = Registry(postgres.url(postgres.new_schema()), data_path=f"s3://{bucket}/team")
    original.register("churn", fitted)
    copy_url = copy_of(original, data_path=f"s3://{bucket}/team")
    keys = s3.keys(bucket)
    with pytest.raises(InvalidArgumentError) as refused:
        Registry(copy_url)
    message = one_sentence(refused.value)
    assert COPIED in message and f"bucket folder 's3://{bucket}/team/'" in message
    assert s3.keys(bucket) == keys

    operations.adopt_data_path(copy_url)
    assert Registry(copy_url).model_names() == ["churn"]
    with pytest.raises(InvalidArgumentError) as old:
        Registry(original.location)
    assert COPIED in one_sentence(old.value)
