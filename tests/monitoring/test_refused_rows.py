"""Rows the model itself refuses (a missing value it cannot take), scored from Python or the
command line: one sentence naming the columns, as the model server names the field."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from jupyter_mlops import Monitor, Registry
from jupyter_mlops.cli import main
from jupyter_mlops.errors import RowsRefusedError
from jupyter_mlops.monitoring import logs

X = pd.DataFrame({"a": np.arange(100.0), "b": np.arange(100.0) % 3})


@pytest.fixture
def strict(registry: Registry) -> Monitor:
    """A model that refuses missing values."""
    y = (X["a"] > 50).astype(int)
    registry.register("strict", LogisticRegression().fit(X, y), X=X, y=y)
    return Monitor(registry)


def test_predict_names_the_columns_holding_values_the_model_refuses(strict: Monitor) -> None:
    rows = X.iloc[:5].assign(a=[1, np.nan, np.nan, 4, 5], b=[np.inf, 0, 0, 0, 0])
    with pytest.raises(RowsRefusedError) as refused:
        strict.log_predictions("strict:1", rows)
    said = str(refused.value)
    assert "'a' (2 rows, the first row 1), 'b' (row 0)" in said
    assert "Input X contains" in said and ". " not in said and "\n" not in said
    assert not logs.has_log(strict.registry.data, logs.PREDICTIONS, "strict")


def test_predict_from_the_command_line_refuses_them_in_one_line(
    strict: Monitor, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    X.iloc[:5].assign(b=[0, 1, None, 0, 1]).to_csv(tmp_path / "na.csv", index=False)
    home = str(strict.registry.home)
    capsys.readouterr()
    assert main(["--home", home, "predict", "strict:1", str(tmp_path / "na.csv")]) == 2
    said = capsys.readouterr().err.strip()
    assert "column 'b' (row 2) holds a missing or infinite value" in said
    assert "Traceback" not in said and said.count("\n") == 0
