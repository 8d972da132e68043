"""Multivariate drift: can a classifier tell the reference rows from the current ones?

A change in how features move together (a correlation that appears, say) leaves
every feature's own distribution as it was, so no per-feature test sees it. A
gradient-boosted classifier trained to separate reference rows from current rows
does: its cross-validated ROC AUC is about 0.5 when the two are alike and grows as
they part. Both sides are bounded samples, so the cost does not grow with the window.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from jupyter_mlops.jsonable import fields_of
from jupyter_mlops.monitoring.columns import Columns
from jupyter_mlops.monitoring.drift import EXACT_ROWS

SAMPLE_ROWS = 5_000
MIN_ROWS = 100  # per side; fewer cannot train and score a classifier in 3 folds
FOLDS = 3
THRESHOLD = 0.55
TOP_CATEGORIES = 200


@dataclass(frozen=True)
class DomainClassifierResult:
    auc: float
    threshold: float
    rows: int  # rows per side

    @property
    def drifted(self) -> bool:
        return self.auc >= self.threshold

    def to_dict(self) -> dict[str, Any]:
        return {**fields_of(self), "drifted": self.drifted}


def domain_classifier(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    *,
    threshold: float = THRESHOLD,
    rows: int = SAMPLE_ROWS,
    seed: int = 0,
) -> DomainClassifierResult:
    """Cross-validated ROC AUC of a classifier separating `reference` rows from `current` rows."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import cross_val_predict

    size = min(rows, len(reference), len(current))
    left = reference.sample(n=size, random_state=seed) if len(reference) > size else reference
    right = current.sample(n=size, random_state=seed) if len(current) > size else current
    features, text = _encoded(pd.concat([left, right], ignore_index=True))
    labels = np.r_[np.zeros(len(left)), np.ones(len(right))]
    model = HistGradientBoostingClassifier(
        max_iter=100, categorical_features=text or None, random_state=seed
    )
    folds = _folds(features, labels, seed)
    scores = cross_val_predict(model, features, labels, cv=folds, method="predict_proba")[:, 1]
    return DomainClassifierResult(float(roc_auc_score(labels, scores)), threshold, size)


def _folds(features: pd.DataFrame, labels: np.ndarray, seed: int) -> Any:
    """The cross-validation folds, identical rows in one fold: a row seen in training on one
    side and scored on the other would be told apart by memory, not by any shift (the same
    rows logged twice, or a window that copies reference rows). Each fold takes about a
    third of each side's distinct rows (a row on both sides counts on the side most of its
    copies are on), dealt at random: what StratifiedGroupKFold does, in milliseconds where
    it takes seconds for thousands of distinct rows. When one side has too few rows of its
    own to stratify (a window made of reference rows: each row has as many copies on either
    side, and counts on the reference's), the rows are dealt by group alone; split apart,
    each row's copy in training would teach the opposite side: the AUC read 0.1 to 0.25."""
    from sklearn.model_selection import KFold, PredefinedSplit, StratifiedKFold

    dealt = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=seed)
    hashes = pd.util.hash_pandas_object(features, index=False).to_numpy()
    _, group = np.unique(hashes, return_inverse=True)
    side = np.rint(np.bincount(group, weights=labels) / np.bincount(group)).astype(int)
    if len(side) < FOLDS:  # too few distinct rows to group
        return dealt
    if np.bincount(side, minlength=2).min() >= FOLDS:
        folds = dealt.split(np.zeros(len(side)), side)
    else:
        folds = KFold(n_splits=FOLDS, shuffle=True, random_state=seed).split(side)
    fold_of_group = np.empty(len(side), dtype=int)
    for fold, (_, taken) in enumerate(folds):
        fold_of_group[taken] = fold
    return PredefinedSplit(fold_of_group[group])


def _encoded(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Every column as float64 for the classifier, and the names of those that hold text
    codes: numbers as they are (infinities as values past the finite ones, see `_finite`),
    times as epoch seconds (UTC), anything else as text codes (`_codes`); missing is NaN
    everywhere, which the model puts in a bin of its own."""
    columns: dict[str, np.ndarray] = {}
    text: list[str] = []
    for name, series in frame.items():
        if pd.api.types.is_datetime64_any_dtype(series):
            columns[str(name)] = _epoch_seconds(series)
        elif pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
            columns[str(name)] = _finite(series.to_numpy(dtype="float64", na_value=np.nan))
        else:
            columns[str(name)], text = _codes(series), [*text, str(name)]
        if np.isnan(columns[str(name)]).all():  # no value on either side: nothing to split on
            columns[str(name)] = np.zeros(len(series))
    return pd.DataFrame(columns), text


def _finite(values: np.ndarray) -> np.ndarray:
    """+inf and -inf as values one span past the largest and smallest finite ones: the
    classifier bins a column by its quantiles, which an infinity makes NaN (with NumPy's
    warning), while beyond the finite values each still splits off on its own."""
    infinite = np.isinf(values)
    if not infinite.any():
        return values
    finite = values[np.isfinite(values)]
    low, high = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 0.0)
    span = min(max(high - low, 1.0), 1e300)
    shown = values.copy()
    shown[infinite] = np.where(values[infinite] > 0, high + span, low - span)
    return shown


def _codes(series: pd.Series) -> np.ndarray:
    """Text as codes: 0 for its most frequent value, 1 for the next, up to TOP_CATEGORIES
    for all the rarer ones together (the model splits on at most 255 categories), NaN where
    missing (never pd.NA, which scikit-learn's encoders refuse)."""
    present = series.notna().to_numpy()
    text = pd.Series(series[present].astype(str).to_numpy(dtype=object))
    top = pd.Index(text.value_counts().index[:TOP_CATEGORIES])
    found = top.get_indexer(text)
    codes = np.full(len(series), np.nan)
    codes[present] = np.where(found < 0, TOP_CATEGORIES, found)
    return codes


def _epoch_seconds(series: pd.Series) -> np.ndarray:
    """Times as seconds since the Unix epoch; a time without a zone is taken as UTC."""
    times = pd.to_datetime(series, utc=True)
    seconds = (times - pd.Timestamp(0, tz="UTC")) / pd.Timedelta(seconds=1)
    return np.asarray(seconds.to_numpy(dtype="float64", na_value=np.nan))


def joint_shift(
    reference: pd.DataFrame, columns: Columns, names: list[str], *, notes: list[str]
) -> DomainClassifierResult | None:
    """The domain classifier on the inputs `names` of each side, or None and a note when a
    side has too few distinct rows. Rows are compared as they come, repeats kept: dropping a
    side's repeats would compare what is rare with what is common (a large reference keeps
    its rare rows, a small window mostly its common ones) and see drift in counts or codes
    drawn alike. A row's copies share a fold (`_folds`), so none is told apart by memory."""
    sample = columns.sample(EXACT_ROWS)[names]
    left, right = reference[names], sample
    distinct = len(left.drop_duplicates()), len(right.drop_duplicates())
    if min(distinct) < MIN_ROWS:
        notes.append(
            f"multivariate check skipped: it needs {MIN_ROWS} distinct rows on each side "
            f"(the reference has {distinct[0]:,}, the window {distinct[1]:,})"
        )
        return None
    return domain_classifier(left, right)
