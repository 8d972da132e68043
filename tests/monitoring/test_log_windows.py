"""Windows over the prediction log and over given times: every window the log holds, weeks
from Monday, and one sentence when a window holds no rows."""

from __future__ import annotations

import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from jupyter_mlops import Monitor, Registry
from jupyter_mlops.errors import InvalidArgumentError
from tests.monitoring.conftest import two_features as rows

TIMES = pd.Series(pd.date_range("2024-01-01", periods=900, freq="192s"))  # two days


@pytest.fixture
def monitor(registry: Registry) -> Monitor:
    X, y = rows(2_000, seed=1)
    registry.register("al", LogisticRegression().fit(X, y), X=X, y=y, reference=rows(1_000, seed=2))
    registry.promote("al", 1)
    return Monitor(registry)


def test_drift_by_windows_over_the_log_covers_every_window_it_holds(monitor: Monitor) -> None:
    X, _ = rows(len(TIMES), seed=3)
    monitor.log_predictions("al@champion", X, timestamps=TIMES)
    daily = monitor.drift_windows("al@champion", every="1d", save=False)
    assert [(r.window_start, r.rows) for r in daily.reports] == [
        (pd.Timestamp("2024-01-01").to_pydatetime(), 450),
        (pd.Timestamp("2024-01-02").to_pydatetime(), 450),
    ]
    by_rows = monitor.drift_windows("al@champion", every=300, save=False)
    assert [r.rows for r in by_rows.reports] == [300, 300, 300]
    last = monitor.drift_windows("al@champion", every="1d", last=1, save=False)
    assert [r.rows for r in last.reports] == [450]
    with pytest.raises(InvalidArgumentError, match=r"newest row is logged at 2024-01-02 23:56 UTC"):
        monitor.drift("al@champion", window="1d", save=False)


def test_a_time_window_over_rows_without_any_time_says_it_holds_no_rows(monitor: Monitor) -> None:
    X, y = rows(len(TIMES), seed=4)
    untimed = X.assign(t=pd.NaT)
    told = r"no row of the current data has a time in 't', so a window of 1d holds no rows"
    with pytest.raises(InvalidArgumentError, match=told):
        monitor.drift("al@champion", current=untimed, time_column="t", window="1d", save=False)
    with pytest.raises(InvalidArgumentError, match=told):
        monitor.check("al@champion", current=untimed, y=y, time_column="t", window="1d")


def test_weeks_start_on_monday(monitor: Monitor) -> None:
    X, y = rows(len(TIMES), seed=5)
    weeks = pd.Series(pd.date_range("2024-01-01", periods=900, freq="1h"))  # a Monday
    timed = X.assign(t=weeks)
    timeline = monitor.drift_windows("al:1", timed, every="1w", time_column="t", save=False)
    starts = [r.window_start for r in timeline.reports]
    assert starts[:2] == [pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-08")]
    assert {s.weekday() for s in starts} == {0}
    report = monitor.performance("al:1", timed, y=y, window="2w", time_column="t", save=False)
    assert {m.window_start.weekday() for m in report.metrics} == {0}  # every other Monday


def test_windows_of_rows_hold_that_many_rows_when_rows_are_logged_at_once(
    monitor: Monitor,
) -> None:
    X, y = rows(500, seed=8)  # one call: every row has the same time
    logged = monitor.log_predictions("al@champion", X)
    monitor.log_labels("al", logged, y)
    for report in (
        monitor.performance("al@champion", window="100 rows", save=False),
        monitor.estimate("al@champion", window="100 rows", save=False),
    ):
        accuracy = [m for m in report.metrics if m.metric == "accuracy" and not m.estimated]
        assert [m.rows for m in accuracy] == [100] * 5
        assert "windows of 100 rows" in repr(report)
    newest = monitor.performance("al@champion", window="100 rows", last=1, save=False)
    assert {m.rows for m in newest.metrics} == {100}
    assert len([m for m in newest.metrics if m.metric == "accuracy"]) == 1
    single = monitor.performance("al@champion", window="1 rows", save=False)
    assert len([m for m in single.metrics if m.metric == "accuracy"]) == 500


def test_saved_windows_of_rows_sharing_a_time_stay_apart_in_history_and_the_fleet(
    monitor: Monitor,
) -> None:
    """Rows logged in one call share their time, so five saved windows of 100 rows have the
    same bounds: the metric history keeps all five (numbered by `block`), and the fleet
    reads the newest one, not whichever of them came first."""
    from jupyter_mlops import operations

    X, y = rows(500, seed=8)
    logged = monitor.log_predictions("al@champion", X)
    monitor.log_labels("al", logged, y)
    report = monitor.performance("al@champion", window="100 rows")
    accuracy = [m.value for m in report.metrics if m.metric == "accuracy"]
    assert len(accuracy) == 5 and len(set(accuracy)) > 1

    history = operations.metric_history(monitor.registry, model="al").frame
    stored = history[history["metric"] == "accuracy"].sort_values("block")
    assert stored["block"].tolist() == [0, 1, 2, 3, 4]
    assert stored["value"].tolist() == pytest.approx(accuracy)
    verdict = operations.fleet(monitor.registry)[0].last_check.verdict
    assert f"accuracy {accuracy[-1]:.3g}" in verdict, verdict
