"""Everything `register` computes before it takes the registry's lock.

Serializing, fingerprinting, profiling and capturing provenance happen here, in
the caller's process and outside any transaction, so the lock is held only for
the few inserts that make the version visible.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from jupyter_mlops.config import job_id
from jupyter_mlops.errors import InvalidArgumentError
from jupyter_mlops.registry import capture, datasets, references, serialization, task
from jupyter_mlops.registry.pairing import paired
from jupyter_mlops.registry.references import split
from jupyter_mlops.registry.refs import check_key


@dataclass(frozen=True)
class Registration:
    """What `Registry.register` was given to capture: the model, the data it was trained
    and is to be monitored on, and its provenance (tags and description already checked)."""

    model: Any
    X: Any = None
    y: Any = None
    metrics: Mapping[str, Any] | None = None
    params: Mapping[str, Any] | None = None
    description: str = ""
    tags: Mapping[str, str] = field(default_factory=dict)
    code: str | None = None
    notebook: str | None = None
    trust: str | Iterable[str] = ()
    allow_pickle: bool = False
    run_id: str | None = None
    reference: Any = None
    positive_label: Any = None


@dataclass
class Draft:
    """A version ready to be written: its row (without a number), profile and artifacts,
    and the registration it was drafted from."""

    given: Registration
    record: dict[str, Any]
    artifact: bytes
    reference: bytes | None
    profile: list[dict[str, Any]]
    # every fingerprint its training data has had: a version that repeats it may hold either
    fingerprints: set[str] = field(default_factory=set)


def check_model(model: Any, *, name: str = "model") -> None:
    """Accept fitted-estimator-like objects: they predict, or they fit and transform."""

    def has(method: str) -> bool:
        return callable(getattr(model, method, None))

    predicts = has("predict") or has("predict_proba")
    if isinstance(model, type) or not (predicts or (has("fit") and has("transform"))):
        raise InvalidArgumentError(
            f"{name} is a {type(model).__name__}, not a model; pass a fitted estimator "
            "(an object with predict, predict_proba or transform)."
        )


def check_metrics(metrics: Mapping[str, Any] | None) -> dict[str, float]:
    checked = {}
    for key, value in (metrics or {}).items():
        check_key(key, what="metric")
        number = _number(value)
        if number is None or not math.isfinite(number):
            shown = _shown(value)
            raise InvalidArgumentError(
                f"metric {key}={shown} is not a finite number; give metrics as name=number, "
                "e.g. auc=0.91."
            )
        checked[key] = number
    return checked


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError, OverflowError):  # overflow: an integer beyond any float
        return None


def _shown(value: Any) -> str:
    """A value as an error message quotes it: short, even for a 400-digit integer."""
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:20]}...({len(text)} characters)"


def draft_version(given: Registration) -> Draft:
    """The version `given` describes: checked, serialized, fingerprinted and profiled."""
    model = given.model
    check_model(model)
    metrics = check_metrics(given.metrics)
    positive = task.positive_of(model, given.positive_label)
    serialized = serialization.dump(model, trust=given.trust, allow_pickle=given.allow_pickle)
    record = _record(given, serialized, positive=positive, metrics=metrics)
    if given.X is None and given.y is not None:
        raise InvalidArgumentError(
            "y was given without X; pass the training features too (--data X y)."
        )
    features = None if given.X is None else datasets.as_frame(given.X, name="X")
    if features is not None:
        datasets.check_columns(features, name="X")
    if given.reference is not None:
        datasets.check_columns(_held_out_rows(given.reference), name="the reference data")
    fingerprints: set[str] = set()
    if features is not None:
        y = paired(given.X, given.y)
        target = datasets.as_frame(y, name="y") if y is not None else None
        _check_lengths(features, target)
        references.refuse_missing_labels(model, target, what="X")
        record["data_fingerprint"] = datasets.fingerprint(features, target)
        fingerprints = datasets.fingerprints(features, target)
        record["data_rows"] = len(features)
    found = _reference(
        model,
        features,
        paired(given.X, given.y),
        held_out=given.reference,
        as_frame=isinstance(given.X, pd.DataFrame),
        positive=positive,
    )
    if found is None:
        return Draft(given, record, serialized.data, None, [], fingerprints)
    described = features if features is not None else _held_out_rows(given.reference)
    record["schema"] = json.dumps(datasets.describe_schema(described), default=plain)
    record["reference_source"], record["reference_rows"] = found.source, found.rows
    return Draft(given, record, serialized.data, found.sample, found.profile, fingerprints)


def _record(
    given: Registration,
    serialized: serialization.Serialized,
    *,
    positive: Any,
    metrics: dict[str, float],
) -> dict[str, Any]:
    """The version's row as far as the model and its provenance tell (no data yet)."""
    model = given.model
    return {
        "created_by": capture.current_user(),
        "status": "ready",
        "description": given.description,
        "model_class": f"{type(model).__module__}.{type(model).__qualname__}",
        "artifact_bytes": len(serialized.data),
        "format": serialized.encoding,
        "trusted_types": json.dumps(serialized.trusted_types),
        "params": json.dumps(_model_params(model) | dict(given.params or {}), default=plain),
        "metrics": json.dumps(metrics),
        "code": (given.code if given.code is not None else capture.caller_code()) or None,
        "notebook": given.notebook or capture.notebook_path(),
        "git_commit": capture.git_commit(),
        "env": json.dumps(capture.environment(model)),
        "run_id": given.run_id,
        "job_id": job_id(),  # registered by a job's notebook: which job
        "data_fingerprint": None,
        "data_rows": None,
        "schema": None,
        "reference_source": None,
        "reference_rows": None,
        "task": task.task_of(model),
        "positive_label": task.encoded(positive),
    }


def _reference(
    model: Any,
    features: pd.DataFrame | None,
    y: Any,
    *,
    held_out: Any,
    as_frame: bool,
    positive: Any,
) -> references.Reference | None:
    """Held-out reference data when given (its columns must be the training columns),
    else the training rows (outputs left out), else none."""
    if held_out is not None:
        rows, truth = split(held_out)
        truth = paired(rows, truth)
        schema = None
        if features is not None:
            schema = [{"name": str(c), "dtype": str(t)} for c, t in features.dtypes.items()]
        return references.build(
            model,
            rows,
            truth,
            held_out=True,
            schema=schema,
            training=features,
            positive=positive,
        )
    if features is None:
        return None
    return references.build(
        model, features, y, held_out=False, as_frame=as_frame, positive=positive
    )


def _held_out_rows(reference: Any) -> pd.DataFrame:
    return datasets.as_frame(split(reference)[0], name="the reference data")


def _check_lengths(features: pd.DataFrame, target: pd.DataFrame | None) -> None:
    if target is not None and len(target) != len(features):
        raise InvalidArgumentError(
            f"X has {len(features)} rows but y has {len(target)}; pass the matching target."
        )


def _model_params(model: Any) -> dict[str, Any]:
    get_params = getattr(model, "get_params", None)
    if not callable(get_params):
        return {}
    try:
        params = get_params(deep=True)
    except Exception:
        return {}
    return {key: plain(value) for key, value in params.items()}


def plain(value: Any) -> Any:
    """A JSON-ready stand-in: numbers and strings as they are, anything else as its repr."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, np.generic):
        return plain(value.item())
    if isinstance(value, list | tuple) and all(isinstance(v, int | float | str) for v in value):
        return list(value)
    return repr(value)[:200]
