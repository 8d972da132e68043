"""Labels for logged predictions: the rows log_predictions returned are request ids enough."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from jupyter_mlops import Monitor, Registry
from jupyter_mlops.errors import InvalidArgumentError
from jupyter_mlops.monitoring import logs
from tests.conftest import logged_ids


@pytest.fixture
def monitor(tmp_path, dataset, fitted) -> Monitor:
    X, y = dataset
    registry = Registry(tmp_path / "registry")
    registry.register("diagnosis", fitted, X=X, y=y)
    return Monitor(registry)


def test_the_rows_log_predictions_returned_take_their_labels(monitor: Monitor, dataset) -> None:
    X, y = dataset
    logged = monitor.log_predictions("diagnosis:1", X.iloc[:35])
    assert monitor.log_labels("diagnosis", logged.iloc[:30], y.iloc[:30]) == 30
    rest = logged[logs.REQUEST_ID].iloc[30:]  # a Series of ids, labels as a one-column frame
    assert monitor.log_labels("diagnosis", rest, y.iloc[30:35].to_frame()) == 5
    home = monitor.registry.home
    assert logged_ids(home, "diagnosis", logs.LABELS) == sorted(logged[logs.REQUEST_ID])
    report = monitor.performance("diagnosis:1", window="1d", save=False)
    accuracy = next(m for m in report.metrics if m.metric == "accuracy" and not m.estimated)
    assert accuracy.rows == 35


@pytest.mark.parametrize(
    ("ids", "labels", "message"),
    [
        ("X", [1] * 4, "the DataFrame given as request ids has no '__request_id__' column"),
        ("abcd", [1] * 4, "not the single str 'abcd'"),
        ({"a": 1, "b": 2}, [1, 0], "not a dict"),
        (np.array([["a", "b"], ["c", "d"]]), [1, 0], "not an array of shape (2, 2)"),
        (["a", None, "c"], [1, 0, 1], "request id 1 is None (NoneType), not an id"),
        (pd.Series(["a", np.nan]), [1, 0], "request id 1 is nan (float), not an id"),
    ],
)
def test_ids_that_are_not_a_sequence_of_ids_say_to_pass_the_request_id_column(
    monitor: Monitor, dataset, ids, labels, message
) -> None:
    X, _ = dataset
    ids = X.iloc[:4] if isinstance(ids, str) and ids == "X" else ids
    with pytest.raises(InvalidArgumentError) as raised:
        monitor.log_labels("diagnosis", ids, labels)
    text = str(raised.value)
    assert message in text and 'logged["__request_id__"]' in text and "\n" not in text
    assert not logs.has_log(monitor.registry.home, logs.LABELS, "diagnosis")


def test_labels_that_are_not_one_value_per_id_are_refused_in_one_sentence(
    monitor: Monitor, dataset
) -> None:
    X, y = dataset
    logged = monitor.log_predictions("diagnosis:1", X.iloc[:3])
    with pytest.raises(
        InvalidArgumentError, match=r"the DataFrame given has 31 columns \(mean radius, "
    ):
        monitor.log_labels("diagnosis", logged, X.iloc[:3].assign(y=y.iloc[:3]))
    with pytest.raises(InvalidArgumentError, match="not an int; pass y"):
        monitor.log_labels("diagnosis", logged, 1)
    with pytest.raises(InvalidArgumentError, match="3 request ids but 2 labels"):
        monitor.log_labels("diagnosis", logged, y.iloc[:2])
    assert not logs.has_log(monitor.registry.home, logs.LABELS, "diagnosis")


def test_an_id_given_twice_or_empty_in_one_call_is_refused_and_nothing_written(
    monitor: Monitor, dataset
) -> None:
    X, y = dataset
    home = monitor.registry.home
    for ids, said in [
        (["r1", "r1", "r2", "r3"], "request id 'r1' is given twice (at 0 and 1); give each of"),
        ([1, 2, "1", 3], "request id '1' is given twice (at 0 and 2)"),
        (["a", "b", "", "c"], "request id 2 is empty (''); give each of the rows an id"),
    ]:
        with pytest.raises(InvalidArgumentError) as raised:
            monitor.log_predictions("diagnosis:1", X.iloc[:4], request_ids=ids)
        assert said in str(raised.value) and "\n" not in str(raised.value)
    assert not logs.has_log(home, logs.PREDICTIONS, "diagnosis")
    logged = monitor.log_predictions("diagnosis:1", X.iloc[:4], request_ids=["a", "b", "c", "d"])
    with pytest.raises(InvalidArgumentError, match="request id 'a' is given twice"):
        monitor.log_labels("diagnosis", ["a", "a", "b", "c"], y.iloc[:4].tolist())
    with pytest.raises(InvalidArgumentError, match="request id 1 is empty"):
        monitor.log_labels("diagnosis", ["a", " ", "b", "c"], y.iloc[:4].tolist())
    assert not logs.has_log(home, logs.LABELS, "diagnosis")
    assert monitor.log_labels("diagnosis", logged, y.iloc[:4]) == 4


def test_predictions_given_that_are_not_the_classes_are_refused_naming_them(
    monitor: Monitor, dataset
) -> None:
    X, _ = dataset
    for given, said in [
        ([7, 1, 0, 1], "are its classes 0 and 1, but prediction 0 is 7 (int); pass the class"),
        ([0, 1, None, 1], "but prediction 2 is None (NoneType)"),
        ([0, 1, 0.5, 1], "but prediction 2 is 0.5 (float)"),
    ]:
        with pytest.raises(InvalidArgumentError) as raised:
            monitor.log_predictions("diagnosis:1", X.iloc[:4], predictions=given)
        assert said in str(raised.value) and "\n" not in str(raised.value)
    assert not logs.has_log(monitor.registry.home, logs.PREDICTIONS, "diagnosis")
    logged = monitor.log_predictions("diagnosis:1", X.iloc[:4], predictions=["1", 0, 1.0, True])
    assert logged[logs.PREDICTION].tolist() == [1, 0, 1, 1]
