"""The served version and its shadow paired from their logs, and compared on live rows."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_diabetes
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge

from jupyter_mlops import Registry, operations
from jupyter_mlops.clock import utc_now
from jupyter_mlops.errors import Face, InvalidArgumentError
from jupyter_mlops.monitoring import logs
from jupyter_mlops.monitoring.shadows import COLUMNS, paired_rows


def write(registry: Registry, kind: str, model: str, frame: pd.DataFrame) -> None:
    logs.write_segments(registry.home, kind, model, frame)


def outputs(ids: list[str], version: int, predictions, scores, *, ago: float = 0.0):
    now = utc_now() - timedelta(days=ago)
    return pd.DataFrame(
        {
            logs.REQUEST_ID: ids,
            logs.TIMESTAMP: [now] * len(ids),
            logs.VERSION: version,
            logs.PREDICTION: predictions,
            logs.SCORE: scores,
        }
    )


@pytest.fixture
def logged(tmp_path, dataset, fitted) -> tuple[Registry, pd.DataFrame, pd.Series]:
    """diagnosis 1 (champion) answered 40 requests; 2 (challenger) scored 30 of them in
    shadow, 3 (an earlier challenger) the other 10; 20 are labelled, one twice."""
    X, y = dataset
    registry = Registry(tmp_path / "registry")
    registry.register("diagnosis", fitted, X=X, y=y)
    other = LogisticRegression(C=0.001, max_iter=5000).fit(X, y)
    registry.register("diagnosis", other, X=X, y=y)
    registry.register("diagnosis", LogisticRegression(C=0.01, max_iter=5000).fit(X, y), X=X, y=y)
    registry.promote("diagnosis", 1)
    registry.promote("diagnosis", 2, "challenger")
    rows, truth = X.iloc[:40], y.iloc[:40]
    ids = [f"r{i:02d}" for i in range(40)]
    champion = fitted.predict_proba(rows)[:, 1]
    write(registry, logs.PREDICTIONS, "diagnosis", outputs(ids, 1, fitted.predict(rows), champion))
    old = ["old"]  # answered ten days ago, beyond a 7d window
    write(registry, logs.PREDICTIONS, "diagnosis", outputs(old, 1, [1], [0.9], ago=10))
    shadow = other.predict_proba(rows)[:, 1]
    write(
        registry,
        logs.SHADOWS,
        "diagnosis",
        outputs(ids[:30] + old, 2, [*other.predict(rows)[:30], 1], [*shadow[:30], 0.9]),
    )
    write(
        registry,
        logs.SHADOWS,
        "diagnosis",
        outputs(ids[30:], 3, other.predict(rows)[30:], shadow[30:]),
    )
    labels = pd.DataFrame(
        {
            logs.REQUEST_ID: ids[:20],
            logs.TIMESTAMP: utc_now(),
            logs.LABEL: truth.iloc[:20].to_numpy(),
        }
    )
    wrong = labels.iloc[:1].assign(
        **{logs.LABEL: 1 - truth.iloc[0], logs.TIMESTAMP: utc_now() - timedelta(hours=1)}
    )
    write(registry, logs.LABELS, "diagnosis", pd.concat([labels, wrong]))
    return registry, rows, truth


def test_rows_pair_on_request_ids_and_the_versions_the_aliases_name(logged, fitted) -> None:
    registry, rows, truth = logged
    found = paired_rows(registry, model="diagnosis", window="7d")
    assert list(found.columns) == COLUMNS
    assert list(found["request_id"]) == [f"r{i:02d}" for i in range(30)]  # not version 3's
    assert set(found["champion_version"]) == {1} and set(found["challenger_version"]) == {2}
    assert found["champion_prediction"].tolist() == fitted.predict(rows.iloc[:30]).tolist()
    assert found["label"].iloc[0] == truth.iloc[0]  # the latest label of a request wins
    assert found["label"].iloc[20:].isna().all()
    assert len(paired_rows(registry, model="diagnosis")) == 31  # no window: the old row too
    earlier = paired_rows(registry, model="diagnosis", challenger=3, window="7d")
    assert list(earlier["request_id"]) == [f"r{i:02d}" for i in range(30, 40)]
    assert len(paired_rows(registry, model="diagnosis", window="5 rows")) == 5


def test_compare_live_gives_each_sides_metrics_on_the_labelled_pairs(logged, fitted) -> None:
    registry, rows, truth = logged
    result = operations.compare_live(registry, model="diagnosis", window="7d")
    assert (result.paired, result.labelled) == (30, 20)
    other = registry.load("diagnosis:2")
    expected = (other.predict(rows.iloc[:20]) == truth.iloc[:20]).mean()
    metrics = {m.metric: m for m in result.metrics}
    assert metrics["accuracy"].challenger == pytest.approx(expected)
    assert metrics["accuracy"].difference == pytest.approx(expected - metrics["accuracy"].champion)
    assert result.agreement == pytest.approx(
        (fitted.predict(rows.iloc[:30]) == other.predict(rows.iloc[:30])).mean()
    )
    assert "only 20 of the 30 paired rows are labelled" in result.note
    assert "accuracy" in repr(result) and "<table" in result._repr_html_()
    assert result.to_dict()["metrics"][0]["metric"] == "accuracy"


def test_compare_live_without_a_shadow_log_says_how_to_get_one(registry, dataset, fitted) -> None:
    X, y = dataset
    registry.register("diagnosis", fitted, X=X, y=y)
    registry.promote("diagnosis", 1)
    registry.register("diagnosis", LogisticRegression(C=0.01, max_iter=5000).fit(X, y), X=X, y=y)
    registry.promote("diagnosis", 2, "challenger")
    write(registry, logs.PREDICTIONS, "diagnosis", outputs(["a"], 1, [1], [0.5]))
    with pytest.raises(InvalidArgumentError, match="no shadow scores of diagnosis") as refused:
        operations.compare_live(registry, model="diagnosis")
    told = refused.value.render(Face.SHELL)
    assert "jupyter-mlops deploy diagnosis@champion --shadow diagnosis@challenger" in told


def test_a_regressor_is_compared_by_its_errors(registry) -> None:
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    first, second = LinearRegression().fit(X, y), Ridge(alpha=1.0).fit(X, y)
    registry.register("sugar", first, X=X, y=y)
    registry.register("sugar", second, X=X, y=y)
    registry.promote("sugar", 1)
    registry.promote("sugar", 2, "challenger")
    ids = [f"q{i}" for i in range(50)]
    rows = X.iloc[:50]
    write(registry, logs.PREDICTIONS, "sugar", outputs(ids, 1, first.predict(rows), np.nan))
    write(registry, logs.SHADOWS, "sugar", outputs(ids, 2, second.predict(rows), np.nan))
    labels = pd.DataFrame(
        {logs.REQUEST_ID: ids, logs.TIMESTAMP: utc_now(), logs.LABEL: y.iloc[:50].to_numpy()}
    )
    write(registry, logs.LABELS, "sugar", labels)
    result = operations.compare_live(registry, model="sugar")
    metrics = {m.metric: m for m in result.metrics}
    assert set(metrics) == {"mae", "rmse"} and result.note == ""
    mae = np.abs(second.predict(rows) - y.iloc[:50]).mean()
    assert metrics["mae"].challenger == pytest.approx(mae)
    better = "challenger" if metrics["mae"].challenger < metrics["mae"].champion else "champion"
    assert metrics["mae"].better == better
    assert result.agreement == 0.0  # two different regressors never predict exactly alike


def test_compare_live_refuses_a_ref_for_the_model_and_one_version_on_both_sides(
    logged, capsys
) -> None:
    registry, _, _ = logged
    with pytest.raises(InvalidArgumentError, match="give diagnosis, with champion='champion'"):
        operations.compare_live(registry, model="diagnosis@champion")
    with pytest.raises(InvalidArgumentError, match=r"the champion \(1\) and the challenger"):
        operations.compare_live(registry, model="diagnosis", champion=1, challenger=1)
    from jupyter_mlops.cli import main

    home = ["--home", str(registry.home), "compare-live"]
    assert main([*home, "diagnosis", "--champion", "1", "--challenger", "1"]) == 2
    assert main([*home, "diagnosis@champion"]) == 2
    assert "give diagnosis, with --champion champion" in capsys.readouterr().err


def test_compare_live_refuses_versions_of_two_tasks_and_agrees_across_number_types(
    logged, dataset
) -> None:
    """A regressor in shadow of a classifier is refused (its accuracy would read 0); its
    float predictions in the shadow log leave the classifiers' agreement as it was."""
    registry, _, _ = logged
    X, y = dataset
    registry.register("diagnosis", LinearRegression().fit(X, y.astype(float)), X=X, y=y)
    ids = [f"r{i:02d}" for i in range(40)]
    write(registry, logs.SHADOWS, "diagnosis", outputs(ids, 4, [0.4] * 40, np.nan))
    with pytest.raises(InvalidArgumentError) as refused:
        operations.compare_live(registry, model="diagnosis", challenger=4)
    assert str(refused.value) == (
        "diagnosis@champion (version 1) is a classifier and diagnosis:4 a regressor; a live "
        "comparison compares versions that do the same task, so name a challenger that is a "
        "classifier too."
    )
    result = operations.compare_live(registry, model="diagnosis", window="7d")
    found = paired_rows(registry, model="diagnosis", window="7d")
    same = found["champion_prediction"].astype(float) == found["challenger_prediction"]
    assert result.agreement == pytest.approx(same.mean()) and result.agreement > 0.5
