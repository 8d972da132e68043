"""A feature's reference and current data as shares of their rows, bin by bin.

Numbers are counted in the bins of the reference profile, the ones PSI is computed in
(quantile edges, a bin of its own for a dominant value, open ends; see
profiling/binning.py), and the reference side is the profile's own count of every
reference row, so a bar reads as the drift statistic saw it (a bin empty on both sides,
such as the open one below a minimum that is a value of its own, is left out).
Categories are the reference's listed ones and the current values it never had
(`unseen`), the `SHOWN` largest on either side each a bar of their own and the rest
folded into `other`. Missing values are a bar of their own when either side has any, and
so are a number's infinite ones (+inf or -inf, in no bin), so each side's shares add up to 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from jupyter_mlops.profiling import sketch
from jupyter_mlops.profiling.binning import Binner
from jupyter_mlops.profiling.profile import OTHER, infinite_count

SHOWN = 20  # categories with a bar of their own; the rest share `other`
VALUES, CATEGORY, REST, MISSING, INFINITE = "values", "category", "other", "missing", "infinite"


@dataclass(frozen=True)
class Bin:
    """One bar: its label, each side's share of its rows and their counts. A bin of
    numbers holds `low` <= x < `high` (None: open); `part` says what it holds: values,
    a category, the other categories, missing or infinite values; `unseen`: a category the
    reference never had."""

    label: str
    reference: float
    current: float
    reference_rows: int
    current_rows: int
    part: str = VALUES
    low: float | None = None
    high: float | None = None
    unseen: bool = False

    @property
    def change(self) -> float:
        """The current share less the reference's."""
        return self.current - self.reference


def numeric_bins(entry: dict[str, Any], values: np.ndarray) -> list[Bin]:
    """The bins of a numeric (or datetime, in epoch seconds) feature's profile that either
    side has values in, with the reference's counts and those of `values` (NaN: missing;
    +inf or -inf: infinite)."""
    stats = entry["stats"]
    edges = [float(edge) for edge in stats.get("edges", [])]
    reference = np.asarray(stats.get("counts", [stats.get("present", 0)]), dtype="int64")
    counted = Binner(edges).count(values)
    ref_rows, rows = int(stats.get("count", 0)), counted.rows
    lows, highs = [-np.inf, *edges], [*edges, np.inf]
    labels = _ranges(lows, highs, datetime=entry["kind"] == "datetime")
    bins = [
        Bin(label, _share(ref, ref_rows), _share(cur, rows), int(ref), int(cur), VALUES, low, high)
        for label, ref, cur, low, high in zip(
            labels, reference, counted.counts, lows, highs, strict=True
        )
    ]
    held = [b for b in bins if b.reference_rows or b.current_rows] or bins
    infinite = _part(INFINITE, infinite_count(stats), ref_rows, counted.infinite, rows)
    return (
        held + _part(MISSING, int(stats.get("nulls", 0)), ref_rows, counted.nulls, rows) + infinite
    )


def category_bins(
    entry: dict[str, Any], counts: dict[str, int], nulls: int, *, shown: int = SHOWN
) -> list[Bin]:
    """The categories of the reference profile and of the current `counts` (by text), with
    `nulls` current values missing: the `shown` largest each a bin, the rest as `other`."""
    stats = entry["stats"]
    listed = {str(key): int(count) for key, count in stats["counts"].items()}
    ref_rows = int(stats.get("count", 0))
    rows = sum(counts.values()) + nulls
    rest = sorted(
        ((key, count) for key, count in counts.items() if key not in listed or key == OTHER),
        key=lambda item: -item[1],
    )
    found = sketch.unseen(stats, rest, rows - nulls, pooled=OTHER in listed)
    unseen = set(found.found if found else [])
    keys = [key for key in listed if key != OTHER] + [key for key, _ in rest if key in unseen]
    largest = {key: max(_share(listed.get(key, 0), ref_rows), _share(counts.get(key, 0), rows))
               for key in keys}  # fmt: skip
    ranked = sorted(keys, key=lambda key: -largest[key])
    kept = set(ranked[:shown])
    bins = [
        Bin(key, _share(listed.get(key, 0), ref_rows), _share(counts.get(key, 0), rows),
            listed.get(key, 0), counts.get(key, 0), CATEGORY, unseen=key in unseen)
        for key in keys
        if key in kept
    ]  # fmt: skip
    ref_other = sum(listed.values()) - sum(b.reference_rows for b in bins)
    cur_other = rows - nulls - sum(b.current_rows for b in bins)
    if ref_other or cur_other:
        other = Bin(REST, _share(ref_other, ref_rows), _share(cur_other, rows), ref_other,
                    cur_other, REST)  # fmt: skip
        bins.append(other)
    return bins + _part(MISSING, int(stats.get("nulls", 0)), ref_rows, nulls, rows)


def _part(part: str, ref_hits: int, ref_rows: int, hits: int, rows: int) -> list[Bin]:
    """A bar of the rows that are `part` (missing, infinite), when either side has any."""
    if not ref_hits and not hits:
        return []
    return [Bin(part, _share(ref_hits, ref_rows), _share(hits, rows), ref_hits, hits, part)]


def _share(count: Any, rows: int) -> float:
    return float(count) / rows if rows else 0.0


def _ranges(lows: list[float], highs: list[float], *, datetime: bool) -> list[str]:
    """Each bin as a reader names it: `< 3.2`, `3.2 to 4.7`, `= 0` (a value's own bin),
    `over 0 to 4.7` (the bin after it), `>= 9.1`; with as many digits as it takes to tell
    the edges apart."""
    edges = highs[:-1]
    if not edges:
        return ["all values"]
    # the edge just past a value with a bin of its own is named by that value
    after = {np.nextafter(edge, np.inf): edge for edge in edges}
    named = _names([edge for edge in edges if edge not in after], datetime=datetime)
    labels = []
    for low, high in zip(lows, highs, strict=True):
        if high == np.nextafter(low, np.inf):
            labels.append(f"= {named[low]}")
            continue
        upper = f"to {named[high]}" if high != np.inf else ""
        if low == -np.inf:
            labels.append(f"< {named[high]}")
        elif low in after:
            labels.append(f"over {named[after[low]]} {upper}".strip())
        else:
            labels.append(f"{named[low]} {upper}".strip() if upper else f">= {named[low]}")
    return labels


def _names(edges: list[float], *, datetime: bool) -> dict[float, str]:
    if datetime:
        times = [pd.Timestamp(edge, unit="s") for edge in edges]
        daily = all(moment == moment.normalize() for moment in times)
        pattern = "%Y-%m-%d" if daily else "%Y-%m-%d %H:%M:%S"
        return {edge: f"{moment:{pattern}}" for edge, moment in zip(edges, times, strict=True)}
    for digits in range(3, 17):
        names = {edge: f"{edge:.{digits}g}" for edge in edges}
        if len(set(names.values())) == len(names):
            return names
    return {edge: repr(edge) for edge in edges}
