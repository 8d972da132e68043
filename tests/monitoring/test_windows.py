"""Windows of time on time columns with a zone, with offsets, and across daylight saving:
cut in UTC, so the same instants fall in the same windows whatever their zone."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from jupyter_mlops import Monitor, Registry

UTC_TIMES = pd.date_range("2024-10-21", periods=1_200, freq="15min", tz="UTC")


def rows(count: int, *, seed: int) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"x": rng.normal(size=count), "z": rng.normal(size=count)})
    noise = rng.normal(scale=0.5, size=count)
    return X, pd.Series((X["x"] + noise > 0).astype(int), name="y")


@pytest.fixture
def monitor(registry: Registry) -> Monitor:
    X, y = rows(2_000, seed=1)
    model = LogisticRegression().fit(X, y)
    registry.register("timed", model, X=X, y=y, reference=rows(1_000, seed=2))
    return Monitor(registry)


@pytest.fixture
def week() -> tuple[pd.DataFrame, pd.Series]:
    X, y = rows(len(UTC_TIMES), seed=3)
    return X.assign(at=UTC_TIMES), y


def as_zones(times: pd.Series) -> dict[str, pd.Series]:
    """The same instants as naive UTC, in Paris time (across the end of summer time on
    2024-10-27), as a mix of offsets, and as ISO text with those offsets."""
    mixed = pd.Series(
        [
            t.tz_convert("Europe/Paris" if n % 2 else "America/New_York")
            for n, t in enumerate(times)
        ],
        dtype=object,
    )
    return {
        "naive": times.dt.tz_localize(None),
        "paris": times.dt.tz_convert("Europe/Paris"),
        "mixed": mixed,
        "text": mixed.map(lambda t: t.isoformat()),
    }


@pytest.mark.parametrize("zone", ["naive", "paris", "mixed", "text"])
def test_windows_of_any_zone_are_those_of_utc(
    monitor: Monitor, week: tuple[pd.DataFrame, pd.Series], zone: str
) -> None:
    X, y = week
    given = X.assign(at=as_zones(X["at"])[zone])
    for every in ("1d", "1w"):
        expected = monitor.performance("timed:1", X, y=y, time_column="at", window=every)
        found = monitor.performance("timed:1", given, y=y, time_column="at", window=every)
        pd.testing.assert_frame_equal(found.to_frame(), expected.to_frame())
        guessed = monitor.estimate("timed:1", given, time_column="at", window=every)
        assert guessed.metrics and all(m.window_start is not None for m in guessed.metrics)
    timeline = monitor.drift_windows("timed:1", given, time_column="at", every="1w", save=False)
    utc = monitor.drift_windows("timed:1", X, time_column="at", every="1w", save=False)
    assert [r.window_start for r in timeline.reports] == [r.window_start for r in utc.reports]
    assert [r.rows for r in timeline.reports] == [r.rows for r in utc.reports]


def test_a_check_of_the_last_week_of_a_utc_column(
    monitor: Monitor, week: tuple[pd.DataFrame, pd.Series]
) -> None:
    X, _ = week
    result = monitor.check("timed:1", X, time_column="at", window="1w")
    assert result.drift.window_end == UTC_TIMES[-1].tz_localize(None).to_pydatetime()
    assert result.drift.rows == 4 * 24 * 7
    assert result.performance is not None and "estimated.auc" in result.performance.values()


def test_hourly_windows_across_the_end_of_summer_time(
    monitor: Monitor, week: tuple[pd.DataFrame, pd.Series]
) -> None:
    X, y = week
    paris = X.assign(at=X["at"].dt.tz_convert("Europe/Paris"))
    report = monitor.performance("timed:1", paris, y=y, time_column="at", window="1h")
    starts = sorted({m.window_start for m in report.metrics})
    assert len(starts) == len(UTC_TIMES) // 4  # every hour once, the repeated one too


def test_a_check_of_a_window_scores_the_labels_of_that_window(
    monitor: Monitor, week: tuple[pd.DataFrame, pd.Series]
) -> None:
    X, y = week
    result = monitor.check("timed:1", X, y=y, time_column="at", window="1w")
    assert result.performance is not None
    realised = {m.metric: m for m in result.performance.metrics if not m.estimated}
    last_week = monitor.performance("timed:1", X, y=y, time_column="at", window="1w", last=1)
    expected = {m.metric: m for m in last_week.metrics}
    assert realised["accuracy"].rows == expected["accuracy"].rows
    assert realised["accuracy"].value == pytest.approx(expected["accuracy"].value)


def test_windows_of_times_with_and_without_a_zone_in_one_column(
    monitor: Monitor, week: tuple[pd.DataFrame, pd.Series]
) -> None:
    X, _ = week
    naive_or_not = pd.Series(
        [t.tz_localize(None) if n % 2 else t for n, t in enumerate(X["at"])], dtype=object
    )
    timeline = monitor.drift_windows(
        "timed:1", X.assign(at=naive_or_not), time_column="at", every="1w", save=False
    )
    utc = monitor.drift_windows("timed:1", X, time_column="at", every="1w", save=False)
    assert [r.rows for r in timeline.reports] == [r.rows for r in utc.reports]


def test_rows_without_a_time_are_counted_by_every_result_cut_by_time(
    monitor: Monitor, week: tuple[pd.DataFrame, pd.Series]
) -> None:
    X, y = week
    gaps = X.assign(at=X["at"].where((X.index < 100) | (X.index > 300)))
    told = "201 rows have no time and are in no window"
    timeline = monitor.drift_windows("timed:1", gaps, time_column="at", every="1d", save=False)
    assert sum(r.rows for r in timeline.reports) == len(X) - 201
    assert told in repr(timeline) and told in timeline._repr_html_()  # was not said anywhere
    drift = monitor.drift("timed:1", gaps, window="1w", time_column="at", save=False)
    assert told in drift.to_dict()["notes"] and told in repr(drift)
    check = monitor.check("timed:1", gaps, y=y, window="1w", time_column="at")
    assert repr(check).count(told) == 1
    for report in (
        monitor.performance("timed:1", gaps, y=y, window="1d", time_column="at", save=False),
        monitor.estimate("timed:1", gaps, window="1d", time_column="at", save=False),
    ):
        assert told in report.note and told in repr(report)
        assert all(m.window_start is not None for m in report.metrics)  # none of all 201 rows
        assert sum(m.rows for m in report.metrics if m.metric == "accuracy") == len(X) - 201
