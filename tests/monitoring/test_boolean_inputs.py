"""A boolean input given as text or numbers: scored and logged as the booleans drift reads,
never as Python's truth of a string, and any other value refused in one sentence."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from jupyter_mlops import Monitor, Registry
from jupyter_mlops.cli import main
from jupyter_mlops.errors import InvalidArgumentError
from jupyter_mlops.monitoring import compaction, logs

ROWS = pd.DataFrame({"a": [0.0, 0.0, 0.0, 0.0], "flag": [False, True, False, True]})


@pytest.fixture
def flagged(registry: Registry) -> Monitor:
    """A classifier whose output turns on its boolean input `flag`."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(0, 1, 300), "flag": rng.random(300) < 0.5})
    y = (X["a"] + 3 * X["flag"] > 1).astype(int)
    registry.register("flags", LogisticRegression().fit(X, y), X=X, y=y)
    return Monitor(registry)


@pytest.mark.parametrize(
    "given",
    [["false", "true", "False", "TRUE"], [" 0", "1", "0 ", "1"], [0, 1, 0, 1], [0.0, 1.0, 0, 1]],
)
def test_text_and_numbers_for_a_boolean_score_as_the_booleans_they_spell(
    flagged: Monitor, given: list
) -> None:
    expected = flagged.predict("flags:1", ROWS, log=False)["__score__"]
    found = flagged.predict("flags:1", ROWS.assign(flag=given), log=False)["__score__"]
    assert found.round(6).tolist() == expected.round(6).tolist()
    assert expected[0] < 0.5 < expected[1]


@pytest.mark.parametrize("given", [["no", "yes", "no", "yes"], [2, 1, 0, 1], ["f", "t", "f", "t"]])
def test_another_value_for_a_boolean_is_refused_and_nothing_logged(
    flagged: Monitor, given: list
) -> None:
    with pytest.raises(InvalidArgumentError) as refused:
        flagged.log_predictions("flags:1", ROWS.assign(flag=given))
    said = str(refused.value)
    assert f"row 0 holds {given[0]!r}" in said and "'flag'" in said and ". " not in said
    assert not logs.has_log(flagged.registry.data, logs.PREDICTIONS, "flags")


def test_only_booleans_reach_the_log_for_a_boolean_input(flagged: Monitor) -> None:
    flagged.log_predictions("flags:1", ROWS)
    flagged.log_predictions("flags:1", ROWS.assign(flag=["false", "true", "0", "1"]))
    with compaction.holding("flags", home=flagged.registry.home) as log:
        types = duckdb.execute(
            "SELECT DISTINCT typeof(flag) FROM read_parquet(?, union_by_name = true)",
            [log.predictions],
        ).fetchall()
        flags = duckdb.execute(
            "SELECT flag FROM read_parquet(?, union_by_name = true)", [log.predictions]
        ).fetchall()
    assert types == [("BOOLEAN",)]
    assert [f for (f,) in flags].count(False) == 4


def test_predict_from_the_command_line_reads_a_text_flag_as_its_booleans(
    flagged: Monitor, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = str(flagged.registry.home)
    expected = flagged.predict("flags:1", ROWS, log=False)["__score__"].round(3)
    ROWS.assign(flag=["false", "true", "false", "true"]).to_parquet(tmp_path / "text.parquet")
    out = tmp_path / "out.csv"
    assert main(["--home", home, "predict", "flags:1", str(tmp_path / "text.parquet"),
                 "--no-log", "--output", str(out)]) == 0  # fmt: skip
    assert pd.read_csv(out)["__score__"].round(3).tolist() == expected.tolist()
    ROWS.assign(flag=["no", "yes", "no", "yes"]).to_csv(tmp_path / "yesno.csv", index=False)
    capsys.readouterr()
    assert main(["--home", home, "predict", "flags:1", str(tmp_path / "yesno.csv")]) == 2
    said = capsys.readouterr().err.strip()
    assert "reads as neither true nor false" in said and said.count("\n") == 0
    assert not logs.has_log(flagged.registry.data, logs.PREDICTIONS, "flags")
