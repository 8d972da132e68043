"""A result's notes name their fixes as the reader of each face types them: the call in
Python, `%mlops ...` in a notebook, `jupyter-mlops ...` in a shell, never another's."""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import skops.io
from IPython.core.interactiveshell import InteractiveShell
from sklearn.linear_model import LogisticRegression

from jupyter_mlops import Monitor, Registry
from jupyter_mlops.cli import main
from jupyter_mlops.errors import Face

# what only one face writes: seen in any other face's text, a fix was spelled for the wrong one
ONLY = {
    Face.PYTHON: ("registry.", "monitor.", "force=True"),
    Face.NOTEBOOK: ("%mlops",),
    Face.SHELL: ("jupyter-mlops",),
}


def rows(count: int, *, seed: int) -> tuple[pd.DataFrame, pd.Series]:
    generator = np.random.default_rng(seed)
    X = pd.DataFrame({"a": generator.normal(size=count), "b": generator.normal(size=count)})
    return X, (X["a"] + X["b"] > 0).astype(int).rename("y")


@pytest.fixture
def setting(tmp_path: Path, ipython: InteractiveShell) -> dict:
    """A registry with `m` version 1 (no held-out reference data), the same data as files,
    and a notebook connected to it holding that data and the model."""
    X, y = rows(400, seed=1)
    model = LogisticRegression().fit(X, y)
    home = tmp_path / "registry"
    Registry(home).register("m", model, X=X, y=y, tags={"stage": "dev"})
    X.assign(y=y).to_parquet(tmp_path / "train.parquet")
    held = rows(200, seed=2)
    held[0].assign(y=held[1]).to_parquet(tmp_path / "held.parquet")
    skops.io.dump(model, tmp_path / "model.skops")
    ipython.push({"X": X, "y": y, "X_held": held[0], "y_held": held[1], "model": model})
    assert ipython.run_cell(f"%mlops connect {home}").success
    return {"home": home, "files": tmp_path, "X": X, "y": y, "held": held, "model": model}


def in_notebook(shell: InteractiveShell, line: str) -> object:
    ran = shell.run_cell(line)
    ran.raise_error()
    return ran.result


def in_shell(capsys: pytest.CaptureFixture[str], home: Path, *words: str) -> str:
    capsys.readouterr()
    code = main(["--home", str(home), *words])
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


def shown(result: object) -> str:
    """The text and the HTML a notebook shows, as one text."""
    page = getattr(result, "_repr_html_", lambda: "")()
    return f"{result!s}\n{html.unescape(page)}"


def flat(text: str) -> str:
    """`text` on one line: a note wraps within its table's column."""
    return " ".join(text.split())


def note_of(version: object) -> str:
    """The note row of a version's text (the rows below it hold the code that registered it)."""
    return flat(str(version).split("\nmodel ", 1)[0])


def assert_spelled(text: str, face: Face, *fixes: str) -> None:
    for fix in fixes:
        assert fix in text, (face, fix, text)
    for other, words in ONLY.items():
        for word in words if other is not face else ():
            assert word not in text, (face, word, text)


def test_prediction_drift_without_held_out_data_names_how_to_add_it(setting, ipython, capsys):
    current = str(setting["files"] / "train.parquet")
    report = Monitor(Registry(setting["home"])).drift("m:1", setting["X"], multivariate=False)
    python = "registry.set_reference('m', 1, X_val, y_val)"
    assert_spelled(str(report), Face.PYTHON, python)
    assert report.to_dict()["notes"] == list(report.notes)
    notebook = in_notebook(ipython, "%mlops drift m:1 --current X --no-multivariate")
    assert_spelled(shown(notebook), Face.NOTEBOOK, "`%mlops reference m 1 X_val y_val`")
    assert any("%mlops reference m 1" in note for note in notebook.to_dict()["notes"])
    assert report.face is Face.PYTHON  # the notebook's copy is its own
    said = in_shell(capsys, setting["home"], "drift", "m:1", "--current", current, "--no-save")
    fix = "`jupyter-mlops reference m 1 HELD_OUT.parquet --target COLUMN`"
    assert_spelled(flat(said), Face.SHELL, fix)


def test_a_check_without_rules_names_how_to_add_one(setting, ipython, capsys):
    check = Monitor(Registry(setting["home"])).check("m:1", setting["X"], multivariate=False)
    assert_spelled(repr(check), Face.PYTHON, "monitor.add_alert(REF, 'drift.share > 0.3')")
    notebook = in_notebook(ipython, "%mlops check m:1 --current X --no-multivariate")
    assert_spelled(shown(notebook), Face.NOTEBOOK, "%mlops alert add REF 'drift.share > 0.3'")
    assert "%mlops reference m 1 X_val y_val" in repr(notebook.drift)  # the report it holds
    current = str(setting["files"] / "train.parquet")
    said = in_shell(capsys, setting["home"], "check", "m:1", "--current", current)
    assert_spelled(
        " ".join(said.split()), Face.SHELL, "jupyter-mlops alert add REF 'drift.share > 0.3'"
    )


def test_an_empty_drift_history_names_what_records_one(setting, ipython, capsys):
    history = Monitor(Registry(setting["home"])).history("m")
    assert_spelled(repr(history), Face.PYTHON, "(each `monitor.drift('m')` records one)")
    notebook = in_notebook(ipython, "%mlops drift-history m")
    assert_spelled(shown(notebook), Face.NOTEBOOK, "(each `%mlops drift m` records one)")
    said = in_shell(capsys, setting["home"], "drift-history", "m")
    assert_spelled(flat(said), Face.SHELL, "(each `jupyter-mlops drift m` records one)")


def test_a_repeated_registration_names_how_to_apply_what_it_did_not(setting, ipython, capsys):
    X, y = setting["X"], setting["y"]
    again = Registry(setting["home"]).register(
        "m", setting["model"], X=X, y=y, tags={"stage": "prod"}, reference=setting["held"]
    )
    assert again.version == 1
    python = (
        "pass force=True to store another",
        "registry.set_reference('m', 1, X_val, y_val)",
        "registry.tag('m', 1, {KEY: VALUE})",
    )
    assert_spelled(note_of(again), Face.PYTHON, *python)
    line = "%mlops register m model --data X y --reference X_held y_held --tag stage=prod"
    notebook = in_notebook(ipython, line)
    assert notebook.version == 1
    fixes = ("pass --force to", "`%mlops reference m 1 X_val y_val`", "`%mlops tag m 1 KEY=VALUE`")
    assert_spelled(note_of(notebook), Face.NOTEBOOK, *fixes)
    assert "`%mlops tag m 1 KEY=VALUE`" in html.unescape(notebook._repr_html_())
    files = setting["files"]
    said = in_shell(
        capsys,
        setting["home"],
        *("register", "m", str(files / "model.skops"), "--data", str(files / "train.parquet")),
        *("--reference", str(files / "held.parquet"), "--target", "y", "--tag", "stage=prod"),
    )
    shell = (
        "pass --force to",
        "`jupyter-mlops reference m 1 HELD_OUT.parquet --target COLUMN`",
        "`jupyter-mlops tag m 1 KEY=VALUE`",
    )
    assert_spelled(note_of(said), Face.SHELL, *shell)
