"""Labels given apart from their rows pair with them by index, as the gate pairs them: a `y`
in another order than X (`y.sort_index()` after train_test_split) reads the same numbers, and
one indexed by other values is refused before anything is counted."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from jupyter_mlops import Monitor, Registry, operations
from jupyter_mlops.errors import InvalidArgumentError
from jupyter_mlops.monitoring import logs
from tests.monitoring.conftest import two_features

REFUSED = "the index of y holds other values than the rows' index"


@pytest.fixture(scope="module")
def parts() -> dict[str, tuple[pd.DataFrame, pd.Series]]:
    """Training, held-out and current rows cut by train_test_split: shuffled indexes."""
    X, y = two_features(3000, seed=4)
    X_train, X_rest, y_train, y_rest = train_test_split(X, y, test_size=0.5, random_state=0)
    X_val, X_now, y_val, y_now = train_test_split(X_rest, y_rest, test_size=0.5, random_state=0)
    return {"train": (X_train, y_train), "held_out": (X_val, y_val), "now": (X_now, y_now)}


@pytest.fixture(scope="module")
def model(parts: dict) -> LogisticRegression:
    return LogisticRegression().fit(*parts["train"])


@pytest.fixture
def registry(tmp_path: Path, parts: dict, model: LogisticRegression) -> Registry:
    registry = Registry(tmp_path / "registry")
    registry.register("pairs", model, X=parts["train"][0], y=parts["train"][1])
    return registry


def accuracy(report) -> float:
    return next(m.value for m in report.metrics if m.metric == "accuracy" and not m.estimated)


def test_labels_in_another_order_read_the_same_performance_and_check(
    registry: Registry, parts: dict
) -> None:
    X, y = parts["now"]
    ordered = accuracy(operations.performance(registry, ref="pairs:1", current=X, y=y))
    assert ordered > 0.8
    again = operations.performance(registry, ref="pairs:1", current=X, y=y.sort_index())
    assert accuracy(again) == ordered
    checked = operations.check(registry, ref="pairs:1", current=X, y=y.sort_index())
    assert checked.to_dict()["values"]["accuracy"] == pytest.approx(ordered)
    with pytest.raises(InvalidArgumentError, match=REFUSED):
        operations.performance(registry, ref="pairs:1", current=X, y=y.reset_index(drop=True))
    with pytest.raises(InvalidArgumentError, match=REFUSED):
        operations.check(registry, ref="pairs:1", current=X, y=y.reset_index(drop=True))
    half = len(X) // 2  # indexes that repeat values give no one order to put labels in
    twice = X.iloc[: 2 * half].set_axis([0, 1] * half)
    with pytest.raises(InvalidArgumentError, match="repeat values, in other orders"):
        operations.performance(
            registry, ref="pairs:1", current=twice, y=y.iloc[: 2 * half].set_axis([1, 0] * half)
        )
    by_position = y.to_numpy()  # an array has no index: it pairs by position
    assert accuracy(operations.performance(registry, ref="pairs:1", current=X, y=by_position)) == (
        ordered
    )


def test_labels_logged_in_another_order_pair_with_their_predictions(
    registry: Registry, parts: dict
) -> None:
    X, y = parts["now"]
    monitor = Monitor(registry)
    logged = monitor.log_predictions("pairs:1", X)
    assert logged.index.equals(X.index)
    assert monitor.log_labels("pairs", logged, y.sort_index()) == len(y)
    ids = monitor.log_predictions("pairs:1", X)[logs.REQUEST_ID]
    assert monitor.log_labels("pairs", ids.sort_index(), y) == len(y)
    report = monitor.performance("pairs:1", window="1d", save=False)
    truth = operations.performance(registry, ref="pairs:1", current=X, y=y)
    assert accuracy(report) == accuracy(truth)
    with pytest.raises(InvalidArgumentError, match=REFUSED):
        monitor.log_labels("pairs", logged, y.reset_index(drop=True))


def test_a_reference_whose_labels_are_in_another_order_calibrates_the_same(
    tmp_path: Path, parts: dict, model: LogisticRegression
) -> None:
    registry = Registry(tmp_path / "registry")
    X_train, y_train = parts["train"]
    X_val, y_val = parts["held_out"]
    registry.register("pairs", model, X=X_train, y=y_train, reference=(X_val, y_val))
    registry.register(
        "sorted", model, X=X_train, y=y_train.sort_index(), reference=(X_val, y_val.sort_index())
    )
    X_now = parts["now"][0]
    estimates = [
        operations.estimate(registry, ref=f"{name}:1", current=X_now).to_frame()["value"].tolist()
        for name in ("pairs", "sorted")
    ]
    assert estimates[0] == estimates[1]
    assert registry.get("pairs:1").data_fingerprint == registry.get("sorted:1").data_fingerprint
    with pytest.raises(InvalidArgumentError, match=REFUSED):
        registry.register("other", model, reference=(X_val, y_val.reset_index(drop=True)))


def test_predictions_and_times_given_as_series_pair_with_their_rows_by_index(
    registry: Registry, parts: dict
) -> None:
    """What `log_predictions` is given beside X as Series pairs with X's rows by index, as
    labels do: the same values sorted by index log the same rows."""
    X, _ = parts["now"]
    monitor = Monitor(registry)
    said = pd.Series(registry.load("pairs:1").predict(X), index=X.index)
    times = pd.Series(pd.date_range("2026-11-02", periods=len(X), freq="1min"), index=X.index)
    ids = pd.Series([f"r{n}" for n in X.index], index=X.index)
    logged = monitor.log_predictions(
        "pairs:1",
        X,
        predictions=said.sort_index(),
        timestamps=times.sort_index(),
        request_ids=ids.sort_index(),
    )
    assert logged[logs.REQUEST_ID].tolist() == ids.tolist()
    assert logged[logs.PREDICTION].tolist() == said.tolist()
    assert pd.to_datetime(logged[logs.TIMESTAMP]).tolist() == times.tolist()
