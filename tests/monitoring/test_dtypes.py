"""Every dtype pandas offers, with missing values where it allows them, from a DataFrame and
from a Parquet file: drift, performance and estimate each give a result or one sentence."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import make_column_transformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from jupyter_mlops import Monitor, Registry
from jupyter_mlops.errors import MlopsError

ROWS = 400


def _missing(values: pd.Series, rng: np.random.Generator) -> pd.Series:
    """A tenth of the values missing."""
    return values.where(rng.random(len(values)) >= 0.1)


def _times(rng: np.random.Generator, rows: int, zone: str | None) -> pd.Series:
    start = pd.Timestamp("2024-03-01", tz=zone)
    return pd.Series(start + pd.to_timedelta(rng.integers(0, 90 * 24, rows), unit="h"))


COLUMNS: dict[str, Callable[[np.random.Generator, int], pd.Series]] = {
    "float": lambda rng, n: _missing(pd.Series(rng.normal(size=n)), rng),
    "int": lambda rng, n: pd.Series(rng.integers(0, 10, n)),
    "Int64": lambda rng, n: _missing(pd.Series(rng.integers(0, 10, n), dtype="Int64"), rng),
    "Float64": lambda rng, n: _missing(pd.Series(rng.normal(size=n), dtype="Float64"), rng),
    "boolean": lambda rng, n: _missing(pd.Series(rng.random(n) < 0.3, dtype="boolean"), rng),
    "bool": lambda rng, n: pd.Series(rng.random(n) < 0.3),
    "string": lambda rng, n: _missing(
        pd.Series(rng.choice(["a", "b", "c"], n), dtype=pd.StringDtype("python")), rng
    ),
    "string[pyarrow]": lambda rng, n: _missing(
        pd.Series(rng.choice(["a", "b", "c"], n), dtype="string[pyarrow]"), rng
    ),
    "object text": lambda rng, n: pd.Series(
        [None if rng.random() < 0.1 else str(v) for v in rng.choice(["a", "b", "c"], n)],
        dtype=object,
    ),
    "category": lambda rng, n: _missing(
        pd.Series(pd.Categorical(rng.choice(["a", "b"], n), categories=["a", "b", "unused"])),
        rng,
    ),
    "many texts": lambda rng, n: _missing(
        pd.Series([f"id{v}" for v in rng.integers(0, 300, n)]), rng
    ),
    "datetime": lambda rng, n: _missing(_times(rng, n, None), rng),
    "datetime UTC": lambda rng, n: _missing(_times(rng, n, "UTC"), rng),
    "datetime Paris": lambda rng, n: _missing(_times(rng, n, "Europe/Paris"), rng),
    "all NaN": lambda rng, n: pd.Series(np.full(n, np.nan)),
    "constant": lambda rng, n: pd.Series(np.full(n, 7.0)),
    "constant text": lambda rng, n: pd.Series(["same"] * n),
}


def rows(dtype: str, *, seed: int) -> tuple[pd.DataFrame, pd.Series]:
    """A number the label depends on, and a column of `dtype` beside it."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=ROWS)
    frame = pd.DataFrame({"x": x, "column": COLUMNS[dtype](rng, ROWS)})
    return frame, pd.Series((x + rng.normal(scale=0.5, size=ROWS) > 0).astype(int), name="y")


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Registry:
    """One version per dtype, each a model of `x` registered with the column beside it."""
    registry = Registry(tmp_path_factory.mktemp("dtypes") / "registry")
    for number, dtype in enumerate(COLUMNS):
        X, y = rows(dtype, seed=number)
        model = make_pipeline(make_column_transformer(("passthrough", ["x"])), LogisticRegression())
        reference = rows(dtype, seed=100 + number)
        registry.register(f"m{number}", model.fit(X, y), X=X, y=y, reference=reference)
    return registry


def one_sentence(call: Callable[[], Any]) -> Any:
    """The call's result, or None when it refused in one sentence (anything else fails)."""
    try:
        return call()
    except MlopsError as exc:
        message = str(exc)
        assert "\n" not in message and message.endswith("."), message
        return None


@pytest.mark.parametrize("source", ["DataFrame", "Parquet"])
@pytest.mark.parametrize("dtype", list(COLUMNS))
def test_drift_performance_and_estimate_answer_on_every_dtype(
    registry: Registry, tmp_path: Path, dtype: str, source: str
) -> None:
    ref = f"m{list(COLUMNS).index(dtype)}:1"
    current, y = rows(dtype, seed=1_000)
    given: Any = current
    if source == "Parquet":
        given = str(tmp_path / "current.parquet")
        current.to_parquet(given)
    monitor = Monitor(registry)
    report = one_sentence(lambda: monitor.drift(ref, given, save=False))
    assert report is not None and report.prediction is not None, report and report.notes
    assert report.multivariate is not None
    realised = one_sentence(lambda: monitor.performance(ref, given, y=y, save=False))
    assert realised is not None and "accuracy" in realised.values()
    guessed = one_sentence(lambda: monitor.estimate(ref, given, save=False))
    assert guessed is not None and "estimated.auc" in guessed.values()
