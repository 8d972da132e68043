"""A shared registry's data path: needed to make one, remembered once made, free to move
whole (DuckLake keeps its files' paths relative), and a folder that is not the registry's is
refused in one sentence before anything is read from it or written to it."""

from __future__ import annotations

import shutil

import pytest

from jupyter_mlops import Registry
from jupyter_mlops.errors import InvalidArgumentError


def one_sentence(error: BaseException) -> str:
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
    for taken in (shared, file_registry):
        with pytest.raises(InvalidArgumentError) as refused:
            Registry(second, data_path=taken)
        assert "holds another registry's files" in one_sentence(refused.value)
    assert first.verify().ok  # nothing the second could have collected as unused
    assert Registry(second, data_path=tmp_path / "new").model_names() == []
