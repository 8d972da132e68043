"""A range of dates, FROM..TO: drift, performance, estimate and checks of the log and of
given data, from every face; a span to cut windows by is no range."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from jupyter_mlops import Monitor, Registry, operations
from jupyter_mlops.errors import InvalidArgumentError
from jupyter_mlops.monitoring import synthetic


@pytest.fixture
def logged(tmp_path) -> Monitor:
    """A model whose log holds a calm week, then a shifted one (November 2026)."""
    registry = Registry(tmp_path / "registry")
    rows = synthetic.features(2_000, seed=1)
    X, y = rows[synthetic.NUMERIC], synthetic.target(rows)
    registry.register("m", LogisticRegression(max_iter=5000).fit(X, y), X=X, y=y)
    registry.promote("m", 1)
    monitor = Monitor(registry)
    for week, shifted in ((0, False), (1, True)):
        batch = synthetic.features(672, shifted=shifted, seed=10 + week)[synthetic.NUMERIC]
        times = pd.date_range("2026-11-02", periods=672, freq="15min", tz="UTC")
        monitor.log_predictions("m@champion", batch, timestamps=times + pd.Timedelta(weeks=week))
    return monitor


def test_a_range_of_the_log_judges_only_its_rows(logged: Monitor) -> None:
    calm = operations.drift(logged.registry, ref="m", window="2026-11-02..2026-11-09", save=False)
    shifted = operations.drift(
        logged.registry, ref="m", window="2026-11-09..2026-11-16", save=False
    )
    assert calm.rows == 672 and shifted.rows == 672  # a week of rows each
    assert len(shifted.drifted) > len(calm.drifted)


def test_a_range_of_given_data_needs_its_time_column(logged: Monitor) -> None:
    rows = synthetic.features(400, seed=3)[synthetic.NUMERIC]
    timed = rows.assign(t=pd.date_range("2026-11-01", periods=400, freq="h", tz="UTC"))
    found = operations.drift(
        logged.registry, ref="m", current=timed, window="2026-11-03..2026-11-05",
        time_column="t", save=False,
    )  # fmt: skip
    assert found.rows == 48  # two days of hourly rows, the end left out


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("2026-11-09..2026-11-02", "ends before it starts"),
        ("yesterday..today", "cannot read the range"),
        ("2026-11-02..", "cannot read the range"),
    ],
)
def test_a_range_that_is_no_range_is_refused(logged: Monitor, text: str, says: str) -> None:
    with pytest.raises(InvalidArgumentError, match=says):
        operations.drift(logged.registry, ref="m", window=text, save=False)


def test_performance_estimate_and_check_read_a_range_of_the_log(logged: Monitor) -> None:
    registry = logged.registry
    rows = synthetic.features(96, seed=5)
    times = pd.date_range("2026-11-20", periods=96, freq="15min", tz="UTC")  # one day
    answered = logged.log_predictions("m@champion", rows[synthetic.NUMERIC], timestamps=times)
    logged.log_labels("m", answered, synthetic.target(rows))
    day = "2026-11-20..2026-11-21"
    realised = operations.performance(registry, ref="m", window=day)
    assert {m.rows for m in realised.metrics} == {96}
    assert "2026-11-20 00:00 to 2026-11-21 00:00 UTC" in repr(realised)
    held_out = synthetic.features(1_000, seed=6)
    registry.set_reference("m", 1, held_out[synthetic.NUMERIC], synthetic.target(held_out))
    estimated = operations.estimate(registry, ref="m", window="2026-11-02..2026-11-09")
    assert {m.rows for m in estimated.metrics} == {672}  # the calm week, no labels
    logged.add_alert("m@champion", "accuracy < 0.5")
    checked = operations.check(registry, ref="m", window=day)
    assert checked.drift.rows == 96 and checked.values["accuracy"] > 0.5
    shown = subprocess.run(
        [str(Path(sys.executable).parent / "jupyter-mlops"), "performance", "m", "--window", day],
        capture_output=True,
        text=True,
        env=dict(os.environ, MLOPS_HOME=str(registry.home)),
        timeout=300,
    )
    assert shown.returncode == 0, shown.stderr
    assert "2026-11-20 00:00 to 2026-11-21 00:00 UTC" in shown.stdout and "96" in shown.stdout


def test_a_range_where_a_span_cuts_windows_says_what_to_give(logged: Monitor) -> None:
    with pytest.raises(InvalidArgumentError, match="is a range of dates, which chooses the rows"):
        operations.drift(logged.registry, ref="m", every="2026-11-02..2026-11-09", save=False)
