"""What a gate refuses rather than answer wrongly: labels in another row order or of other
rows, non-finite labels, metrics that come out undefined, too few of a class for AUC, a
holdout that is a version's training data; and a live gate that reads only the registry's
records and logs, checking its arguments first."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression, Ridge

from jupyter_mlops import Registry, operations
from jupyter_mlops.cli import main
from jupyter_mlops.clock import utc_now
from jupyter_mlops.errors import InvalidArgumentError
from jupyter_mlops.monitoring import logs
from tests.automation.conftest import churn_rows


def test_labels_in_another_order_are_matched_by_index_and_other_rows_refused(churn_home, holdout):
    X, y = holdout
    registry = Registry(churn_home)
    kw = {"model": "churn", "challenger": 2, "X": X, "metric": "accuracy"}
    ordered = operations.gate(registry, y=y, **kw)
    shuffled = operations.gate(registry, y=y.sample(frac=1, random_state=1), **kw)
    assert shuffled.champion_value == ordered.champion_value
    assert shuffled.challenger_value == ordered.challenger_value
    with pytest.raises(InvalidArgumentError, match="the index of y holds other values"):
        operations.gate(registry, y=y.set_axis(y.index + 5000), **kw)


def test_auc_needs_ten_rows_of_each_class(churn_home, holdout):
    X, y = holdout
    rows = pd.concat([X[y == 1].iloc[:1], X[y == 0].iloc[:39]])
    with pytest.raises(InvalidArgumentError, match="y holds 1 row of class 1, and auc needs at "
                       "least 10 of each class"):  # fmt: skip
        operations.gate(Registry(churn_home), model="churn", challenger=2, X=rows,
                        y=y.loc[rows.index], metric="auc")  # fmt: skip


@pytest.fixture(scope="module")
def price(tmp_path_factory: pytest.TempPathFactory) -> tuple[Registry, pd.DataFrame, pd.Series]:
    """Two regressors of `price` trained on other rows than the 200 returned."""
    registry = Registry(tmp_path_factory.mktemp("price") / "registry")
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=600), "b": rng.normal(size=600)})
    y = 3 * X.a - X.b + rng.normal(size=600) * 0.3
    registry.register("price", Ridge(alpha=1e4).fit(X[:400], y[:400]), X=X[:400], y=y[:400])
    registry.register("price", LinearRegression().fit(X[:400], y[:400]), X=X[:400], y=y[:400])
    return registry, X[400:], y[400:]


@pytest.mark.parametrize(
    ("labels", "metric", "message"),
    [
        (lambda y: y * 0 + 4.0, "r2", "r2 comes out undefined on these 200 held-out rows"),
        (lambda y: y.where(y.index != 450, np.inf), "rmse", "y holds 1 infinite value of 200"),
        (lambda y: y * 1e300, "rmse", "rmse comes out undefined"),
    ],
    ids=["constant-r2", "infinite", "overflowing"],
)
def test_degenerate_labels_are_refused_not_measured(price, labels, metric, message):
    registry, X, y = price
    with pytest.raises(InvalidArgumentError, match=message):
        operations.gate(registry, model="price", challenger=2, champion=1, X=X, y=labels(y),
                        metric=metric)  # fmt: skip


def test_a_versions_training_data_is_no_holdout_from_python_or_a_shell(
    churn, holdout, tmp_path, capsys
):
    X, y = churn_rows(1_500, seed=1)  # the rows versions 1 and 2 were trained on
    with pytest.raises(InvalidArgumentError, match="the holdout is churn:1's training data"):
        operations.gate(churn, model="churn", challenger=2, X=X, y=y, metric="auc", promote=True)
    with pytest.raises(InvalidArgumentError, match="the holdout is churn:1's training data"):
        renamed = y.rename("tenure")  # the same labels, called otherwise than at registration
        operations.gate(churn, model="churn", challenger=2, X=X, y=renamed, metric="auc")
    assert churn.get("churn@champion").version == 1
    X.assign(churned=y).to_parquet(tmp_path / "train.parquet")
    args = ["--home", str(churn.home), "gate", "churn", "--challenger", "2", "--metric", "auc"]
    assert main([*args, "--holdout", str(tmp_path / "train.parquet"), "--target", "churned"]) == 2
    assert "training data" in capsys.readouterr().err


def test_the_shell_names_its_target_column_and_refuses_a_holdout_beside_live(
    churn_home, holdout, tmp_path, capsys
):
    X, y = holdout
    path = tmp_path / "hold.csv"
    X.assign(churned=y.astype(float).where(y.index % 5 != 0)).to_csv(path, index=False)
    args = ["--home", str(churn_home), "gate", "churn", "--challenger", "2", "--metric", "f1"]
    assert main([*args, "--holdout", str(path), "--target", "churned"]) == 2
    said = capsys.readouterr().err
    assert f"the --target column 'churned' of {path} has 200 missing labels" in said
    assert f"drop those rows from {path}, then" in said and "X and y" not in said
    assert main([*args, "--holdout", str(path), "--target", "churned", "--live", "1d"]) == 2
    assert "a live gate (--live 1d)" in capsys.readouterr().err


@pytest.fixture
def shadowed(churn, holdout) -> Registry:
    """churn 1 served and 2 in shadow on 200 labelled requests, with no model artifact
    left to load: a live gate reads the logs."""
    X, y = holdout
    rows, truth = X.iloc[:200], y.iloc[:200]
    ids = [f"q{i}" for i in range(200)]
    for kind, version in ((logs.PREDICTIONS, 1), (logs.SHADOWS, 2)):
        model = churn.load(f"churn:{version}")
        said = {logs.PREDICTION: model.predict(rows), logs.SCORE: model.predict_proba(rows)[:, 1]}
        frame = pd.DataFrame({logs.REQUEST_ID: ids, logs.TIMESTAMP: utc_now(),
                              logs.VERSION: version, **said})  # fmt: skip
        logs.write_segments(churn.home, kind, "churn", frame)
    labels = {logs.REQUEST_ID: ids, logs.TIMESTAMP: utc_now(), logs.LABEL: truth.to_numpy()}
    logs.write_segments(churn.home, logs.LABELS, "churn", pd.DataFrame(labels))
    shutil.rmtree(churn.home / "artifacts")
    return churn


def test_a_live_gate_loads_no_model_and_checks_its_arguments_first(shadowed, capsys):
    args = ["--home", str(shadowed.home), "gate", "churn", "--challenger", "2"]
    assert main([*args, "--live", "1d", "--metric", "accuracy"]) == 0
    shown = capsys.readouterr().out
    assert "200 labelled requests of the last 1d both scored" in shown
    assert "200 200" not in shown.replace(",", "")
    result = operations.gate(shadowed, model="churn", challenger=2, live="1d", metric="auc")
    assert result.passed and result.rows == 200
    assert main([*args, "--live", "0d", "--metric", "accuracy"]) == 2
    assert "a window of '0d' is empty" in capsys.readouterr().err
    assert main([*args, "--live", "1d", "--metric", "rmse"]) == 2
    assert "choose one of accuracy, auc, f1, log_loss" in capsys.readouterr().err


def test_a_reason_too_long_with_the_gates_numbers_is_refused_before_anything_is_scored(
    churn, holdout
):
    X, y = holdout
    kw = {"model": "churn", "challenger": 2, "metric": "auc", "promote": True}
    with pytest.raises(InvalidArgumentError) as refused:
        operations.gate(churn, X=None, y=None, reason="x" * 3_950, **kw)
    assert str(refused.value).startswith(
        "reason is 3,950 characters long, and the promotion appends the gate's numbers (up to "
        "300 characters) to it; keep it to 3,700 characters"
    )
    passed = operations.gate(churn, X=X, y=y, reason="x" * 3_700, **kw)
    assert passed.promoted and churn.get("churn@champion").version == 2
    assert churn.history("churn")[-1].reason.startswith("x" * 3_700 + "; gate on 1,000 held-out")


def test_a_promotion_refused_after_the_gate_says_what_the_gate_found(
    churn, holdout, tmp_path, capsys
):
    X, y = holdout
    X.assign(churned=y).to_parquet(tmp_path / "holdout.parquet")
    churn.promote("churn", 3, reason="moved while the gate measured version 1")
    args = ["--home", str(churn.home), "gate", "churn", "--champion", "1", "--challenger", "2"]
    held = ["--holdout", str(tmp_path / "holdout.parquet"), "--target", "churned"]
    assert main([*args, *held, "--metric", "auc", "--promote"]) == 5
    said = capsys.readouterr().err
    assert said.startswith("jupyter-mlops: the gate passed (gate on 1,000 held-out rows: auc ")
    assert "but churn@champion did not move: " in said and said.count("\n") == 1
    assert churn.get("churn@champion").version == 3


def test_a_side_may_be_a_ref_of_the_model_and_not_of_another(churn_home, holdout, tmp_path, capsys):
    """As compare-live takes them: `churn:2`, `churn@champion`; `fraud:2` is refused."""
    X, y = holdout
    X.assign(churned=y).to_parquet(tmp_path / "holdout.parquet")
    args = ["--home", str(churn_home), "gate", "churn", "--metric", "auc", "--holdout"]
    args += [str(tmp_path / "holdout.parquet"), "--target", "churned"]
    assert main([*args, "--challenger", "churn:2", "--champion", "churn@champion"]) == 0
    shown = capsys.readouterr().out
    assert "version 1 (churn@champion)" in shown and "gate churn: promote" in shown
    assert main([*args, "--challenger", "fraud:2"]) == 2
    assert capsys.readouterr().err == (
        "jupyter-mlops: fraud:2 is a version of fraud, not of churn; name a version of churn "
        "(an alias such as challenger, or a number).\n"
    )
    result = operations.gate(Registry(churn_home), model="churn", challenger="churn:2",
                             champion="churn:1", X=X, y=y, metric="auc")  # fmt: skip
    assert (result.champion_named, result.champion_alias) == ("churn:1", "champion")
