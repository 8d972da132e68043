"""What registration records about the training data: fingerprint and schema.

The fingerprint hashes every row (not a sample) together with the features' names
and dtypes and the target's dtype (not its name), so two data sets share it only when
their content is the same, however their labels are called.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from jupyter_mlops.errors import InvalidArgumentError

MAX_CATEGORIES = 50
# the names no feature may take: the prediction log's own columns (monitoring/logs.py, which
# refuses them on every batch logged) and those a reference sample keeps beside the features
RESERVED = frozenset(
    {
        "__request_id__",
        "__timestamp__",
        "__version__",
        "__prediction__",
        "__score__",
        "__label__",
        "__latency_ms__",
        "__target__",
        "__fitted_output__",
    }
)
# what pandas infers for an object column of plain values, which need no look at each value
PLAIN = frozenset({"string", "empty", "boolean", "integer", "floating", "mixed-integer-float",
                   "decimal", "datetime", "date", "time", "timedelta", "bytes"})  # fmt: skip
TARGET = "y"  # the name a target of one column is fingerprinted under, whatever it is called


def as_frame(data: Any, *, name: str = "X") -> pd.DataFrame:
    """`data` as a DataFrame: DataFrames pass through, arrays get columns x0, x1, ..."""
    if isinstance(data, pd.DataFrame):
        counts = Counter(str(column) for column in data.columns)
        repeated = sorted(column for column, count in counts.items() if count > 1)
        if repeated:
            raise InvalidArgumentError(
                f"{name} has repeated column names ({', '.join(repeated)}); "
                "give every column a distinct name."
            )
        return data
    if isinstance(data, pd.Series):
        return data.to_frame(name=data.name if data.name is not None else name)
    try:
        array = np.asarray(data)
    except Exception:
        array = np.asarray([])
    if array.ndim == 1 and array.size:
        return pd.DataFrame({name: array})
    if array.ndim == 2 and array.size:
        return pd.DataFrame(array, columns=[f"x{i}" for i in range(array.shape[1])])
    raise InvalidArgumentError(
        f"{name} is a {type(data).__name__}, not tabular data; "
        "pass a pandas DataFrame, Series or a 1-D/2-D array."
    )


def check_columns(frame: pd.DataFrame, *, name: str) -> None:
    """Refuse, before anything is stored, what monitoring would refuse later or cannot tell:
    a feature named as a column the log or the reference keeps for itself (every later
    `log_predictions` would refuse it), and one whose cells hold a list, a dict, a set or an
    array (no value of a column, and not hashable, so no fingerprint or profile tells it)."""
    clash = [str(column) for column in frame.columns if str(column) in RESERVED]
    if clash:
        one = len(clash) == 1
        named = f"a column named {clash[0]!r}" if one else f"columns named {', '.join(clash)}"
        raise InvalidArgumentError(
            f"{name} has {named}, which the prediction log keeps for its own columns, so no "
            f"prediction could be logged; rename {'it' if one else 'them'}."
        )
    for column in frame.columns:
        series = frame[column]
        if series.dtype != object or pd.api.types.infer_dtype(series, skipna=True) in PLAIN:
            continue
        for row, value in enumerate(series.tolist()):
            if isinstance(value, list | dict | set | np.ndarray):
                kind = "NumPy array" if isinstance(value, np.ndarray) else type(value).__name__
                raise InvalidArgumentError(
                    f"{name} column {str(column)!r} holds a {kind} in row "
                    f"{row}, not one value; give one number, text, boolean or time a cell "
                    "(a list's items as columns of their own)."
                )


def fingerprint(features: pd.DataFrame, target: pd.DataFrame | None = None) -> str:
    """sha256 over the names, dtypes and every row of the features, then the dtype and every
    row of the target: a target of one column is hashed as `y` whatever it is called
    (`churned` or `tenure`, the same labels are the same data)."""
    one = target is not None and target.shape[1] == 1
    return _digests(features, target, [TARGET] if one else [None])[0]


def fingerprints(
    features: pd.DataFrame, target: pd.DataFrame | None = None, *, names: Iterable[str] = ()
) -> set[str]:
    """Every fingerprint a version trained on these rows may hold: today's, and those of a
    version registered when a target of one column was hashed under its own name: the
    target's name now, or one of `names` (a label computed from a feature, `X.tenure < 20`,
    keeps the feature's name)."""
    found = {fingerprint(features, target)}
    if target is not None and target.shape[1] == 1:
        named = dict.fromkeys([str(target.columns[0]), *map(str, names)])
        found.update(_digests(features, target, list(named)))
    return found


def _digests(
    features: pd.DataFrame, target: pd.DataFrame | None, names: list[str | None]
) -> list[str]:
    """The fingerprint of the features and target, once per name the target is hashed
    under (None: its own); every row is hashed once."""
    digest = hashlib.sha256()
    _add(digest, features, _header(features))
    if target is None:
        return [digest.hexdigest()]
    rows = pd.util.hash_pandas_object(target, index=False).to_numpy().tobytes()
    found = []
    for name in names:
        each = digest.copy()
        header = _header(target) if name is None else f"{name}:{target.dtypes.iloc[0]}"
        each.update(header.encode())
        each.update(rows)
        found.append(each.hexdigest())
    return found


def _header(frame: pd.DataFrame) -> str:
    return "|".join(f"{column}:{dtype}" for column, dtype in frame.dtypes.items())


def _add(digest: Any, frame: pd.DataFrame, header: str) -> None:
    digest.update(header.encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())


def describe_schema(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Per column: name, dtype, null count, and min/max or the categories seen."""
    columns = []
    for name, series in frame.items():
        entry: dict[str, Any] = {
            "name": str(name),
            "dtype": str(series.dtype),
            "nulls": int(series.isna().sum()),
        }
        if pd.api.types.is_bool_dtype(series):
            entry["categories"] = sorted(str(v) for v in series.dropna().unique())
        elif pd.api.types.is_numeric_dtype(series):
            present = series.dropna()
            if len(present):
                entry["min"] = _plain(present.min())
                entry["max"] = _plain(present.max())
        else:
            values = series.dropna().astype(str).unique()
            if len(values) <= MAX_CATEGORIES:
                entry["categories"] = sorted(values.tolist())
            else:
                entry["distinct"] = len(values)
        columns.append(entry)
    return columns


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value
