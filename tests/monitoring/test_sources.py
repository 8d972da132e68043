"""Current data read from data files (Parquet, CSV, TSV): the model gets the dtypes it was
fitted on, and a file gives the same drift, check and performance as the same rows passed as a
DataFrame."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import make_column_transformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder

from jupyter_mlops import Monitor, Registry

CLI = str(Path(sys.executable).parent / "jupyter-mlops")


def cities(rows: int, *, seed: int) -> tuple[pd.DataFrame, pd.Series]:
    """A number and a city, 5% of cities missing, and a label that depends on both."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=rows)
    city = pd.Series(rng.choice(["paris", "lyon", "nice"], rows))
    city = city.where(rng.random(rows) >= 0.05)
    y = pd.Series((x + (city == "paris") > 0.3).astype(int), name="y")
    return pd.DataFrame({"x": x, "city": city}), y


def city_model(X: pd.DataFrame, y: pd.Series) -> Pipeline:
    text = make_pipeline(
        SimpleImputer(strategy="constant", fill_value="unknown"),
        OneHotEncoder(handle_unknown="ignore"),
    )
    encode = make_column_transformer(("passthrough", ["x"]), (text, ["city"]))
    return make_pipeline(encode, LogisticRegression()).fit(X, y)


@pytest.fixture
def monitor(registry: Registry) -> Monitor:
    X, y = cities(3_000, seed=1)
    registry.register("cities", city_model(X, y), X=X, y=y, reference=cities(1_000, seed=2))
    return Monitor(registry)


@pytest.fixture
def week(tmp_path: Path) -> tuple[Path, pd.Series]:
    X, y = cities(2_000, seed=3)
    path = tmp_path / "week.parquet"
    X.to_parquet(path)
    return path, y


def test_drift_of_a_parquet_file_with_missing_text_measures_the_prediction(
    monitor: Monitor, week: tuple[Path, pd.Series]
) -> None:
    path, _ = week
    from_file = monitor.drift("cities:1", str(path), save=False)
    from_frame = monitor.drift("cities:1", pd.read_parquet(path), save=False)
    assert from_file.prediction is not None, from_file.notes
    assert from_file.notes == from_frame.notes == []
    pd.testing.assert_frame_equal(from_file.to_frame(), from_frame.to_frame())
    assert from_file.multivariate == from_frame.multivariate


def test_check_performance_and_estimate_of_a_parquet_file_match_the_dataframe(
    monitor: Monitor, week: tuple[Path, pd.Series]
) -> None:
    path, y = week
    frame = pd.read_parquet(path)
    checked = [monitor.check("cities:1", current) for current in (str(path), frame)]
    assert checked[0].drift.prediction is not None
    pd.testing.assert_frame_equal(checked[0].drift.to_frame(), checked[1].drift.to_frame())
    realised = [monitor.performance("cities:1", c, y=y, save=False) for c in (str(path), frame)]
    pd.testing.assert_frame_equal(realised[0].to_frame(), realised[1].to_frame())
    assert realised[0].values()["accuracy"] > 0.8
    guessed = [monitor.estimate("cities:1", c, save=False) for c in (str(path), frame)]
    pd.testing.assert_frame_equal(guessed[0].to_frame(), guessed[1].to_frame())


def test_arrow_backed_and_nullable_frames_reach_the_model_as_it_was_fitted(
    monitor: Monitor, week: tuple[Path, pd.Series]
) -> None:
    path, y = week
    frame = pd.read_parquet(path)
    expected = monitor.performance("cities:1", frame, y=y, save=False).to_frame()
    for backend in ("pyarrow", "numpy_nullable"):
        given = pd.read_parquet(path, dtype_backend=backend)
        found = monitor.performance("cities:1", given, y=y, save=False).to_frame()
        pd.testing.assert_frame_equal(found, expected)
        scored = monitor.predict("cities:1", given, log=False)
        assert scored["__prediction__"].notna().all()


def test_check_from_a_shell_reads_a_parquet_file_with_missing_text(
    monitor: Monitor, week: tuple[Path, pd.Series], subprocess_env: dict[str, str]
) -> None:
    path, _ = week
    result = subprocess.run(
        [CLI, "check", "cities:1", "--current", str(path)],
        capture_output=True,
        text=True,
        env=subprocess_env,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "prediction" in monitor.history("cities").features()


@pytest.fixture
def timed_week(tmp_path: Path) -> pd.DataFrame:
    """A week of rows with their times as text, written as CSV and TSV."""
    X, _ = cities(2_000, seed=3)
    at = pd.date_range("2026-11-20", periods=len(X), freq="5min")
    frame = X.assign(at=at.strftime("%Y-%m-%dT%H:%M:%S"))
    frame.to_csv(tmp_path / "week.csv", index=False)
    frame.to_csv(tmp_path / "week.tsv", index=False, sep="\t")
    return X.assign(at=at)


def test_drift_of_csv_and_tsv_files_matches_the_dataframe_with_times_read_as_times(
    monitor: Monitor, timed_week: pd.DataFrame, tmp_path: Path
) -> None:
    expected = monitor.drift("cities:1", timed_week, window="1d", time_column="at", save=False)
    for name in ("week.csv", "week.tsv"):
        found = monitor.drift(
            "cities:1", str(tmp_path / name), window="1d", time_column="at", save=False
        )
        assert found.rows == expected.rows == 288
        pd.testing.assert_frame_equal(found.to_frame(), expected.to_frame())


def test_drift_and_check_from_a_shell_read_csv_and_tsv_and_name_the_kinds_they_read(
    monitor: Monitor, timed_week: pd.DataFrame, tmp_path: Path, subprocess_env: dict[str, str]
) -> None:
    def shell(*args: str) -> subprocess.CompletedProcess[str]:
        command = [CLI, *args]
        return subprocess.run(command, capture_output=True, text=True, env=subprocess_env)

    for name in ("week.csv", "week.tsv"):
        current = str(tmp_path / name)
        drift = shell("drift", "cities:1", "--current", current, "--time-column", "at",
                      "--window", "1d", "--no-save")  # fmt: skip
        assert drift.returncode == 0, drift.stderr
        assert f"288 rows from {current}, 2026-11-25 22:35:00 to 2026-11-26" in drift.stdout
        check = shell("check", "cities:1", "--current", current)
        assert check.returncode == 0, check.stderr
    (tmp_path / "week.json").write_text('{"x": [1.0]}')
    refused = shell("drift", "cities:1", "--current", str(tmp_path / "week.json"))
    assert refused.returncode == 2
    assert refused.stderr.count("\n") == 1 and "Traceback" not in refused.stderr
    assert "(.json); give .parquet, .pq, .csv or .tsv files." in refused.stderr


def test_a_shell_told_no_predictions_are_logged_is_told_to_pass_a_file(
    monitor: Monitor, subprocess_env: dict[str, str]
) -> None:
    for command in (["drift", "cities:1"], ["check", "cities:1"], ["performance", "cities:1"]):
        done = subprocess.run([CLI, *command], capture_output=True, text=True, env=subprocess_env)
        assert done.returncode == 2
        assert "no predictions of cities are logged yet" in done.stderr
        assert "--current df" not in done.stderr and "Monitor." not in done.stderr
        assert "jupyter-mlops serve" in done.stderr
    drift = subprocess.run([CLI, "drift", "cities:1"], capture_output=True, text=True,
                           env=subprocess_env)  # fmt: skip
    assert "pass current data (--current week.parquet)" in drift.stderr
