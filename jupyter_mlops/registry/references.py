"""Reference data: what monitoring compares a version's later data and outputs with.

A model's outputs on its own training rows are not what it will see: a forest scores its
training rows near 0 and 1, so scores calibrated on them promise accuracy the model never
reaches and its outputs on calm new data look drifted. So everything monitoring learns
about a version comes from one reference:

- held-out data given for it (`reference=(X_val, y_val)`): feature drift, the output
  profile, prediction drift and the calibration of estimates all use it;
- otherwise the training rows, for feature (and target) drift only: the model's outputs on
  them are never stored, and output-based results say they are not available.

The reference is a bounded sample (features, `__target__`, `__prediction__`) kept as a
Parquet artifact, and a profile per column kept in the `profiles` table.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from jupyter_mlops.clock import utc_now
from jupyter_mlops.errors import InvalidArgumentError
from jupyter_mlops.profiling.profile import profile_frame, sample_positions, to_parquet, to_rows
from jupyter_mlops.registry import datasets
from jupyter_mlops.registry.artifacts import ArtifactStore
from jupyter_mlops.registry.capture import current_user
from jupyter_mlops.registry.lookups import find_version
from jupyter_mlops.registry.outputs import FITTED, PREDICTION, TARGET, output_of
from jupyter_mlops.registry.pairing import paired
from jupyter_mlops.registry.records import HELD_OUT, TRAINING, Version, describe
from jupyter_mlops.registry.refs import ModelRef
from jupyter_mlops.store import references as stored
from jupyter_mlops.store.backends import Store

MIN_ROWS = 50  # held-out rows: fewer cannot calibrate scores nor stand for a population


@dataclass(frozen=True)
class Reference:
    """A version's reference: its sample as Parquet bytes, its profile, where it came from."""

    sample: bytes
    profile: list[dict[str, Any]]
    source: str
    rows: int

    def describe(self) -> str:
        return describe(self.source, self.rows)


def split(reference: Any) -> tuple[Any, Any]:
    """`(X, y)`, `[X, y]` or `X` alone as (X, y or None)."""
    if isinstance(reference, tuple | list) and len(reference) == 2:
        return reference[0], reference[1]
    if isinstance(reference, tuple | list) and len(reference) == 1:
        return reference[0], None
    return reference, None


def build(
    model: Any,
    X: Any,
    y: Any = None,
    *,
    held_out: bool,
    schema: list[dict[str, Any]] | None = None,
    as_frame: bool | None = None,
    training: pd.DataFrame | None = None,
    positive: Any = None,
) -> Reference:
    """The reference of `model` from rows `X` (and true values `y`).

    `held_out`: X was not trained on, so the model's outputs on it are profiled and kept.
    `schema`: the training columns (name, dtype) X must have, in this order, each of the
    same kind. `as_frame`: the model takes a DataFrame (default: when X is one).
    `training`: the rows the model was fitted on, which held-out rows must not be.
    `positive`: the class whose probability a binary classifier's output is (None: its
    second class)."""
    as_frame = isinstance(X, pd.DataFrame) if as_frame is None else as_frame
    what = "the reference data" if held_out else "X"
    features = datasets.as_frame(X, name=what)
    _one_type_per_column(features, what=what)
    if schema is not None:
        features = _aligned(features, [str(c["name"]) for c in schema], what=what)
        _same_kinds(features, schema, what=what)
    target = datasets.as_frame(y, name="y") if y is not None else None
    if target is not None and target.shape[1] != 1:
        raise InvalidArgumentError(
            f"the y given with {what} has {target.shape[1]} columns; pass the one target column."
        )
    if target is not None and len(target) != len(features):
        raise InvalidArgumentError(
            f"{what} has {len(features)} rows but its y has {len(target)}; pass matching y."
        )
    if held_out:
        _held_out_enough(features, target, model=model, training=training)
    positions = sample_positions(len(features))
    sample = features.iloc[positions].copy()
    profile = profile_frame(features)
    if target is not None:
        entry = profile_frame(target.iloc[:, :1])[0]
        profile.append({**entry, "feature": TARGET})
        sample[TARGET] = target.iloc[positions, 0].to_numpy()
    if not held_out:  # optimistic outputs: never profiled, kept only to tell a repeat
        fitted = output_of(model, features.iloc[positions], as_frame=as_frame, positive=positive)
        if fitted is not None:
            sample[FITTED] = fitted
    else:
        output = output_of(model, features.iloc[positions], as_frame=as_frame, positive=positive)
        if output is not None:
            profile += profile_frame(pd.DataFrame({PREDICTION: output}))
            sample[PREDICTION] = output
    source = HELD_OUT if held_out else TRAINING
    return Reference(to_parquet(sample), profile, source, len(features))


def _aligned(features: pd.DataFrame, columns: list[str], *, what: str) -> pd.DataFrame:
    """`features` with exactly the training columns, in the training order."""
    names = [str(c) for c in features.columns]
    missing = [c for c in columns if c not in names]
    extra = [c for c in names if c not in columns]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"lacks {_listed(missing)}")
        if extra:
            parts.append(f"has {_listed(extra)} the training data has not")
        raise InvalidArgumentError(
            f"{what} {' and '.join(parts)}; pass rows with the training columns "
            f"({_listed(columns)})."
        )
    return features.set_axis(names, axis=1)[columns]


def _held_out_enough(
    features: pd.DataFrame, target: pd.DataFrame | None, *, model: Any, training: Any
) -> None:
    """Refuse held-out data that cannot stand for what the model will see: too few rows,
    labels that are not its classes, or its own training rows."""
    if len(features) < MIN_ROWS:
        raise InvalidArgumentError(
            f"the reference data has {len(features)} row(s); give at least {MIN_ROWS} held-out "
            "rows (a few thousand give narrow estimate intervals)."
        )
    refuse_missing_labels(model, target, what="the reference data")
    classes = getattr(model, "classes_", None)
    if target is not None and classes is not None:
        known = set(np.asarray(classes).tolist())
        strange = [v for v in pd.unique(target.iloc[:, 0].dropna()).tolist() if v not in known]
        if strange:
            raise InvalidArgumentError(
                f"the reference labels include {_listed([str(v) for v in strange], shown=5)}, "
                f"which are not classes of this model ({_listed([str(c) for c in known])}); "
                "pass the held-out rows' true labels."
            )
        present = pd.unique(target.iloc[:, 0].dropna()).tolist()
        if len(known) > 1 and len(present) == 1:
            raise InvalidArgumentError(
                f"every reference label is {present[0]!s}, so the model's scores cannot be "
                "calibrated nor its performance measured on them; pass held-out rows with "
                "labels of at least two of its classes (e.g. a stratified split)."
            )
    if training is not None and set(training.columns) >= set(features.columns):
        _not_training_rows(features, training[features.columns])


def refuse_missing_labels(model: Any, target: pd.DataFrame | None, *, what: str) -> None:
    """Refuse a classifier's labels with a missing one: training labels the model cannot have
    been fitted on, reference labels that would leave its scores uncalibrated."""
    if target is None or getattr(model, "classes_", None) is None:
        return
    missing = target.isna().any(axis=1).to_numpy()
    if missing.any():
        raise InvalidArgumentError(
            f"{int(missing.sum()):,} of the {len(missing):,} labels given with {what} are "
            f"missing (the first in row {int(np.flatnonzero(missing)[0])}); give only rows "
            f"with a label (drop the others from {what} and its labels together)."
        )


def _not_training_rows(features: pd.DataFrame, training: pd.DataFrame) -> None:
    """Refuse reference rows that are mostly the training rows themselves.

    Rows equal by value are expected when the feature space is small (a flag, a few codes),
    so a row counts against the data only beyond chance: a fresh row matches some training
    row about as often as a training row matches another one (`chance`), and a copied row
    always matches, so `shared = copied + (rows - copied) * chance`. Refused when the copied
    rows this implies are more than half and chance alone cannot explain the overlap (a
    one-sided binomial test, p < 0.001)."""
    from scipy import stats  # imported when a reference is given with its training rows

    rows = pd.util.hash_pandas_object(features, index=False).to_numpy()
    seen = pd.util.hash_pandas_object(training, index=False)
    shared = int(np.isin(rows, seen.to_numpy()).sum())
    chance = float(seen.duplicated(keep=False).mean()) if len(seen) > 1 else 0.0
    copied = (shared - len(rows) * chance) / (1 - chance) if chance < 1 else 0.0
    unlikely = chance == 0 or stats.binom.sf(shared - 1, len(rows), chance) < 1e-3
    if copied * 2 > len(rows) and unlikely:
        by_chance = f" (fresh rows match {chance:.0%} by chance)" if chance >= 0.005 else ""
        raise InvalidArgumentError(
            f"{shared:,} of the {len(rows):,} reference rows are rows the model was trained "
            f"on{by_chance}, whose scores are optimistic; "
            "pass held-out rows (e.g. the test part of train_test_split)."
        )


def kind(dtype: object) -> str | None:
    """`number`, `boolean` or `text` (anything else a category); None when unknown."""
    try:
        found = pd.api.types.pandas_dtype(dtype)  # a dtype, or its name as a schema keeps it
    except TypeError:
        return None
    if pd.api.types.is_bool_dtype(found):
        return "boolean"
    if pd.api.types.is_numeric_dtype(found):
        return "number"
    return None if pd.api.types.is_datetime64_any_dtype(found) else "text"


def _same_kinds(features: pd.DataFrame, schema: list[dict[str, Any]], *, what: str) -> None:
    """Refuse a column that holds numbers in one and text (or booleans) in the other: it
    would be compared as another kind of feature and flagged on every window."""
    for column in schema:
        trained, given = kind(column["dtype"]), kind(features[str(column["name"])].dtype)
        if trained and given and trained != given:
            raise InvalidArgumentError(
                f"column {column['name']!r} of {what} holds a {given} where the training data "
                f"holds a {trained}; pass it with the training types "
                "(e.g. df.astype(X_train.dtypes))."
            )


def _one_type_per_column(features: pd.DataFrame, *, what: str) -> None:
    """Refuse a column of Python objects of several types (`'a'` beside `3`): Parquet keeps
    one type per column, and a drift test would compare apples with their names."""
    for name, series in features.items():
        if series.dtype != object:
            continue
        types = {type(v).__name__ for v in series.dropna().iloc[:10_000]}
        if len(types) > 1:
            raise InvalidArgumentError(
                f"column {str(name)!r} of {what} mixes {' and '.join(sorted(types))} values; "
                "give each column one type (e.g. df[col].astype(str))."
            )


def _listed(names: list[str], *, shown: int = 8) -> str:
    text = ", ".join(repr(n) for n in names[:shown])
    return text + (f" and {len(names) - shown} more" if len(names) > shown else "")


def replace(
    target: Version,
    model: Any,
    *,
    X: Any,
    y: Any,
    reason: str,
    db: Store,
    artifacts: ArtifactStore,
) -> Version:
    """Give `target`, a stored version, new held-out reference data scored by its `model`,
    audited in `version_events`."""
    y = paired(X, y)
    found = build(model, X, y, held_out=True, schema=target.schema, positive=target.positive_label)
    given = datasets.as_frame(X, name="the reference data")
    truth = None if y is None else datasets.as_frame(y, name="y")
    if target.data_fingerprint and target.data_fingerprint in datasets.fingerprints(
        given, truth, names=given.columns
    ):
        raise InvalidArgumentError(
            f"the reference data is {target.ref}'s training data, whose scores are optimistic; "
            "pass held-out rows (e.g. the test part of train_test_split)."
        )
    profile = to_rows(found.profile, model=target.model, version=target.version)
    detail = {"from": target.reference_text, "to": found.describe()}
    with artifacts.in_use():  # no garbage collection until the row refers to it
        digest = artifacts.put(found.sample)
        with db.write() as conn:
            stored.replace_reference(
                conn,
                target.model,
                target.version,
                sha256=digest,
                source=found.source,
                rows=found.rows,
                profile=profile,
            )
            stored.insert_version_event(
                conn,
                {
                    "model": target.model,
                    "version": target.version,
                    "action": "reference",
                    "changed_at": utc_now(),
                    "changed_by": current_user(),
                    "reason": reason,
                    "detail": json.dumps(detail),
                },
            )
            updated = find_version(conn, ModelRef(target.model, version=target.version))
    note = f"monitoring reference is now {detail['to']} (was {detail['from']})"
    return dataclasses.replace(updated, note=note)
