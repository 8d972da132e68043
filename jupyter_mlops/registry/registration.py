"""Everything `register` computes before it takes the registry's lock.

Serializing, fingerprinting, profiling and capturing provenance happen here, in
the caller's process and outside any transaction, so the lock is held only for
the few inserts that make the version visible.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from jupyter_mlops.errors import UsageError
from jupyter_mlops.monitoring import profile as profiling
from jupyter_mlops.registry import capture, datasets, serialization
from jupyter_mlops.registry.refs import check_key

PREDICTION = "__prediction__"
TARGET = "__target__"


@dataclass
class Draft:
    """A version ready to be written: its row (without a number), profile and artifacts."""

    record: dict[str, Any]
    artifact: bytes
    reference: bytes | None
    profile: list[dict[str, Any]]


def check_model(model: Any, *, name: str = "model") -> None:
    """Accept fitted-estimator-like objects: they predict, or they fit and transform."""

    def has(method: str) -> bool:
        return callable(getattr(model, method, None))

    predicts = has("predict") or has("predict_proba")
    if isinstance(model, type) or not (predicts or (has("fit") and has("transform"))):
        raise UsageError(
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
            raise UsageError(
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


def draft_version(
    model: Any,
    *,
    X: Any = None,
    y: Any = None,
    metrics: Mapping[str, Any] | None = None,
    params: Mapping[str, Any] | None = None,
    description: str = "",
    code: str | None = None,
    notebook: str | None = None,
    trust: str | Iterable[str] = (),
    allow_pickle: bool = False,
    run_id: str | None = None,
) -> Draft:
    check_model(model)
    checked_metrics = check_metrics(metrics)
    serialized = serialization.dump(model, trust=trust, allow_pickle=allow_pickle)
    record: dict[str, Any] = {
        "created_by": capture.current_user(),
        "status": "ready",
        "description": description,
        "model_class": f"{type(model).__module__}.{type(model).__qualname__}",
        "artifact_bytes": len(serialized.data),
        "format": serialized.encoding,
        "trusted_types": json.dumps(serialized.trusted_types),
        "params": json.dumps(_model_params(model) | dict(params or {}), default=plain),
        "metrics": json.dumps(checked_metrics),
        "code": (code if code is not None else capture.caller_code()) or None,
        "notebook": notebook or capture.notebook_path(),
        "git_commit": capture.git_commit(),
        "env": json.dumps(capture.environment(model)),
        "run_id": run_id,
        "data_fingerprint": None,
        "data_rows": None,
        "schema": None,
    }
    reference, profile = None, []
    if X is not None:
        features = datasets.as_frame(X, name="X")
        target = datasets.as_frame(y, name="y") if y is not None else None
        _check_lengths(features, target)
        record["data_fingerprint"] = datasets.fingerprint(features, target)
        record["data_rows"] = len(features)
        record["schema"] = json.dumps(datasets.describe_schema(features), default=plain)
        positions = profiling.sample_positions(len(features))
        sample = features.iloc[positions]
        profile = profiling.profile_frame(features)
        output = output_of(model, sample, as_frame=isinstance(X, pd.DataFrame))
        profile += _extra_profiles(output, target)
        sampled_target = None if target is None else target.iloc[positions, 0]
        reference = profiling.to_parquet(_with_outcomes(sample, sampled_target, output))
    elif y is not None:
        raise UsageError("y was given without X; pass the training features too (--data X y).")
    return Draft(record, serialized.data, reference, profile)


def _check_lengths(features: pd.DataFrame, target: pd.DataFrame | None) -> None:
    if target is not None and len(target) != len(features):
        raise UsageError(
            f"X has {len(features)} rows but y has {len(target)}; pass the matching target."
        )


def _extra_profiles(output: Any, target: pd.DataFrame | None) -> list[dict[str, Any]]:
    """Profiles of the target and of the model's own output on the sample (prediction drift)."""
    extra = []
    if target is not None:
        entry = profiling.profile_frame(target.iloc[:, :1])[0]
        extra.append({**entry, "feature": TARGET})
    if output is not None:
        entry = profiling.profile_frame(pd.DataFrame({PREDICTION: output}))[0]
        extra.append(entry)
    return extra


def _with_outcomes(sample: pd.DataFrame, target: pd.Series | None, output: Any) -> pd.DataFrame:
    """The reference sample with its true target and the model's output on it, as columns
    `__target__` and `__prediction__` (monitoring calibrates its estimates with them)."""
    frame = sample.copy()
    if target is not None:
        frame[TARGET] = target.to_numpy()
    if output is not None:
        frame[PREDICTION] = output
    return frame


def output_of(
    model: Any, frame: pd.DataFrame, *, as_frame: bool = True, labels_as_text: bool = True
) -> Any:
    """The model's output (see `model_output`) on rows of a DataFrame, asked the way it was
    fitted."""
    rows = _as_fitted(model, frame) if as_frame else frame.to_numpy()
    return model_output(model, rows, labels_as_text=labels_as_text)


def predictions_and_scores(model: Any, frame: pd.DataFrame) -> tuple[Any, Any]:
    """The model's predictions on rows of a DataFrame and, for a binary classifier, the
    positive class's probability (else None)."""
    predictions, proba = predictions_and_probabilities(model, frame)
    return predictions, None if proba is None else proba[:, 1]


def predictions_and_probabilities(
    model: Any, frame: pd.DataFrame, *, probabilities: bool = False
) -> tuple[np.ndarray, np.ndarray | None]:
    """The model's predictions on rows of a DataFrame, and its class probabilities for a
    binary classifier, or for any classifier when `probabilities` (else None)."""
    rows = _as_fitted(model, frame)
    predictions = np.asarray(model.predict(rows))
    binary = len(getattr(model, "classes_", [])) == 2
    if hasattr(model, "predict_proba") and (probabilities or binary):
        return predictions, np.asarray(model.predict_proba(rows))
    return predictions, None


def _as_fitted(model: Any, frame: pd.DataFrame) -> Any:
    """A scikit-learn model fitted on an array (it knows n_features_in_ but no
    feature_names_in_) is asked with an array, as it was fitted."""
    on_array = hasattr(model, "n_features_in_") and not hasattr(model, "feature_names_in_")
    return frame.to_numpy() if on_array else frame


def model_output(model: Any, rows: Any, *, labels_as_text: bool = True) -> Any:
    """The positive-class probability (binary), the class (multiclass) or the prediction;
    a classifier's classes as text, so they are profiled and compared as categories
    (`labels_as_text=False`: as numbers, as versions registered before were profiled)."""
    method = getattr(model, "predict_proba", None) or getattr(model, "predict", None)
    if method is None:
        return None
    try:
        output = np.asarray(method(rows))
    except Exception as exc:
        raise UsageError(
            f"the model cannot predict on the given X ({type(exc).__name__}: {exc}); "
            "pass the data it was trained on."
        ) from exc
    if output.ndim == 2 and output.shape[1] == 2:
        return output[:, 1]
    if not labels_as_text:
        return output.argmax(axis=1) if output.ndim == 2 else output
    classes = getattr(model, "classes_", None)
    if output.ndim == 2:
        found = output.argmax(axis=1)
        named = classes is not None and len(classes) == output.shape[1]
        labels = np.asarray(classes)[found] if named else found
        return labels.astype(str)
    return output.astype(str) if classes is not None else output


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
