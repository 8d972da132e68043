"""Scoring in this process takes a version's inputs by name, in the order it recorded."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from IPython.core.interactiveshell import InteractiveShell
from sklearn.linear_model import LogisticRegression

from jupyter_mlops import Monitor, Registry
from jupyter_mlops.errors import InvalidArgumentError
from jupyter_mlops.monitoring import logs


def _rows(count: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(rng.normal(size=(count, 4)), columns=["age", "income", "tenure", "calls"])


def _truth(X: pd.DataFrame) -> pd.Series:
    return (X.age + 2 * X.income - X.tenure + 0.5 * X.calls > 0).astype(int)


@pytest.fixture
def monitor(tmp_path: Path) -> Monitor:
    """`on_array` was fitted on X.to_numpy() (it knows its columns only by position),
    `on_frame` on the DataFrame; both registered with the DataFrame."""
    X = _rows(2_000, seed=1)
    y = _truth(X)
    registry = Registry(tmp_path / "registry")
    registry.register("on_array", LogisticRegression().fit(X.to_numpy(), y), X=X, y=y)
    registry.register("on_frame", LogisticRegression().fit(X, y), X=X, y=y)
    return Monitor(registry)


@pytest.fixture
def shell(ipython: InteractiveShell, monitor: Monitor) -> InteractiveShell:
    ip = ipython
    ip.run_cell(f"%mlops connect {monitor.registry.home}")
    return ip


def test_columns_in_another_order_get_the_predictions_of_the_right_order(
    monitor: Monitor, shell: InteractiveShell
) -> None:
    X = _rows(1_000, seed=2)
    shuffled = X[["calls", "tenure", "income", "age"]]
    model = monitor.registry.load("on_array:1")
    right = model.predict(X.to_numpy())
    assert (model.predict(shuffled.to_numpy()) != right).mean() > 0.2  # order matters to it

    predicted = monitor.predict("on_array:1", shuffled, log=False)
    assert (predicted[logs.PREDICTION].to_numpy() == right).all()
    logged = monitor.log_predictions("on_array:1", shuffled)
    assert (logged[logs.PREDICTION].to_numpy() == right).all()
    assert list(logged.columns[:4]) == ["age", "income", "tenure", "calls"]

    shell.user_ns["shuffled"] = shuffled
    result = shell.run_cell("%mlops predict on_array:1 shuffled --no-log")
    result.raise_error()
    assert (result.result[logs.PREDICTION].to_numpy() == right).all()
    # an array has no names: its columns are the inputs by position, as the model was fitted
    on_array = monitor.predict("on_array:1", X.to_numpy(), log=False)
    assert (on_array[logs.PREDICTION].to_numpy() == right).all()


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda X: X.assign(customer_id=np.arange(len(X))), "1 column unexpected: 'customer_id'"),
        (lambda X: X.drop(columns=["tenure"]), "1 column missing: 'tenure'"),
        (
            lambda X: X.rename(columns={"calls": "cals"}),
            "1 column missing: 'calls'; 1 unexpected: 'cals'",
        ),
    ],
)
def test_missing_or_extra_columns_are_named_in_one_sentence_and_nothing_is_logged(
    monitor: Monitor, shell: InteractiveShell, change, named: str
) -> None:
    given = change(_rows(50, seed=3))
    for ref in ("on_frame:1", "on_array:1"):
        with pytest.raises(InvalidArgumentError) as raised:
            monitor.log_predictions(ref, given)
        message = str(raised.value)
        assert named in message and "\n" not in message
        assert "'age', 'income', 'tenure', 'calls'" in message
    shell.user_ns["given"] = given
    result = shell.run_cell("%mlops predict on_frame:1 given")
    assert not result.success
    assert named in str(result.error_in_exec) and "\n" not in str(result.error_in_exec)
    assert not logs.has_log(monitor.registry.home, logs.PREDICTIONS, "on_frame")
    assert not logs.has_log(monitor.registry.home, logs.PREDICTIONS, "on_array")
