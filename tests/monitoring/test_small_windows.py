"""Windows too small to tell a metric: an estimate its window would likely leave undefined
is none with a note saying why, so a rule reading it is unknown, never fired by a made-up
number; an interval at 0 or 1 is there exactly; and a labelled check of rows the model
refuses says that it refused them."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from jupyter_mlops import Monitor, Registry
from tests.monitoring.conftest import two_features as rows


@pytest.fixture
def monitor(registry: Registry) -> Monitor:
    """`sm` version 1 (champion): a healthy binary classifier with a held-out reference."""
    X, y = rows(2_000, seed=1)
    registry.register("sm", LogisticRegression().fit(X, y), X=X, y=y, reference=rows(1_000, seed=2))
    registry.promote("sm", 1)
    return Monitor(registry)


def test_an_auc_of_a_row_or_two_is_not_estimated_and_a_rule_on_it_is_unknown(
    monitor: Monitor,
) -> None:
    X, y = rows(40, seed=3)
    one = monitor.estimate("sm@champion", X.iloc[:1], save=False)
    auc = next(m for m in one.metrics if m.metric == "auc")
    assert auc.value is None and auc.ci_low is None
    assert "AUC needs rows of both classes and the window has 1 row" in auc.note
    assert "estimated.auc" not in one.values() and "estimated.accuracy" in one.values()
    assert "AUC needs rows of both classes" in " ".join(repr(one).split())  # note wrapped
    monitor.add_alert("sm@champion", "estimated.auc < 0.6")
    likely = X.sort_values("x").index[-2:]  # two rows all but sure to be of class 1
    for picked, why in (
        (X.index[:1], "AUC needs rows of both classes and the window has 1 row"),
        (likely, "the window's 2 rows would all be of one class (where AUC is undefined)"),
    ):
        result = monitor.check("sm@champion", X.loc[picked], y=y.loc[picked])
        assert not result.alerts and not result.firing
        [evaluation] = result.evaluations
        assert evaluation.outcome is None
        assert f"estimated.auc: not estimated: {why}" in " ".join(result.notes)
    told = monitor.check("sm@champion", X, y=y)  # 40 rows: both classes are all but certain
    assert "estimated.auc" in told.values and told.evaluations[0].outcome is not None


def test_a_labelled_check_of_rows_the_model_refuses_says_it_refused_them(
    monitor: Monitor,
) -> None:
    X, y = rows(100, seed=4)
    monitor.add_alert("sm@champion", "accuracy < 0.7")
    result = monitor.check("sm@champion", X.assign(x=np.inf), y=y)
    [evaluation] = result.evaluations
    assert evaluation.outcome is None and not result.alerts
    told = " ".join(result.notes)
    assert "accuracy: the model refused the rows the labels came with: sm version 1 cannot " in told
    assert "no labels came" not in told
    assert result.to_dict()["performance"]["metrics"] == []


def test_an_interval_of_no_right_answer_starts_at_0_exactly(monitor: Monitor) -> None:
    X, _ = rows(63, seed=5)
    answers = monitor.registry.load("sm@champion").predict(X)
    wrong = monitor.performance("sm@champion", X, y=1 - answers, save=False)
    accuracy = next(m for m in wrong.metrics if m.metric == "accuracy")
    assert (accuracy.value, accuracy.ci_low) == (0.0, 0.0)
    assert "0 to 0.0574712" in repr(wrong) and "e-18" not in repr(wrong)
    right = monitor.performance("sm@champion", X, y=answers, save=False)
    accuracy = next(m for m in right.metrics if m.metric == "accuracy")
    assert (accuracy.value, accuracy.ci_high) == (1.0, 1.0)


def test_an_estimate_of_rows_the_reference_always_got_right_is_never_certain(
    monitor: Monitor,
) -> None:
    """The reference's rows of the highest scores were all right, so the calibration's top
    is a rate just short of 1: a window of such rows has an estimated accuracy with an
    interval below 1, never [1, 1]."""
    X, _ = rows(2_000, seed=4)
    sure = X.sort_values("x").iloc[-20:]  # the scores the reference never got wrong
    for window in (sure.iloc[:1], sure):
        report = monitor.estimate("sm@champion", window, save=False)
        [accuracy] = [m for m in report.metrics if m.metric == "accuracy"]
        assert accuracy.value is not None and accuracy.ci_low is not None
        assert accuracy.value < 1 and accuracy.ci_low < accuracy.value <= accuracy.ci_high
