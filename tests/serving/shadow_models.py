"""Challengers that misbehave when served, importable by a server process (registered with
`trust=` naming these classes). Each answers like its wrapped model on the training data,
so it registers; on the few rows of a request it misbehaves."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

SERVED_ROWS = 100  # fewer rows than this: a request, not the training data


class Refuser(ClassifierMixin, BaseEstimator):
    """Raises on every request."""

    def __init__(self, inner: Any = None) -> None:
        self.inner = inner

    def fit(self, X: Any, y: Any) -> Refuser:
        self.classes_ = np.unique(y)
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.n_features_in_ = X.shape[1]
        return self

    def predict(self, X: Any) -> np.ndarray:
        if len(X) < SERVED_ROWS:
            raise RuntimeError("this challenger refuses every request")
        return self.inner.predict(X)

    def predict_proba(self, X: Any) -> np.ndarray:
        if len(X) < SERVED_ROWS:
            raise RuntimeError("this challenger refuses every request")
        return self.inner.predict_proba(X)


class Gated(Refuser):
    """Answers a request only once the file `gate` exists (waits up to a minute)."""

    def __init__(self, inner: Any = None, gate: str = "") -> None:
        self.inner, self.gate = inner, gate

    def predict(self, X: Any) -> np.ndarray:
        self._wait(len(X))
        return self.inner.predict(X)

    def predict_proba(self, X: Any) -> np.ndarray:
        self._wait(len(X))
        return self.inner.predict_proba(X)

    def _wait(self, rows: int) -> None:
        deadline = time.monotonic() + 60
        while rows < SERVED_ROWS and not Path(self.gate).exists() and time.monotonic() < deadline:
            time.sleep(0.01)
