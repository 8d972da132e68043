"""Reference profiles: what drift detection later compares new data against.

Per numeric feature: quantile bin edges with the reference counts in each bin,
moments, range and null count. Per categorical feature: category frequencies
(the most common, the rest pooled). Plus a bounded random sample of rows, kept as
Parquet, for tests that need raw values (Kolmogorov-Smirnov, domain classifiers).
"""

from __future__ import annotations

import io
import json
from typing import Any

import numpy as np
import pandas as pd

BINS = 20
TOP_CATEGORIES = 100
SAMPLE_ROWS = 10_000
OTHER = "__other__"


def profile_frame(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """One profile entry per column: {feature, kind, stats} with stats JSON-ready."""
    return [_profile_column(str(name), series) for name, series in frame.items()]


def _profile_column(name: str, series: pd.Series) -> dict[str, Any]:
    nulls = int(series.isna().sum())
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        return {"feature": name, "kind": "numeric", "stats": _numeric(series, nulls)}
    return {"feature": name, "kind": "categorical", "stats": _categorical(series, nulls)}


def _numeric(series: pd.Series, nulls: int) -> dict[str, Any]:
    values = series.dropna().to_numpy(dtype="float64")
    values = values[np.isfinite(values)]
    stats: dict[str, Any] = {"count": len(series), "nulls": nulls, "present": len(values)}
    if not len(values):
        return stats
    ordered = np.sort(values)
    positions = (np.linspace(0, 1, BINS + 1)[1:-1] * (len(ordered) - 1)).round().astype(int)
    edges = np.unique(ordered[positions])
    # bin i holds edges[i-1] <= value < edges[i]; the ends are open
    ends = np.searchsorted(ordered, edges, side="left")
    counts = np.diff(np.concatenate(([0], ends, [len(ordered)])))
    stats.update(
        mean=float(ordered.mean()),
        std=float(ordered.std()),
        min=float(ordered[0]),
        max=float(ordered[-1]),
        edges=edges.tolist(),
        counts=counts.tolist(),
    )
    return stats


def _categorical(series: pd.Series, nulls: int) -> dict[str, Any]:
    frequencies = series.dropna().astype(str).value_counts()
    top = frequencies.iloc[:TOP_CATEGORIES]
    counts = {str(key): int(value) for key, value in top.items()}
    rest = int(frequencies.iloc[TOP_CATEGORIES:].sum())
    if rest:
        counts[OTHER] = rest
    return {"count": len(series), "nulls": nulls, "counts": counts}


def sample_positions(count: int, *, rows: int = SAMPLE_ROWS, seed: int = 0) -> np.ndarray:
    """Positions of a bounded uniform sample of `count` rows, in order (all when few)."""
    if count <= rows:
        return np.arange(count)
    return np.sort(np.random.default_rng(seed).choice(count, rows, replace=False))


def to_parquet(frame: pd.DataFrame) -> bytes:
    """The frame as Parquet bytes; dictionary encoding only where values repeat (not floats)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.rename_columns([str(name) for name in frame.columns])
    repeating = [f.name for f in table.schema if not pa.types.is_floating(f.type)]
    buffer = io.BytesIO()
    pq.write_table(table, buffer, use_dictionary=repeating or False)
    return buffer.getvalue()


def to_rows(profile: list[dict[str, Any]], *, model: str, version: int) -> pd.DataFrame:
    """The profile as rows of the `profiles` table."""
    return pd.DataFrame(
        {
            "model": model,
            "version": version,
            "position": range(len(profile)),
            "feature": [entry["feature"] for entry in profile],
            "kind": [entry["kind"] for entry in profile],
            "stats": [json.dumps(entry["stats"]) for entry in profile],
        }
    )
