"""A classifier's labels are read as the classes they name, whichever way they come in
(`y=` of performance and check, `log_labels`), and a label naming none is refused naming
the classes; metrics are computed over the model's classes, and given rows are scored
whole."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import make_column_transformer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from jupyter_mlops import Monitor, Registry
from jupyter_mlops.errors import InvalidArgumentError

START = pd.Timestamp("2026-03-02")


def people(rows: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Age, income and city; the class 2 the more likely the older."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "age": rng.integers(18, 90, rows).astype(float),
            "income": rng.normal(50, 10, rows),
            "city": rng.choice(["north", "south", "east"], rows),
        }
    )
    return X, np.where(X["age"] + rng.normal(0, 10, rows) > 50, 2, 1)


def pipeline() -> Pipeline:
    encode = make_column_transformer(
        (StandardScaler(), ["age", "income"]), (OneHotEncoder(handle_unknown="ignore"), ["city"])
    )
    return make_pipeline(encode, LogisticRegression())


@pytest.fixture
def monitor(tmp_path: Path) -> Monitor:
    """`c12`: a classifier of 1 and 2 (champion); `cmulti`: of "a", "b" and "c" by age."""
    registry = Registry(tmp_path / "registry")
    X, y = people(2_000, seed=0)
    registry.register("c12", pipeline().fit(X, y), X=X, y=y, reference=people(1_000, seed=1))
    registry.promote("c12", 1)
    groups = np.array(["a", "b", "c"])[np.digitize(X["age"], [40, 65])]
    registry.register("cmulti", pipeline().fit(X, groups), X=X, y=groups)
    registry.promote("cmulti", 1)
    return Monitor(registry)


def realised(report) -> dict[str, float | None]:
    return {m.metric: m.value for m in report.metrics if not m.estimated}


def test_labels_as_text_are_scored_as_the_classes_they_name(monitor: Monitor) -> None:
    X, y = people(300, seed=2)
    as_numbers = realised(monitor.performance("c12@champion", X, y=y, save=False))
    as_text = realised(monitor.performance("c12@champion", X, y=y.astype(str), save=False))
    assert as_text == as_numbers
    said = monitor.registry.load("c12:1").predict(X)
    assert as_text["accuracy"] == pytest.approx(accuracy_score(y, said))
    assert as_text["f1"] == pytest.approx(f1_score(y, said, pos_label=2))
    as_floats = monitor.check("c12@champion", X, y=y.astype(float), multivariate=False)
    assert as_floats.values["accuracy"] == pytest.approx(as_numbers["accuracy"])


def test_a_missing_label_in_y_leaves_its_row_out(monitor: Monitor) -> None:
    X, y = people(300, seed=4)
    labels = pd.Series(y.astype(str), dtype="object")  # as read from a CSV with gaps
    labels[[3, 7]] = [None, np.nan]
    report = monitor.performance("c12@champion", X, y=labels, save=False)
    kept = np.ones(300, dtype=bool)
    kept[[3, 7]] = False
    whole = monitor.performance("c12@champion", X[kept], y=y[kept], save=False)
    assert realised(report) == realised(whole)
    assert "2 predictions still without a label" in report.note


def test_labels_naming_no_class_are_refused_naming_the_classes(monitor: Monitor) -> None:
    X, y = people(300, seed=2)
    zero_one = (y == 2).astype(int)
    expected = "the labels of c12 version 1 are its classes 1 and 2, but row {}'s label is 0 (int)"
    first = int(np.flatnonzero(zero_one == 0)[0])
    with pytest.raises(InvalidArgumentError, match=re.escape(expected.format(first))):
        monitor.performance("c12@champion", X, y=zero_one, save=False)
    with pytest.raises(InvalidArgumentError, match="are its classes 1 and 2, but row "):
        monitor.check("c12@champion", X, y=zero_one, multivariate=False)


def test_log_labels_keeps_the_classes_and_refuses_other_labels(monitor: Monitor) -> None:
    X, y = people(100, seed=3)
    logged = monitor.log_predictions("c12", X)
    refused = {
        "zeros": (np.zeros(100), "but label 0 is 0.0 (float)"),
        "halves": (np.full(100, 1.5), "but label 0 is 1.5 (float)"),
        "missing": ([None] * 100, "label 0 for c12 version 1 is missing (None)"),
        "flags": ([True, False] * 50, "but label 0 is True (bool)"),
    }
    for labels, message in refused.values():
        with pytest.raises(InvalidArgumentError, match=re.escape(message)):
            monitor.log_labels("c12", logged, labels)
    assert monitor.log_labels("c12", logged, [str(label) for label in y]) == 100
    found = realised(monitor.performance("c12@champion", window="1000 rows", save=False))
    said = monitor.registry.load("c12:1").predict(X)
    assert found["accuracy"] == pytest.approx(accuracy_score(y, said))
    assert found["f1"] == pytest.approx(f1_score(y, said, pos_label=2))


def test_a_multiclass_window_lacking_a_class_is_scored_by_the_models_classes(
    monitor: Monitor,
) -> None:
    X, _ = people(3_000, seed=5)
    truth = np.array(["a", "b", "c"])[np.digitize(X["age"], [40, 65])]
    said = monitor.registry.load("cmulti:1").predict(X)
    keep = (truth != "c") & (said != "c")
    report = monitor.performance("cmulti@champion", X[keep], y=truth[keep], save=False)
    found = realised(report)
    assert set(found) == {"accuracy", "f1_macro", "f1_weighted"}
    macro = f1_score(truth[keep], said[keep], average="macro")
    assert found["f1_macro"] == pytest.approx(macro)
    [note] = [m.note for m in report.metrics if m.metric == "f1_macro"]
    assert note.endswith("of each class among the window's labels and predictions")  # not c
    weighted = f1_score(truth[keep], said[keep], average="weighted")
    assert found["f1_weighted"] == pytest.approx(weighted)


def test_a_check_of_given_rows_with_a_time_column_judges_them_all(monitor: Monitor) -> None:
    X, y = people(900, seed=6)
    week = X.assign(at=START + pd.to_timedelta(np.arange(900) * 600, "s"))  # 6+ days
    checked = monitor.check("c12@champion", week, y=y, time_column="at", multivariate=False)
    assert checked.drift.rows == 900
    assert checked.performance is not None
    rows = {(m.metric, m.estimated): m.rows for m in checked.performance.metrics}
    assert rows[("accuracy", False)] == 900 and rows[("auc", True)] == 900
    said = monitor.registry.load("c12:1").predict(X)
    assert checked.values["accuracy"] == pytest.approx(accuracy_score(y, said))


def test_a_report_of_rows_without_times_shows_its_metrics(monitor: Monitor) -> None:
    X, y = people(300, seed=7)
    for report in (
        monitor.performance("c12@champion", X, y=y, save=False),
        monitor.estimate("c12@champion", X, save=False),
    ):
        text, page = repr(report), report._repr_html_()
        assert text.splitlines()[0] == "c12@champion (version 1), all 300 rows (no time column)"
        assert "windows of" not in text and "windows of" not in page
        for metric in report.metrics:
            assert metric.metric in text and f"{metric.value:.6g}" in text
            assert f"<td>{metric.value:.6g}</td>" in page


def test_predict_refuses_no_rows_in_one_sentence(monitor: Monitor) -> None:
    X, _ = people(10, seed=8)
    with pytest.raises(InvalidArgumentError) as refused:
        monitor.predict("c12@champion", X.iloc[:0], log=False)
    assert str(refused.value) == (
        "X has no rows, so c12 version 1 has nothing to score; pass at least one row."
    )


def test_predict_takes_a_series_as_one_row(monitor: Monitor) -> None:
    X, _ = people(10, seed=9)
    one = monitor.predict("c12@champion", X.iloc[3], log=False)
    every = monitor.predict("c12@champion", X, log=False)
    assert len(one) == 1
    assert one["__prediction__"].iloc[0] == every["__prediction__"].iloc[3]
    assert one["__score__"].iloc[0] == pytest.approx(every["__score__"].iloc[3])
