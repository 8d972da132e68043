"""What `%mlops` says when a line names something other than a fitted model's variable."""

from __future__ import annotations

import pytest
from IPython.core.interactiveshell import InteractiveShell
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


@pytest.fixture
def shell(ipython, tmp_path, dataset, fitted):
    ip = ipython
    ip.run_cell(f"%mlops connect {tmp_path / 'registry'}")
    X, y = dataset
    ip.user_ns.update(X=X, y=y, clf=fitted, Xab=X.iloc[:, :2])
    return ip


def failure(shell: InteractiveShell, line: str) -> str:
    result = shell.run_cell(line)
    assert not result.success
    return str(result.error_in_exec)


@pytest.mark.parametrize(
    ("line", "typed", "assign"),
    [
        (
            "%mlops register w3 clf --data X[['a','b']] y",
            "\"X[['a','b']]\"",
            "X2 = X[['a','b']]",
        ),
        ("%mlops predict w3:2 Xab.head(2)", "'Xab.head(2)'", "Xab2 = Xab.head(2)"),
    ],
)
def test_an_expression_is_asked_to_be_a_variable_as_it_was_typed(
    shell: InteractiveShell, line: str, typed: str, assign: str
) -> None:
    message = failure(shell, line)
    assert f"{typed} is not a variable name" in message, message
    assert "pass a variable name, not an expression" in message
    assert f"(assign it first: {assign})" in message and "\n" not in message


def test_an_unfitted_pipeline_is_said_to_need_fitting(shell: InteractiveShell) -> None:
    shell.user_ns["pipe"] = make_pipeline(StandardScaler(), LogisticRegression())
    message = failure(shell, "%mlops register churn pipe --data X y")
    assert "the model is not fitted" in message and "fit it first" in message, message
    assert "pass the data it was trained on" not in message
