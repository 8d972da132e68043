"""Current data and labels in the shapes a notebook holds them: a 2-D array for a version
fitted on one, and labels as a nullable pandas array."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from jupyter_mlops import Monitor, Registry
from jupyter_mlops.errors import InvalidArgumentError


def arrays(rows: int, *, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, 3))
    return X, X[:, 0] + rng.normal(scale=0.5, size=rows) > 0


@pytest.fixture
def monitor(registry: Registry) -> Monitor:
    X, y = arrays(2_000, seed=1)
    model = LogisticRegression().fit(X, y)
    registry.register("arr", model, X=X, y=y, reference=arrays(1_000, seed=2))
    return Monitor(registry)


def test_a_version_fitted_on_an_array_is_monitored_on_an_array(monitor: Monitor) -> None:
    X, y = arrays(900, seed=3)
    as_frame = pd.DataFrame(X, columns=["x0", "x1", "x2"])
    drift = monitor.drift("arr:1", current=X, save=False)
    assert drift.rows == 900 and drift.to_frame().equals(
        monitor.drift("arr:1", current=as_frame, save=False).to_frame()
    )
    assert monitor.check("arr:1", current=X, y=y).drift.rows == 900
    performance = monitor.performance("arr:1", current=X, y=y, save=False)
    accuracy = next(m for m in performance.metrics if m.metric == "accuracy")
    assert accuracy.rows == 900 and accuracy.value > 0.7
    estimate = monitor.estimate("arr:1", current=X, save=False)
    assert any(m.estimated and m.rows == 900 for m in estimate.metrics)


def test_a_frame_with_other_names_is_told_the_version_takes_columns_by_position(
    monitor: Monitor,
) -> None:
    X, y = arrays(900, seed=4)
    named = pd.DataFrame(X, columns=["a", "b", "c"])
    told = r"arr version 1 was fitted on an array, so it takes x0..x2 by position"
    for call in (
        lambda: monitor.drift("arr:1", current=named, save=False),
        lambda: monitor.check("arr:1", current=named),
        lambda: monitor.performance("arr:1", current=named, y=y, save=False),
        lambda: monitor.estimate("arr:1", current=named, save=False),
    ):
        with pytest.raises(InvalidArgumentError, match=told):
            call()
    with pytest.raises(
        InvalidArgumentError, match=r"or a 2-D array of 3 columns, not an array of shape"
    ):
        monitor.drift("arr:1", current=X[:, :2], save=False)


def test_labels_as_a_nullable_array_are_taken_with_missing_ones_left_out(
    monitor: Monitor,
) -> None:
    X, y = arrays(900, seed=5)
    labels = pd.array([*y[:-1], None], dtype="boolean")
    report = monitor.performance("arr:1", current=X, y=labels, save=False)
    whole = monitor.performance("arr:1", current=X[:-1], y=y[:-1], save=False)
    assert [(m.metric, m.value) for m in report.metrics] == [
        (m.metric, m.value) for m in whole.metrics
    ]
    index = pd.Index(y)
    assert monitor.check("arr:1", current=X, y=index).performance is not None
    with pytest.raises(
        InvalidArgumentError, match=r"one value per row, not a dict; pass y=y_true, the true values"
    ):
        monitor.performance("arr:1", current=X, y={"a": 1}, save=False)
