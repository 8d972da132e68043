"""A version records what its model does: its task and, for a binary classifier, its
positive class, chosen from Python, `%mlops register` and the command line."""

from __future__ import annotations

import html
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import skops.io
from IPython.core.interactiveshell import InteractiveShell
from sklearn.linear_model import LogisticRegression, PoissonRegressor

from jupyter_mlops import Registry
from jupyter_mlops.errors import InvalidArgumentError

CLI = str(Path(sys.executable).parent / "jupyter-mlops")


def answers(labels: tuple[object, object]) -> tuple[pd.DataFrame, np.ndarray, LogisticRegression]:
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=300), "b": rng.normal(size=300)})
    y = np.where(X["a"] + rng.normal(size=300) > 0, labels[1], labels[0])
    return X, y, LogisticRegression().fit(X, y)


@pytest.mark.parametrize(
    ("labels", "chosen", "expected"),
    [
        ((1, 2), None, 2),
        (("no", "yes"), None, "yes"),
        ((False, True), None, True),
        (("no", "yes"), "no", "no"),
        ((1, 2), "1", 1),  # as a command line gives it
        ((False, True), "false", False),
    ],
)
def test_the_positive_class_is_recorded_and_read_back_as_it_was(
    registry: Registry, labels, chosen, expected
) -> None:
    X, y, model = answers(labels)
    stored = registry.register("answers", model, X=X, y=y, positive_label=chosen)
    version = registry.get("answers:1")
    for seen in (stored, version):
        assert seen.task == "classifier"
        assert seen.positive_label == expected and type(seen.positive_label) is type(expected)
    shown = f"classifier (positive class {expected!r})"
    assert shown in str(version) and html.escape(shown) in version._repr_html_()


def test_a_regressor_and_a_multiclass_model_have_no_positive_class(registry: Registry) -> None:
    rng = np.random.default_rng(1)
    X = pd.DataFrame({"a": rng.normal(size=300)})
    counts = rng.poisson(3, size=300)
    version = registry.register("counts", PoissonRegressor().fit(X, counts), X=X, y=counts)
    assert (version.task, version.positive_label) == ("regressor", None)
    assert "regressor" in str(registry.get("counts:1"))
    three = LogisticRegression().fit(X, counts % 3)
    assert registry.register("three", three).positive_label is None
    with pytest.raises(InvalidArgumentError, match="classifier of 3 classes"):
        registry.register("three", three, positive_label=1)
    with pytest.raises(InvalidArgumentError, match="no classifier"):
        registry.register("counts", PoissonRegressor().fit(X, counts), positive_label=1)


def test_a_positive_label_that_is_not_a_class_names_the_classes(registry: Registry) -> None:
    _, _, model = answers(("no", "yes"))
    with pytest.raises(InvalidArgumentError) as raised:
        registry.register("answers", model, positive_label="yse")
    assert str(raised.value) == (
        "positive label 'yse' is not a class of this model (did you mean 'yes'?); choose one "
        "of its classes_ ('no', 'yes')."
    )
    assert registry.models() == []


def test_the_positive_label_is_chosen_from_a_cell_and_from_the_shell(
    ipython: InteractiveShell, tmp_path: Path, subprocess_env: dict[str, str]
) -> None:
    X, y, model = answers(("no", "yes"))
    shell = ipython
    shell.run_cell(f"%mlops connect {tmp_path / 'registry'}")
    shell.user_ns.update(clf=model, X_train=X, y_train=y)
    result = shell.run_cell(
        "%mlops register answers clf --data X_train y_train --positive-label no"
    )
    assert result.success and shell.user_ns["_"].positive_label == "no"
    refused = shell.run_cell("%mlops register answers clf --positive-label maybe --force")
    assert not refused.success and "is not a class of this model" in str(refused.error_in_exec)

    model_file = tmp_path / "model.skops"
    skops.io.dump(model, model_file)
    run = [CLI, "register", "answers", str(model_file), "--force", "--positive-label"]
    stored = subprocess.run([*run, "yes"], capture_output=True, text=True, env=subprocess_env)
    assert stored.returncode == 0, stored.stderr
    assert "classifier (positive class 'yes')" in stored.stdout
    wrong = subprocess.run([*run, "Yess"], capture_output=True, text=True, env=subprocess_env)
    assert wrong.returncode != 0 and "did you mean 'yes'?" in wrong.stderr
    assert Registry(tmp_path / "registry").get("answers:2").positive_label == "yes"
