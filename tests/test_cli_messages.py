"""What `jupyter-mlops` says when a file or a request is not what it takes: one line, in
the command line's own words (its options and commands, never a Python keyword)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
import skops.io
from sklearn.linear_model import LogisticRegression

from jupyter_mlops import Registry
from jupyter_mlops.cli import main
from jupyter_mlops.errors import MlopsWarning

PYTHON_SPELLING = re.compile(r"%mlops |\b(time_column|every|window|allow_pickle|trust)=")


@pytest.fixture
def files(tmp_path):
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=200), "b": rng.normal(size=200)})
    y = (X["a"] > 0).astype(int)
    skops.io.dump(LogisticRegression().fit(X, y), tmp_path / "model.skops")
    X.assign(y=y).to_csv(tmp_path / "train.csv", index=False)
    X.assign(y=y).to_csv(tmp_path / "train.tsv", index=False, sep="\t")
    X.to_parquet(tmp_path / "week.parquet")
    return tmp_path


def run(capsys, home, *args):
    """The exit code and the one line on stderr (or stdout) of `jupyter-mlops ARGS`."""
    code = main(["--home", str(home / "registry"), *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def one_line(err):
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert not PYTHON_SPELLING.search(err), err
    return err


def test_a_data_file_given_as_the_model_is_not_a_model_file(capsys, files):
    code, _, err = run(capsys, files, "register", "m", files / "train.csv")
    assert code == 2
    assert "'train.csv' is not a model file" in one_line(err).replace(str(files) + "/", "")
    assert "register expects a fitted model saved with skops.io.dump (a .skops file)" in err
    assert "pickle, which runs code" not in err


def test_tab_separated_data_is_read_and_unknown_kinds_are_named(capsys, files):
    code, _, err = run(
        capsys, files, "register", "m", files / "model.skops", "--data", files / "train.tsv",
        "--target", "y",
    )  # fmt: skip
    assert code == 0, err
    version = Registry(files / "registry").get("m:1")
    assert version.data_rows == 200 and [c["name"] for c in version.schema] == ["a", "b"]
    (files / "train.xlsx").write_bytes((files / "train.csv").read_bytes())
    code, _, err = run(
        capsys, files, "register", "m", files / "model.skops", "--data", files / "train.xlsx"
    )
    assert code == 2
    assert "is not of a kind jupyter-mlops reads (.xlsx)" in one_line(err)
    assert "give .parquet, .pq, .csv or .tsv files" in err


def test_a_message_of_the_core_is_given_in_the_command_lines_spelling(capsys, files):
    model = files / "model.skops"
    for _ in range(2):
        assert run(capsys, files, "register", "m", model, "--data", files / "train.csv",
                   "--target", "y", "--force")[0] == 0  # fmt: skip
    code, _, err = run(capsys, files, "drift", "m:1", "--current", files / "week.parquet",
                       "--window", "1d")  # fmt: skip
    assert code == 2
    assert "needs a time column; pass --time-column or a window of rows" in one_line(err)
    assert "(--window '10000 rows')" in err
    for step in (["promote", "m", "1"], ["promote", "m", "2"], ["archive", "m", "1"]):
        assert run(capsys, files, *step)[0] == 0
    code, _, err = run(capsys, files, "rollback", "m")
    assert code == 5
    assert "promote the version you want instead (`jupyter-mlops promote m VERSION" in one_line(err)


def test_archiving_an_archived_version_says_since_when(capsys, files):
    assert run(capsys, files, "register", "m", files / "model.skops")[0] == 0
    assert run(capsys, files, "archive", "m", "1", "--reason", "leaked labels")[0] == 0
    code, out, _ = run(capsys, files, "archive", "m", "1")
    assert code == 0
    assert re.search(
        r"m version 1 was already archived \(since \d{4}-\d\d-\d\d [\d:]+ UTC, by \S+\); "
        r"nothing changed\.",
        out,
    ), out
    history = Registry(files / "registry").history("m")
    assert [(e.action, e.reason) for e in history] == [("archive", "leaked labels")]


def test_loading_an_archived_version_warns_and_names_the_live_one(files):
    registry = Registry(files / "registry")
    model = skops.io.load(files / "model.skops")
    for _ in range(3):
        registry.register("m", model, force=True)
    registry.promote("m", 2)
    registry.archive("m", 1)
    with pytest.warns(MlopsWarning) as warned:
        loaded = registry.load("m:1")
    assert isinstance(loaded, LogisticRegression)
    (message,) = [str(w.message) for w in warned]
    assert message.startswith("m version 1 is archived (since ")
    assert "m@champion is version 2" in message and "register it again" in message
    registry.load("m:3")  # a live version loads without a word (warnings are errors here)
