"""check-data refuses data a version cannot take (exit 14) and warns of data unlike its
reference, failing on warnings only when strict."""

from __future__ import annotations

import numpy as np
import pytest
from IPython.core.error import UsageError

from jupyter_mlops import Registry, operations
from jupyter_mlops.cli import main


@pytest.fixture
def fresh(holdout):
    return holdout[0].copy()


def test_data_like_the_reference_passes(churn_home, fresh):
    result = operations.check_data(Registry(churn_home), ref="churn@champion", data=fresh)
    assert result.passed and result.findings == []
    assert str(result).startswith("data checked against churn@champion (churn:1): the given rows")
    assert result.to_dict()["passed"] is True


def test_a_missing_column_a_wrong_dtype_and_an_extra_column_are_errors(churn_home, fresh):
    fresh = fresh.drop(columns=["x3"]).assign(x0=fresh.x0.astype(str), id=range(len(fresh)))
    fresh.loc[:4, "x0"] = "n/a"
    result = operations.check_data(Registry(churn_home), ref="churn:2", data=fresh)
    found = {(f.column, f.check, f.severity) for f in result.findings}
    assert found == {
        ("x3", "missing column", "error"),
        ("id", "unexpected column", "error"),
        ("x0", "type", "error"),
    }
    assert not result.passed and "refused: 3 errors, 0 warnings" in str(result)
    assert "registered as float, arrived as text; not every value reads as float" in str(result)
    assert 'class="jp-mlops-diff"' in result._repr_html_()
    ignoring = operations.check_data(
        Registry(churn_home), ref="churn:2", data=fresh.drop(columns=["x0"]).assign(
            x0=fresh.x0.where(fresh.x0 != "n/a", "0"), x3=1.0), ignore=["id"]
    )  # fmt: skip
    assert [(f.column, f.severity) for f in ignoring.findings] == [("x0", "warning")]
    assert ignoring.passed


def test_drift_like_findings_are_warnings_unless_strict(churn_home, fresh):
    fresh["x1"] = fresh.x1 * 3
    fresh["plan"] = fresh.plan.astype(str)
    fresh.loc[:99, "plan"] = "enterprise"
    fresh.loc[100:299, "plan"] = None  # the model takes it: its encoder ignores unknowns
    registry = Registry(churn_home)
    result = operations.check_data(registry, ref="churn@champion", data=fresh)
    shares = {f.check: (f.column, round(f.share, 3)) for f in result.findings}
    assert shares["missing values"] == ("plan", 0.2)
    assert shares["unseen categories"] == ("plan", 0.125)
    assert shares["out of range"][0] == "x1" and shares["out of range"][1] > 0.1
    assert result.passed and "passed with 3 warnings" in str(result)
    strict = operations.check_data(registry, ref="churn@champion", data=fresh, strict=True)
    assert not strict.passed and "refused (strict: warnings fail too)" in str(strict)


def test_the_command_line_exits_14_when_refused_and_0_on_clean_data(churn_home, fresh, tmp_path,
                                                                    capsys):  # fmt: skip
    clean, broken, empty = (tmp_path / f"{n}.parquet" for n in ("clean", "broken", "empty"))
    fresh.to_parquet(clean)
    fresh.assign(x1=fresh.x1 * 5).drop(columns=["plan"]).to_parquet(broken)
    fresh.iloc[:0].to_parquet(empty)
    home = ["--home", str(churn_home)]
    assert main([*home, "check-data", str(clean), "--schema", "churn@champion"]) == 0
    assert main([*home, "check-data", str(broken), "--schema", "churn@champion"]) == 14
    shown = capsys.readouterr().out
    assert "missing column" in shown and "out of range" in shown  # the warning shown too
    assert main([*home, "check-data", str(empty), "--schema", "churn:1"]) == 14
    assert "the data holds no rows" in capsys.readouterr().out
    assert main([*home, "check-data", str(clean), "--schema", "churn@nobody"]) == 4


@pytest.mark.parametrize(
    ("column", "values", "shown"),
    [
        ("x1", np.inf, "x1 holds inf in 1,000 rows"),
        ("x2", np.nan, "x2 holds NaN in 1,000 rows"),
    ],
    ids=["infinity", "all-missing"],
)
def test_rows_the_model_refuses_to_score_are_errors(churn_home, fresh, column, values, shown):
    fresh[column] = values
    result = operations.check_data(Registry(churn_home), ref="churn:2", data=fresh)
    refused = [f for f in result.findings if f.check == "scoring"]
    assert not result.passed and [f.column for f in refused] == [column]
    assert refused[0].detail.startswith("churn:2 refuses these rows (ValueError: Input")
    assert shown in refused[0].detail


def test_objects_a_string_to_ignore_and_a_series_are_told_apart(churn_home, fresh, ipython):
    registry = Registry(churn_home)
    odd = operations.check_data(registry, ref="churn:2", data=fresh.assign(x0=[object()] * 1000))
    assert [(f.column, f.check, f.severity) for f in odd.findings] == [("x0", "type", "error")]
    assert "holds object values, which read as no type" in str(odd)
    one = operations.check_data(registry, ref="churn:2", data=fresh.assign(zz=1), ignore="zz")
    assert one.passed and one.ignored == ["zz"]
    ipython.user_ns["column"] = fresh.x0
    ipython.run_line_magic("mlops", f"connect {churn_home}")
    with pytest.raises(UsageError, match="a Series was given as data, which is neither") as told:
        ipython.run_line_magic("mlops", "check-data column --schema churn:2")
    assert "Name: x0" not in str(told.value) and len(str(told.value)) < 200


def test_files_whose_column_types_differ_are_named_and_a_read_error_is_shown_whole(
    churn_home, fresh, tmp_path, capsys
):
    fresh.iloc[:500].to_parquet(tmp_path / "day_1.parquet")
    fresh.iloc[500:].assign(x1=fresh.x1.iloc[500:].astype(str)).to_parquet(
        tmp_path / "day_2.parquet"
    )
    result = operations.check_data(
        Registry(churn_home), ref="churn@champion", data=str(tmp_path / "day_*.parquet")
    )
    assert [(f.column, f.check, f.severity) for f in result.findings] == [("x1", "type", "error")]
    assert result.findings[0].detail == (
        f"holds numbers in {tmp_path / 'day_1.parquet'}, text in {tmp_path / 'day_2.parquet'}; "
        "give files whose x1 holds one type"
    )
    (tmp_path / "cut.parquet").write_bytes(b"PAR1abc")
    args = ["--home", str(churn_home), "check-data", str(tmp_path / "cut.parquet")]
    assert main([*args, "--schema", "churn@champion"]) == 2
    said = capsys.readouterr().err
    assert "smaller than the minimum file footer (8 bytes)); give a Parquet file" in said
