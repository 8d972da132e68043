"""Reference profiles: what drift detection later compares new data against.

Per numeric feature: quantile bin edges (a bin of its own for a dominant value, see
binning.py) with the reference counts in each bin, moments, median and range of its
finite values, and the counts of missing (`nulls`) and of infinite values (`infinite`,
+inf or -inf: in no bin, and no part of the moments). A datetime feature is profiled the
same way on epoch seconds (kind `datetime`).
Per categorical feature: category frequencies (the most common, the rest pooled), a
bounded sketch of its other distinct values and the unseen share to expect (see
sketch.py). Every entry records the type its values had (`type`), so a later type
change is told apart from drift. Profiles written before these fields still load:
each reader falls back to what the older entry has.
Plus a bounded random sample of rows, kept as Parquet, for tests that need raw values
(Kolmogorov-Smirnov, domain classifiers).
"""

from __future__ import annotations

import io
import json
from typing import Any

import numpy as np
import pandas as pd

from jupyter_mlops.profiling.binning import quantile_edges
from jupyter_mlops.profiling.dtypes import value_type
from jupyter_mlops.profiling.instants import epoch_seconds, is_datetime
from jupyter_mlops.profiling.sketch import distinct_values

BINS = 20
TOP_CATEGORIES = 100
SAMPLE_ROWS = 10_000
OTHER = "__other__"


def profile_frame(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """One profile entry per column: {feature, kind, stats} with stats JSON-ready."""
    return [_profile_column(str(name), series) for name, series in frame.items()]


def _profile_column(name: str, series: pd.Series) -> dict[str, Any]:
    nulls = int(series.isna().sum())
    if is_datetime(series.dtype):
        kind, stats = "datetime", _numeric(epoch_seconds(series), nulls)
    elif pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        values = series.to_numpy(dtype="float64", na_value=np.nan)
        kind, stats = "numeric", _numeric(values, nulls)
    else:
        kind, stats = "categorical", _categorical(series, nulls)
    return {"feature": name, "kind": kind, "stats": {**stats, "type": value_type(series)}}


def _numeric(values: np.ndarray, nulls: int) -> dict[str, Any]:
    count = len(values)
    infinite = int(np.isinf(values).sum())
    values = values[np.isfinite(values)]
    stats: dict[str, Any] = {
        "count": count,
        "nulls": nulls,
        "present": len(values),
        "infinite": infinite,
    }
    if not len(values):
        return stats
    ordered = np.sort(values)
    edges = quantile_edges(ordered, BINS)
    # bin i holds edges[i-1] <= value < edges[i]; the ends are open
    ends = np.searchsorted(ordered, edges, side="left")
    counts = np.diff(np.concatenate(([0], ends, [len(ordered)])))
    mean, std = _moments(ordered)
    stats.update(
        mean=mean,
        std=std,
        median=float(np.median(ordered)),
        min=float(ordered[0]),
        max=float(ordered[-1]),
        edges=edges.tolist(),
        counts=counts.tolist(),
    )
    return stats


def _moments(ordered: np.ndarray) -> tuple[float, float]:
    """The mean and standard deviation of sorted finite values, worked out on the values
    scaled to at most 1, so values near the float's ends (1e308) neither overflow to inf nor
    (subnormals) underflow to 0."""
    scale = float(max(abs(ordered[0]), abs(ordered[-1]))) or 1.0
    scaled = ordered / scale
    return float(scaled.mean()) * scale, float(scaled.std()) * scale


def _categorical(series: pd.Series, nulls: int) -> dict[str, Any]:
    frequencies = series.dropna().astype(str).value_counts()
    top = frequencies.iloc[:TOP_CATEGORIES]
    counts = {str(key): int(value) for key, value in top.items()}
    rest = int(frequencies.iloc[TOP_CATEGORIES:].sum())
    if rest:
        counts[OTHER] = rest
    kept = distinct_values(frequencies, top=TOP_CATEGORIES)
    return {"count": len(series), "nulls": nulls, "counts": counts, **kept}


def infinite_count(stats: dict[str, Any]) -> int:
    """A numeric entry's count of +inf and -inf values; an entry written before they were
    counted has them as the rows neither missing nor `present` (finite)."""
    if "infinite" in stats:
        return int(stats["infinite"])
    if "present" not in stats:
        return 0
    return max(int(stats.get("count", 0)) - int(stats.get("nulls", 0)) - int(stats["present"]), 0)


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
