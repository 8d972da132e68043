"""Model classes of the user's own, which skops does not trust by default."""

from __future__ import annotations

import time

import numpy as np
from sklearn.base import BaseEstimator


class ThresholdModel:
    def __init__(self, threshold: float = 0.5) -> None:
        self.threshold = threshold

    def fit(self, X, y):
        return self

    def predict(self, X):
        return (np.asarray(X)[:, 0] > self.threshold).astype(int)


class FittedThreshold(BaseEstimator):
    """The same as a scikit-learn estimator (get_params, fitted attributes), of the user's own."""

    def __init__(self, threshold: float = 0.5) -> None:
        self.threshold = threshold

    def fit(self, X, y):
        self.n_features_in_ = np.asarray(X).shape[1]
        return self

    def predict(self, X):
        return (np.asarray(X)[:, 0] > self.threshold).astype(int)


class StampedThreshold(FittedThreshold):
    """A model that records when it was fitted: each fit is stored as different bytes, and
    predicts the same."""

    def fit(self, X, y):
        self.fitted_at_ = time.time_ns()
        return super().fit(X, y)


class FailsToLoad:
    """Unpickling it raises `message`, as a model pickled by another version of its library
    can (scikit-learn's trees raise a ValueError of several lines)."""

    def __init__(self, message: str) -> None:
        self.message = message

    def __setstate__(self, state: dict[str, str]) -> None:
        raise ValueError(state["message"])
