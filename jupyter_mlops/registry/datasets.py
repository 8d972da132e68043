"""What registration records about the training data: fingerprint and schema.

The fingerprint hashes every row (not a sample) together with the column names
and dtypes, so two data sets share it only when their content is the same.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from typing import Any

import numpy as np
import pandas as pd

from jupyter_mlops.errors import InvalidArgumentError

MAX_CATEGORIES = 50


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


def fingerprint(features: pd.DataFrame, target: pd.DataFrame | None = None) -> str:
    """sha256 over the names, dtypes and every row of the features (and target)."""
    digest = hashlib.sha256()
    for frame in (features, target):
        if frame is None:
            continue
        header = "|".join(f"{column}:{dtype}" for column, dtype in frame.dtypes.items())
        digest.update(header.encode())
        rows = pd.util.hash_pandas_object(frame, index=False).to_numpy()
        digest.update(rows.tobytes())
    return digest.hexdigest()


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
