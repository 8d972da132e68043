"""Training and reference data that monitoring could never use is refused at registration, in
one sentence, with nothing stored."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.dummy import DummyClassifier

from jupyter_mlops import Registry
from jupyter_mlops.errors import InvalidArgumentError
from jupyter_mlops.monitoring import logs

ROWS = 200


@pytest.fixture
def base() -> tuple[pd.DataFrame, pd.Series]:
    a = np.random.default_rng(5).normal(0, 1, ROWS)
    return pd.DataFrame({"a": a}), pd.Series((a > 0).astype(int), name="y")


def refused(registry: Registry, call, *, saying: str) -> str:
    with pytest.raises(InvalidArgumentError) as error:
        call()
    said = str(error.value)
    assert saying in said and ". " not in said and "\n" not in said
    assert registry.models() == [] and list(registry.artifacts.digests()) == []
    return said


@pytest.mark.parametrize("cell", [[1, 2], {"k": 1}, np.array([1.0, 2.0])])
def test_a_feature_of_lists_or_dicts_is_refused(registry: Registry, base, cell) -> None:
    X, y = base
    model = DummyClassifier().fit(X, y)
    cells = pd.Series([cell] * ROWS, dtype=object)
    listed = X.assign(m=cells)
    kind = "NumPy array" if isinstance(cell, np.ndarray) else type(cell).__name__
    said = refused(
        registry,
        lambda: registry.register("m", model, X=listed, y=y),
        saying=f"X column 'm' holds a {kind} in row 0, not one value",
    )
    assert "give one number, text, boolean or time a cell" in said
    refused(
        registry,
        lambda: registry.register("m", model, reference=(listed, y)),
        saying=f"the reference data column 'm' holds a {kind} in row 0",
    )


@pytest.mark.parametrize("reserved", [*logs.RESERVED, "__target__"])
def test_a_feature_named_as_a_column_of_the_log_is_refused(
    registry: Registry, base, reserved: str
) -> None:
    X, y = base
    named = X.assign(**{reserved: X["a"] * 2})
    model = DummyClassifier().fit(named, y)
    said = refused(
        registry,
        lambda: registry.register("m", model, X=named, y=y),
        saying=f"X has a column named {reserved!r}, which the prediction log keeps",
    )
    assert said.endswith("rename it.")
    refused(
        registry,
        lambda: registry.register("m", model, reference=(named, y)),
        saying=f"the reference data has a column named {reserved!r}",
    )


def test_a_classifier_s_labels_with_a_missing_one_are_refused(registry: Registry, base) -> None:
    X, y = base
    model = DummyClassifier().fit(X, y)
    gaps = y.astype(float).where(X["a"] > -1)
    first = int(np.flatnonzero(gaps.isna())[0])
    refused(
        registry,
        lambda: registry.register("m", model, X=X, y=gaps),
        saying=f"{int(gaps.isna().sum())} of the {ROWS} labels given with X are missing "
        f"(the first in row {first})",
    )
    refused(
        registry,
        lambda: registry.register("m", model, reference=(X, gaps)),
        saying="labels given with the reference data are missing",
    )
    assert registry.register("m", model, X=X, y=y).version == 1
