"""Reading what a cell fits and trains on from its code."""

from __future__ import annotations

from sklearn.linear_model import LogisticRegression

from jupyter_mlops.tracking.cells import analyse, is_fitted_estimator


def test_fit_calls_assignments_and_inputs_are_found():
    found = analyse(
        "scaler = StandardScaler()\n"
        "clf = LogisticRegression().fit(scaler.fit_transform(X_train), y_train)\n"
        "model.fit(X, y)\n"
        "a, b = 1, 2\n"
    )
    assert set(found.fitted) == {"model", "scaler"}
    assert found.assigned == ["scaler", "clf", "a", "b"]
    assert found.inputs == {"y_train": "y", "X_train": "X", "X": "X", "y": "y"}
    assert set(found.candidates) == {"model", "scaler", "clf", "a", "b"}


def test_the_statements_that_fit_each_model_are_known_for_timing():
    found = analyse(
        "import numpy as np\n"
        "clf = LogisticRegression().fit(X, y)\n"
        "for epoch in range(3):\n"
        "    sgd.partial_fit(X, y)\n"
        "print(1)\n"
    )
    assert found.fit_statements == {"clf": [1], "sgd": [2]}
    assert found.fit_seconds("sgd", [0.1, 0.2, 0.3, 0.4]) == 0.3
    assert found.fit_seconds("other", [0.1]) is None


def test_code_that_does_not_parse_gives_nothing():
    assert analyse("%%%").candidates == []


def test_fitted_estimators_are_told_from_unfitted_ones_and_classes():
    assert is_fitted_estimator(LogisticRegression().fit([[0], [1]], [0, 1]))
    assert not is_fitted_estimator(LogisticRegression())
    assert not is_fitted_estimator(LogisticRegression)
    assert not is_fitted_estimator(3)


def test_a_fitted_pipeline_counts_as_fitted():
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    pipeline = make_pipeline(StandardScaler(), LogisticRegression())
    assert not is_fitted_estimator(pipeline)
    assert is_fitted_estimator(pipeline.fit([[0.0], [1.0]], [0, 1]))
