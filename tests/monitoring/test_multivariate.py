"""The multivariate check on the columns real tables have: text and booleans with missing
values, and text with more distinct values than the classifier takes as categories."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import make_column_transformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from jupyter_mlops import Monitor, Registry


def customers(rows: int, *, seed: int, missing: float = 0.05) -> pd.DataFrame:
    """A number, a city and a flag each missing in `missing` of rows, and 1,000 ids."""
    rng = np.random.default_rng(seed)
    city = pd.Series(rng.choice(["paris", "lyon", "nice", "lille"], rows))
    member = pd.Series(rng.random(rows) < 0.3, dtype="boolean")
    return pd.DataFrame(
        {
            "spend": rng.gamma(2.0, 30.0, rows),
            "city": city.where(rng.random(rows) >= missing),
            "member": member.where(rng.random(rows) >= missing),
            "customer": [f"c{n}" for n in rng.integers(0, 1_000, rows)],
        }
    )


@pytest.fixture
def monitor(registry: Registry) -> Monitor:
    X = customers(3_000, seed=1)
    y = (X["spend"] > 60).astype(int)
    numbers = make_column_transformer(("passthrough", ["spend"]))
    model = make_pipeline(numbers, LogisticRegression()).fit(X, y)
    registry.register("customers", model, X=X, y=y)
    return Monitor(registry)


def test_drift_and_check_take_text_and_booleans_with_missing_values(monitor: Monitor) -> None:
    calm = monitor.drift("customers:1", customers(2_000, seed=2), save=False)
    assert calm.multivariate is not None and not calm.multivariate.drifted
    checked = monitor.check("customers:1", customers(2_000, seed=3))
    assert checked.drift.multivariate is not None


def test_missing_values_are_a_category_the_multivariate_check_sees(monitor: Monitor) -> None:
    often_missing = customers(2_000, seed=4, missing=0.6)
    report = monitor.drift("customers:1", often_missing, predictions=False, save=False)
    assert report.multivariate is not None and report.multivariate.drifted
    assert report.multivariate.auc > 0.7


def test_a_window_of_the_reference_rows_themselves_reads_an_auc_of_one_half(
    monitor: Monitor,
) -> None:
    """Each row then has one copy on either side; split apart across folds, the copy in
    training taught the opposite side and the AUC read 0.1 to 0.25 (no drift, but no sense)."""
    reference = monitor.reference_sample(monitor.registry.get("customers:1"))
    assert reference is not None
    inputs = reference[["spend", "city", "member", "customer"]]
    for window in (inputs, inputs.sample(frac=0.8, random_state=0)):
        report = monitor.drift("customers:1", window, predictions=False, save=False)
        assert report.multivariate is not None and not report.multivariate.drifted
        assert report.multivariate.auc == pytest.approx(0.5, abs=0.05)
