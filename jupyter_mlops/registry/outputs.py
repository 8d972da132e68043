"""Asking a model for its outputs the way it was fitted: predictions, probabilities, scores.

`__prediction__` and `__target__` name the model's output and the true value wherever a
reference sample or a profile keeps them beside the features.

A model is asked with NumPy's invalid-value and overflow warnings off (`quiet`): its own
check of the rows sums them, which turns +inf beside -inf into NaN with a warning that says
nothing the model's refusal does not say better, and an output that overflows shows up as
what it is (inf, NaN) where it is compared.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from jupyter_mlops.errors import InvalidArgumentError

PREDICTION = "__prediction__"
TARGET = "__target__"
# the model's output on its own training rows: kept beside a training-rows sample only to
# tell a repeated registration (same predictions), never profiled nor monitored
FITTED = "__fitted_output__"


def output_of(
    model: Any,
    frame: pd.DataFrame,
    *,
    as_frame: bool = True,
    labels_as_text: bool = True,
    positive: Any = None,
) -> Any:
    """The model's output (see `model_output`) on rows of a DataFrame, asked the way it was
    fitted."""
    rows = _as_fitted(model, frame) if as_frame else frame.to_numpy()
    return model_output(model, rows, labels_as_text=labels_as_text, positive=positive)


def predictions_and_scores(
    model: Any, frame: pd.DataFrame, *, positive: Any = None
) -> tuple[Any, Any]:
    """The model's predictions on rows of a DataFrame and, for a binary classifier, the
    probability of its positive class (`positive`; None: its second class), else None."""
    predictions, proba = predictions_and_probabilities(model, frame)
    return predictions, None if proba is None else proba[:, positive_column(model, positive)]


def positive_column(model: Any, positive: Any = None) -> int:
    """The column of `predict_proba` that holds the positive class's probability: the
    position of `positive` among the model's classes, else 1 (scikit-learn's choice)."""
    classes = getattr(model, "classes_", None)
    if positive is None or classes is None:
        return 1
    known = np.asarray(classes).tolist()
    return known.index(positive) if positive in known else 1


def predictions_and_probabilities(
    model: Any, frame: pd.DataFrame, *, probabilities: bool = False
) -> tuple[np.ndarray, np.ndarray | None]:
    """The model's predictions on rows of a DataFrame, and its class probabilities for a
    binary classifier, or for any classifier when `probabilities` (else None)."""
    rows = _as_fitted(model, frame)
    with quiet():
        predictions = np.asarray(model.predict(rows))
        binary = len(getattr(model, "classes_", [])) == 2
        if hasattr(model, "predict_proba") and (probabilities or binary):
            return predictions, np.asarray(model.predict_proba(rows))
    return predictions, None


def quiet() -> Any:
    """NumPy's state for asking a model: no warning on invalid values or overflow."""
    return np.errstate(invalid="ignore", over="ignore")


def _as_fitted(model: Any, frame: pd.DataFrame) -> Any:
    """A scikit-learn model fitted on an array (it knows n_features_in_ but no
    feature_names_in_) is asked with an array, as it was fitted."""
    on_array = hasattr(model, "n_features_in_") and not hasattr(model, "feature_names_in_")
    return frame.to_numpy() if on_array else frame


def model_output(
    model: Any, rows: Any, *, labels_as_text: bool = True, positive: Any = None
) -> Any:
    """The positive-class probability (binary), the class (multiclass) or the prediction;
    a classifier's classes as text, so they are profiled and compared as categories
    (`labels_as_text=False`: as numbers, as versions registered before were profiled)."""
    method = getattr(model, "predict_proba", None) or getattr(model, "predict", None)
    if method is None:
        return None
    try:
        with quiet():
            output = np.asarray(method(rows))
    except Exception as exc:
        if any(kind.__name__ == "NotFittedError" for kind in type(exc).__mro__):
            raise InvalidArgumentError(
                f"the model is not fitted (this {type(model).__name__} has not been fit on "
                "any data); fit it first (model.fit(X, y)), then register it."
            ) from exc
        said = str(exc).strip().splitlines()[0].rstrip(".") if str(exc).strip() else ""
        raise InvalidArgumentError(
            f"the model cannot predict on the given X ({type(exc).__name__}: {said}); "
            "pass the data it was trained on."
        ) from exc
    if output.ndim == 2 and output.shape[1] == 2:
        return output[:, positive_column(model, positive)]
    if not labels_as_text:
        return output.argmax(axis=1) if output.ndim == 2 else output
    classes = getattr(model, "classes_", None)
    if output.ndim == 2:
        found = output.argmax(axis=1)
        named = classes is not None and len(classes) == output.shape[1]
        labels = np.asarray(classes)[found] if named else found
        return labels.astype(str)
    return output.astype(str) if classes is not None else output
