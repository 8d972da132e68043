"""Current data read from Parquet files: the model gets the dtypes it was fitted on, and a
file gives the same drift, check and performance as the same rows passed as a DataFrame."""

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
