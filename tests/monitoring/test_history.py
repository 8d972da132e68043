"""Drift history: a table of windows and verdicts, and a figure on scales a reader can read."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from IPython.core.interactiveshell import InteractiveShell

from jupyter_mlops import Monitor
from jupyter_mlops.errors import InvalidArgumentError
from jupyter_mlops.monitoring import synthetic
from jupyter_mlops.monitoring.report import DriftTimeline

DAY = 4_000
START = pd.Timestamp("2026-03-02")
CLI = str(Path(sys.executable).parent / "jupyter-mlops")


def record_four_days(monitor: Monitor) -> DriftTimeline:
    """Four days checked a day at a time (days 3 and 4 shifted; n7 all missing on day 3; n0 a
    thousand away on day 4, a p-value of 0), then a 20,000-row DataFrame (PSI and JS)."""
    frames = [synthetic.features(DAY, shifted=day >= 2, seed=80 + day) for day in range(4)]
    frames[2]["n7"] = np.nan
    frames[3]["n0"] += 1000.0
    data = pd.concat(frames, ignore_index=True)
    data["at"] = START + pd.to_timedelta(np.arange(4 * DAY) * (86_400 / DAY), "s")
    timeline = monitor.drift_windows("churn@champion", data, every="1d", time_column="at")
    shifted = synthetic.features(20_000, shifted=True, seed=85)
    monitor.drift("churn@champion", current=shifted, multivariate=False)
    return timeline


@pytest.fixture
def shell(ipython: InteractiveShell, monitor: Monitor) -> InteractiveShell:
    ip = ipython
    ip.run_cell(f"%mlops connect {monitor.registry.home}")
    return ip


def cell(shell: InteractiveShell, line: str) -> object:
    result = shell.run_cell(line)
    result.raise_error()
    return result.result


def test_the_history_is_one_row_per_window_with_dates_and_the_drifted_worst_first(
    monitor: Monitor,
) -> None:
    timeline = record_four_days(monitor)
    history = monitor.history("churn")
    text = repr(history)
    assert "__prediction__" not in text and "NaT" not in text and "nan" not in text
    headline, header, *rows = text.splitlines()
    assert headline == "churn: 5 drift checks of version 1; 3 of them found drift; oldest first"
    assert header.split()[:3] == ["window", "version", "rows"] and "prediction" in header
    assert [row.split()[0] for row in rows[:4]] == [
        "2026-03-02",
        "2026-03-03",
        "2026-03-04",
        "2026-03-05",
    ]
    assert rows[4].startswith("a DataFrame (checked ")
    assert "0 of 25  ok" in rows[0] and "0 of 25  ok" in rows[1]
    assert rows[2].endswith(", ".join(timeline.reports[2].drifted))  # n7 first: all missing
    assert "DRIFT" in rows[3] and set(rows[3].split("DRIFT")[1].strip().split(", ")) == set(
        timeline.reports[3].drifted
    )
    page = history._repr_html_()
    assert page.count('<tr class="jp-mlops-diff">') == 3 and "__prediction__" not in page
    frame = history.to_frame()
    assert len(history) == 5 and "prediction" in set(frame["feature"])
    assert not frame["feature"].str.startswith("__").any()
    assert list(frame.loc[frame["feature"] == "n0", "window"])[:2] == ["2026-03-02", "2026-03-03"]


def test_one_feature_is_its_statistic_per_window_and_prediction_names_the_output(
    monitor: Monitor,
) -> None:
    record_four_days(monitor)
    n7 = repr(monitor.history("churn", feature="n7")).splitlines()
    assert n7[0] == "churn, n7: 5 drift checks of version 1; 1 of them found drift; oldest first"
    day_three = [line for line in n7 if line.startswith("2026-03-04")]
    assert [line.split()[3] for line in day_three] == ["missing", "ks"]
    assert day_three[0].endswith("DRIFT") and day_three[1].endswith("n/a")
    output = monitor.history("churn", feature="prediction").to_frame()
    assert list(output["drifted"]) == [False, False, True, True]  # not measured on day 3
    assert set(output["feature"]) == {"prediction"}
    with pytest.raises(
        InvalidArgumentError, match=r"no drift verdicts of a feature 'n0x' \(did you mean"
    ):
        monitor.history("churn", feature="n0x")


def test_the_figure_puts_each_test_on_a_linear_scale_against_its_threshold(
    shell: InteractiveShell, monitor: Monitor
) -> None:
    record_four_days(monitor)
    figure = cell(shell, "%mlops drift-history churn --plot")
    layout = figure.layout.to_plotly_json()
    axes = [layout[name] for name in layout if name.startswith("yaxis")]
    assert len(axes) == 5 and all(axis.get("type") == "linear" for axis in axes)
    titles = [a.text for a in figure.layout.annotations]
    assert titles[0].startswith("Kolmogorov-Smirnov, chi-squared: -log10 p")
    missing = "change in the share of missing values, up or down"
    unseen = "share of values never seen in the reference"
    assert {"PSI", "Jensen-Shannon distance", missing, unseen} <= set(titles)
    heights = np.concatenate([np.asarray(trace.y, dtype=float) for trace in figure.data])
    assert np.isfinite(heights).all() and heights.max() == 50.0 and heights.min() >= 0.0
    names = {trace.name for trace in figure.data}
    assert "prediction" in names and not any(name.startswith("__") for name in names)
    assert figure.data[0].name == "prediction" and figure.data[0].line.color == "black"
    alpha = [s for s in figure.layout.shapes if s.y0 == pytest.approx(-math.log10(0.01))]
    assert len(alpha) == 1 and alpha[0].line.dash == "dash"
    n0 = next(t for t in figure.data if t.name == "n0" and t.yaxis == "y")
    days = [pd.Timestamp(x).strftime("%Y-%m-%d %H:%M") for x in n0.x]
    assert days == ["2026-03-02 12:00", "2026-03-03 12:00", "2026-03-04 12:00", "2026-03-05 12:00"]
    assert list(n0.marker.symbol) == ["circle", "circle", "x", "x"]
    assert n0.y[3] == 50.0 and "(off the scale)" in n0.text[3] and "2026-03-05" in n0.text[3]


def test_an_empty_history_says_so_in_the_table_and_the_figure(
    shell: InteractiveShell, monitor: Monitor
) -> None:
    history = cell(shell, "%mlops drift-history churn")
    assert repr(history) == (
        "churn: no drift checks recorded yet (each `%mlops drift churn` records one)"
    )
    figure = cell(shell, "%mlops drift-history churn --plot")
    assert len(figure.data) == 0
    assert figure.layout.annotations[0].text == "no drift checks of churn recorded yet"


def test_drift_history_from_cells_and_a_shell_is_the_table(
    shell: InteractiveShell, monitor: Monitor
) -> None:
    record_four_days(monitor)
    history = cell(shell, "%mlops drift-history churn --feature prediction")
    assert repr(history).startswith("churn, prediction: 4 drift checks")  # none on day 3
    result = shell.run_cell("%mlops drift-history churn --feature n0x")
    assert "did you mean 'n0'" in str(result.error_in_exec)
    done = subprocess.run(
        [CLI, "--home", str(monitor.registry.home), "drift-history", "churn"],
        capture_output=True,
        text=True,
        check=True,
    )
    lines = done.stdout.splitlines()
    assert lines[0] == "churn: 5 drift checks of version 1; 3 of them found drift; oldest first"
    assert lines[2].startswith("2026-03-02") and "__prediction__" not in done.stdout
