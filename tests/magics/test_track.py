"""`%%mlops track` and the run subcommands, in a real IPython shell."""

from __future__ import annotations

import re

import pytest

from jupyter_mlops import Registry, Tracker

TRAIN = """%%mlops track churn-experiments --tag fold=3
clf = HistGradientBoostingClassifier(max_iter=20, random_state=0).fit(X_train, y_train)
auc = roc_auc_score(y_val, clf.predict_proba(X_val)[:, 1])
mlops.log_metric("val_auc", auc)
auc
"""


@pytest.fixture
def shell(ipython, tmp_path, dataset):
    ip = ipython
    ip.run_cell(f"%mlops connect {tmp_path / 'registry'}")
    X, y = dataset
    ip.run_cell(
        "import jupyter_mlops as mlops\n"
        "from sklearn.ensemble import HistGradientBoostingClassifier\n"
        "from sklearn.metrics import roc_auc_score\n"
    )
    ip.user_ns.update(
        X_train=X.iloc[:400], y_train=y.iloc[:400], X_val=X.iloc[400:], y_val=y.iloc[400:]
    )
    return ip


def test_a_tracked_cell_records_what_it_fitted_and_logged(shell, tmp_path):
    result = shell.run_cell(TRAIN)
    assert result.success
    assert result.result == pytest.approx(shell.user_ns["auc"])
    run = Tracker(Registry(tmp_path / "registry")).get(1)
    assert run.status == "finished"
    assert run.tags == {"fold": "3"}
    assert run.metrics == {"val_auc": pytest.approx(shell.user_ns["auc"])}
    assert run.models["clf"]["params"]["max_iter"] == 20
    assert run.models["clf"]["class"].endswith("HistGradientBoostingClassifier")
    assert 0 < run.models["clf"]["fit_seconds"] <= run.duration
    assert set(run.inputs) == {"X_train", "y_train"}
    assert run.inputs["X_train"]["rows"] == 400
    assert "HistGradientBoostingClassifier(max_iter=20" in run.code


def test_a_failing_tracked_cell_is_recorded_and_still_fails(shell, tmp_path, capsys):
    cell = "%%mlops track exp\nmlops.log_metric('loss', 1.0)\nraise ValueError('bad batch')\n"
    result = shell.run_cell(cell)
    assert not result.success
    assert isinstance(result.error_in_exec, ValueError)
    assert str(result.error_in_exec) == "bad batch"
    run = Tracker(Registry(tmp_path / "registry")).get(1)
    assert run.status == "failed" and "ValueError: bad batch" in run.error
    assert run.metrics == {"loss": 1.0}
    shown = re.sub(r"\x1b\[[0-9;]*m", "", capsys.readouterr().out)
    assert "raise ValueError('bad batch')" in shown  # the user's own line, in the traceback
    assert "track_cell" not in shown  # and not the magic's frames


def test_runs_compare_and_register_from_a_run(shell, tmp_path):
    shell.run_cell(TRAIN)
    shell.run_cell(TRAIN.replace("max_iter=20", "max_iter=3"))
    table = shell.run_cell("%mlops runs churn-experiments --sort val_auc --top 10").result
    assert [r.id for r in table] == [1, 2]
    comparison = shell.run_cell("%mlops compare-runs 1 2").result
    assert any(row[1] == "val_auc" for row in comparison.differences)
    version = shell.run_cell("%mlops register churn --from-run 1 --tag stage=dev").result
    assert version.run_id == "1" and version.data_rows == 400  # the run's data, still in memory
    assert version.tags == {"stage": "dev"}
    assert version.metrics == {"val_auc": pytest.approx(table[0].metrics["val_auc"])}
    assert shell.run_cell("%mlops run 1").result.versions == [("churn", 1)]
    figure = shell.run_cell("%mlops metrics churn").result
    assert figure.data[0].name == "val_auc"
    assert list(figure.data[0].y) == [version.metrics["val_auc"]]


RIDGE = """%%mlops track ridge
m = Ridge(alpha={alpha}).fit(X_train, y_train)
mlops.log_metric("r2", m.score(X_val, y_val))
"""


def test_the_params_a_cell_fitted_with_are_compared_searched_and_sorted(shell):
    shell.run_cell("from sklearn.linear_model import Ridge")
    for alpha in (0.37, 0.81):
        assert shell.run_cell(RIDGE.format(alpha=alpha)).success
    comparison = shell.run_cell("%mlops compare-runs 1 2").result
    assert ("model", "m.alpha", 0.37, 0.81) in comparison.differences
    assert "m.alpha" in str(comparison) and "m.solver" not in str(comparison)
    assert "m.solver" in str(shell.run_cell("%mlops compare-runs 1 2 --all").result)
    found = shell.run_cell('%mlops runs ridge --where "m.alpha < 0.5"').result
    assert [run.id for run in found] == [1]
    assert "m.alpha" in str(found).splitlines()[0].split()
    ordered = shell.run_cell("%mlops runs --sort m.alpha --ascending").result
    assert [run.id for run in ordered] == [1, 2]


def test_a_run_with_a_scaler_and_a_model_registers_the_model(shell, tmp_path):
    cell = (
        "%%mlops track exp\n"
        "from sklearn.preprocessing import StandardScaler\n"
        "from sklearn.linear_model import SGDClassifier\n"
        "scaler = StandardScaler().fit(X_train)\n"
        "sgd = SGDClassifier(loss='log_loss', random_state=0)\n"
        "for epoch in range(5):\n"
        "    sgd.partial_fit(scaler.transform(X_train), y_train, classes=[0, 1])\n"
        "    mlops.log_metric('epoch_score', sgd.score(scaler.transform(X_train), y_train))\n"
    )
    assert shell.run_cell(cell).success
    run = Tracker(Registry(tmp_path / "registry")).get(1)
    assert set(run.models) == {"scaler", "sgd"}
    version = shell.run_cell("%mlops register m --from-run 1").result
    assert version.model_class.endswith("SGDClassifier")
    figure = shell.run_cell("%mlops run 1 --plot").result
    assert figure.data[0].name == "epoch_score" and list(figure.data[0].x) == [0, 1, 2, 3, 4]


def test_a_failed_run_is_registered_only_with_allow_failed(shell, tmp_path, capsys):
    cell = (
        "%%mlops track exp\n"
        "clf = HistGradientBoostingClassifier(max_iter=3).fit(X_train, y_train)\n"
        "raise RuntimeError('out of memory')\n"
    )
    assert not shell.run_cell(cell).success
    capsys.readouterr()
    assert not shell.run_cell("%mlops register cancer --from-run 1").success
    out, err = capsys.readouterr()
    lines = [text for text in (out + err).splitlines() if text.strip()]
    assert len(lines) == 1, lines
    assert "run 1 did not finish (it failed with RuntimeError: out of memory)" in lines[0]
    assert "--allow-failed" in lines[0]
    assert Registry(tmp_path / "registry").models() == []
    version = shell.run_cell("%mlops register cancer --from-run 1 --allow-failed").result
    assert version.version == 1 and version.run_id == "1"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("%mlops runs nope", "no experiment named 'nope'"),
        ("%mlops run 42", "no run 42"),
        ("%mlops run abc", "not a number"),
        ("%mlops compare-runs 1", "at least two"),
        ("%mlops register churn --from-run 9", "no run 9"),
        ("%mlops register churn", "give the model's variable, or --from-run"),
        ("%mlops register churn clf --allow-failed", "--allow-failed applies to --from-run"),
        ("%mlops runs --top -1", "--top -1 is not a number of runs"),
        ("%mlops runs --sort nosuch", "no column 'nosuch'; the runs have run, experiment"),
        ('%mlops runs --where "clf.max_iter = 20"', "compares nothing; write COLUMN OP VALUE"),
        ('%mlops runs --where "clf.max_itr < 5"', "(did you mean 'clf.max_iter'?)"),
        ("%%mlops track exp --tag a=1 --tag a=2\n1\n", "tag 'a' is given twice"),
    ],
)
def test_run_misuse_is_one_line(shell, capsys, line, expected):
    shell.run_cell(TRAIN)
    capsys.readouterr()
    assert not shell.run_cell(line).success
    out, err = capsys.readouterr()
    lines = [text for text in (out + err).splitlines() if text.strip()]
    assert len(lines) == 1 and expected in lines[0], lines


def test_the_cell_magic_has_one_subcommand(shell, capsys):
    assert not shell.run_cell("%%mlops trak exp\n1\n").success
    assert "write `%%mlops track EXPERIMENT`" in capsys.readouterr().err


def test_a_model_the_cell_fitted_but_could_not_store_is_named_with_the_reason(
    shell, tmp_path, capsys
):
    shell.run_cell("from tests.registry.custom_model import FittedThreshold")
    cell = (
        "%%mlops track exp\n"
        "clf = HistGradientBoostingClassifier(max_iter=3).fit(X_train, y_train)\n"
        "clf2 = FittedThreshold(14.0).fit(X_train, y_train)\n"
    )
    capsys.readouterr()
    assert shell.run_cell(cell).success
    out = capsys.readouterr().out
    custom = "tests.registry.custom_model.FittedThreshold"
    lines = [line for line in out.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("%%mlops track: run 1 fitted 'clf2' but"), out
    assert f"uses {custom}" in lines[0]
    assert "`%mlops register NAME clf2 --trust TYPE`" in lines[0]
    assert "registry.register" not in lines[0] and "jupyter-mlops" not in lines[0]
    run = Tracker(Registry(tmp_path / "registry")).get(1)
    assert run.status == "finished" and "sha256" in run.models["clf"]
    assert custom in run.models["clf2"]["not_stored"]
    assert not shell.run_cell("%mlops register m --from-run 1 --run-model clf2").success
    shown = capsys.readouterr()
    assert "run 1 fitted 'clf2' but did not store it" in shown.out + shown.err
    assert "`%mlops register NAME clf2 --trust TYPE`" in shown.out + shown.err
