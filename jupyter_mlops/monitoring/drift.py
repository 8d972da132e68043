"""Per-feature drift of current data against a version's reference profile.

Population stability index and Jensen-Shannon distance are computed on every
current value, in the reference's own bins (quantile bins for numbers, categories
for the rest). Kolmogorov-Smirnov and Wasserstein compare raw values: the
reference's stored sample (up to 10,000 training rows) against up to 100,000
current rows drawn uniformly (all of them in smaller windows); they are computed
where they decide a verdict, or for every feature when asked (`exhaustive`).
A datetime feature is measured as a number (epoch seconds), its shift told in time.

Categories are compared in cells the chi-squared rule allows (at least 5 rows expected):
a category with fewer than 5 reference rows is pooled with the other rare ones on both
sides, at comparison time, so profiles written before this rule benefit too. An ID
column, nearly all singletons, is then one cell, and only its unseen share can flag it;
otherwise the singletons the reference happened to list would be cells the current data
almost never hits, a false alarm that grows with the window.

Every text feature also gets the share of its current values the reference never had.
It is flagged (a row of test `unseen`) when that share is at least 0.1 above the share
the reference itself leads one to expect (see profiling/sketch.py) and the rise is significant
(a two-proportion z-test, p < 0.01), as a rise in missing values is.

Infinite values (+inf or -inf) of a number are in no bin and no raw-value test, on either
side: their share of the rows is a row of its own (test `infinite`), judged as the missing
share is, so a window where a feature turned infinite is flagged at any size.
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from jupyter_mlops.jsonable import fields_of, jsonable
from jupyter_mlops.monitoring import statistics as stats
from jupyter_mlops.monitoring.choice import DEFAULT_THRESHOLDS, Choice, choose
from jupyter_mlops.monitoring.columns import Columns
from jupyter_mlops.profiling import sketch
from jupyter_mlops.profiling.binning import Binner
from jupyter_mlops.profiling.instants import duration, epoch_seconds, is_datetime
from jupyter_mlops.profiling.profile import OTHER, infinite_count
from jupyter_mlops.registry.display import counted

EXACT_ROWS = 100_000
MISSING_THRESHOLD = 0.05
MISSING_ALPHA = 0.01
UNSEEN_LISTED = 10
UNSEEN_MARGIN = 0.1
UNSEEN_ALPHA = 0.01
RARE = 5  # fewer reference rows make no category cell: chi-squared's expected-count rule
NUMBERS = ("numeric", "datetime")  # kinds measured in bins of numbers


@dataclass
class FeatureDrift:
    """One feature's verdict, with every statistic computed for it."""

    feature: str
    kind: str
    test: str
    statistic: float | None
    p_value: float | None
    threshold: float
    drifted: bool
    rows: int
    statistics: dict[str, tuple[float | None, float | None]] = field(default_factory=dict)
    missing_reference: float = 0.0
    missing_current: float = 0.0
    infinite_reference: float = 0.0  # share of rows +inf or -inf
    infinite_current: float = 0.0
    unseen: list[str] = field(default_factory=list)
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Its fields, each statistic as {"statistic": ..., "p_value": ...} (None: not
        computed, or no p-value to it)."""
        statistics = {
            name: {"statistic": value, "p_value": p_value}
            for name, (value, p_value) in self.statistics.items()
        }
        return fields_of(self) | {"statistics": jsonable(statistics)}

    @property
    def severity(self) -> float:
        """How far past (above 1) or short of (below 1) its threshold the feature is."""
        if self.statistic is None:
            return 0.0
        if self.test in ("ks", "chi2", "missing", "infinite") and self.p_value is not None:
            return self.threshold / max(self.p_value, 1e-300)
        return abs(self.statistic) / self.threshold if self.threshold else math.inf


@dataclass
class _Measured:
    """What the counting pass found for one feature, before the verdict."""

    entry: dict[str, Any]
    choice: Choice
    rows: int
    nulls: int
    reference: np.ndarray | None = None  # bin or category counts, aligned with `current`
    current: np.ndarray | None = None
    unseen: list[str] = field(default_factory=list)
    unseen_share: float | None = None  # of the current values, those the reference never had
    exact: bool = True  # every unseen value is in `unseen` (not only those looked up)
    median: float | None = None  # of a datetime's current values, in epoch seconds
    note: str = ""
    infinite: int = 0  # +inf or -inf values (numbers only), in no bin


def measure(
    entries: list[dict[str, Any]],
    columns: Columns,
    *,
    reference_sample: pd.DataFrame | None,
    overrides: dict[str, dict[str, Any]] | None = None,
    exhaustive: bool = False,
) -> list[FeatureDrift]:
    """Drift of each profiled feature in `columns`, worst first."""
    rows = columns.rows
    chosen = {e["feature"]: choose(e["feature"], e["kind"], rows, overrides) for e in entries}
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        measured = list(
            pool.map(lambda entry: _count(entry, columns, chosen[entry["feature"]]), entries)
        )
    needs_values = [
        m.entry["feature"]
        for m in measured
        if m.entry["kind"] in NUMBERS and (exhaustive or m.choice.test in ("ks", "wasserstein"))
    ]
    current_sample = columns.sample(EXACT_ROWS, seed=0) if needs_values else None
    results = [_judge(m, reference_sample, current_sample, exhaustive=exhaustive) for m in measured]
    _adjust_p_values(results)
    results += [r for m in measured if (r := _missing(m)) is not None]
    results += [r for m in measured if (r := _infinite(m)) is not None]
    results += [r for m in measured if (r := _unseen(m)) is not None]
    return worst_first(results)


def worst_first(results: list[FeatureDrift]) -> list[FeatureDrift]:
    """Drifted features first, each group by how far past its threshold."""
    return sorted(results, key=lambda r: (not r.drifted, -r.severity, r.feature))


def _count(entry: dict[str, Any], columns: Columns, choice: Choice) -> _Measured:
    name, reference = entry["feature"], entry["stats"]
    if entry["kind"] in NUMBERS:
        values = columns.numeric(name)
        counted = Binner(reference.get("edges", [])).count(values)
        found = _Measured(entry, choice, counted.rows, counted.nulls, infinite=counted.infinite)
        if "edges" not in reference:
            return found
        found.reference, found.current = np.asarray(reference["counts"]), counted.counts
        if entry["kind"] == "datetime" and counted.nulls < counted.rows:
            found.median = float(np.nanmedian(values))
        return found
    counts, nulls = columns.categories(name)
    return _aligned(entry, choice, counts, nulls, rows=columns.rows)


def _aligned(
    entry: dict[str, Any], choice: Choice, counts: dict[str, int], nulls: int, *, rows: int
) -> _Measured:
    """Reference and current category counts on the same cells: a category is a cell of its
    own when the reference has RARE rows of it, or when the reference listed every value it had,
    never had this one and the current data has RARE rows of it; the rest share OTHER."""
    listed: dict[str, int] = dict(entry["stats"]["counts"])
    pooled = OTHER in listed  # the reference pooled its rare categories
    reference = {key: count for key, count in listed.items() if key != OTHER and count >= RARE}
    folded = sum(listed.values()) - sum(reference.values())
    if folded:
        reference[OTHER] = folded
    current = dict.fromkeys(reference, 0)
    rest = []
    for key, count in sorted(counts.items(), key=lambda item: -item[1]):
        if key in listed and key != OTHER:
            cell = key if key in reference else OTHER
        else:
            rest.append((key, count))
            cell = key if not pooled and count >= RARE else OTHER
        current[cell] = current.get(cell, 0) + count
    keys = list(current)
    found = sketch.unseen(entry["stats"], rest, sum(counts.values()), pooled=pooled)
    measured = _Measured(
        entry,
        choice,
        rows,
        nulls,
        np.array([reference.get(key, 0) for key in keys]),
        np.array([current[key] for key in keys]),
        found.found if found else [],
        found.share if found else None,
        exact=found.exact if found else True,
    )
    if folded and len(current) == 1:  # OTHER alone: nothing to compare but the unseen share
        measured.note = (
            f"every reference category has fewer than {RARE} rows, so only the share of "
            "unseen values can show drift"
        )
    return measured


def _judge(
    m: _Measured,
    reference_sample: pd.DataFrame | None,
    current_sample: pd.DataFrame | None,
    *,
    exhaustive: bool,
) -> FeatureDrift:
    name, kind = m.entry["feature"], m.entry["kind"]
    result = FeatureDrift(
        feature=name,
        kind=kind,
        test=m.choice.test,
        statistic=None,
        p_value=None,
        threshold=m.choice.threshold,
        drifted=False,
        rows=m.rows - m.nulls - m.infinite,
        unseen=m.unseen[:UNSEEN_LISTED],
    )
    if m.reference is None or m.current is None or not m.reference.sum():
        result.note = "the reference has no values of this feature"
        if kind in NUMBERS and infinite_count(m.entry["stats"]):
            result.note = "the reference has no finite values of this feature"
        return result
    if not m.current.sum():
        every = "missing or infinite" if m.infinite else "missing"
        result.note = f"no values in the current data (all {every})"
        return result
    found = result.statistics
    found["psi"] = (stats.psi(m.reference, m.current), None)
    found["js"] = (stats.jensen_shannon(m.reference, m.current), None)
    if kind == "categorical":
        found["chi2"] = stats.chi_squared(m.reference, m.current)
        result.note = _category_note(m)
        if m.unseen_share is not None:
            found["unseen"] = (m.unseen_share, None)
    elif exhaustive or m.choice.test in ("ks", "wasserstein"):
        _raw_value_tests(result, m.entry["stats"], reference_sample, current_sample)
    if m.choice.test not in found:
        result.note = f"{m.choice.test} needs the reference sample, which this version lacks"
        result.test, result.threshold = "psi", DEFAULT_THRESHOLDS["psi"]
    result.statistic, result.p_value = found[result.test]
    if result.p_value is None and result.statistic is not None:
        result.drifted = bool(result.statistic >= result.threshold)
    if m.median is not None and "median" in m.entry["stats"]:
        delta = m.median - m.entry["stats"]["median"]
        moved = f"median moved {duration(delta)}" if delta else "median unchanged"
        result.note = f"{moved}; {result.note}" if result.note else moved
    return result


def _category_note(m: _Measured) -> str:
    notes = [m.note] if m.note else []
    if m.unseen:
        unseen = counted(len(m.unseen), "category", "categories")
        notes.append(f"{'' if m.exact else 'at least '}{unseen} unseen in the reference")
    return "; ".join(notes)


def _raw_value_tests(
    result: FeatureDrift,
    reference: dict[str, Any],
    reference_sample: pd.DataFrame | None,
    current_sample: pd.DataFrame | None,
) -> None:
    if reference_sample is None or result.feature not in reference_sample or current_sample is None:
        return
    ref = _finite(reference_sample[result.feature])
    cur = _finite(current_sample[result.feature])
    if not len(ref) or not len(cur):
        return
    result.statistics["ks"] = stats.ks_two_sample(ref, cur)
    # both sides scaled to at most 1: the distance between values near the float's ends
    # (1e308) would overflow, and a spread of subnormals underflow, on the values as they are
    scale = float(max(np.abs(ref).max(), np.abs(cur).max())) or 1.0
    distance = stats.wasserstein(ref / scale, cur / scale)
    spread = float(reference.get("std") or 0.0) / scale
    if not (math.isfinite(spread) and spread > 0):
        spread = float(np.std(ref / scale))
    normalised = distance / spread if spread > 0 else (0.0 if distance == 0 else math.inf)
    result.statistics["wasserstein"] = (normalised, None)


def _finite(series: pd.Series) -> np.ndarray:
    if is_datetime(series.dtype):
        values = epoch_seconds(series)
    else:
        values = series.to_numpy(dtype="float64", na_value=np.nan)
    return values[np.isfinite(values)]


def _adjust_p_values(results: list[FeatureDrift]) -> None:
    """Benjamini-Hochberg across the features whose verdict rests on a p-value."""
    tested = [r for r in results if r.p_value is not None]
    for result, adjusted in zip(
        tested, stats.benjamini_hochberg([r.p_value or 0.0 for r in tested]), strict=True
    ):
        result.p_value = adjusted
        result.drifted = adjusted < result.threshold


def _missing(m: _Measured) -> FeatureDrift | None:
    """A change in the share of missing values, when either side has any."""
    found = _share_change(m, "missing", int(m.entry["stats"].get("nulls", 0)), m.nulls)
    if found is None:
        return None
    result, shares = found
    result.missing_reference, result.missing_current = shares
    return result


def _infinite(m: _Measured) -> FeatureDrift | None:
    """A change in the share of +inf and -inf values of a number, when either side has any."""
    if m.entry["kind"] not in NUMBERS:
        return None
    found = _share_change(m, "infinite", infinite_count(m.entry["stats"]), m.infinite)
    if found is None:
        return None
    result, shares = found
    result.infinite_reference, result.infinite_current = shares
    return result


def _share_change(
    m: _Measured, test: str, ref_hits: int, hits: int
) -> tuple[FeatureDrift, tuple[float, float]] | None:
    """The change in the share of rows that are `test` (missing, infinite), when either side
    has any, flagged when it moves MISSING_THRESHOLD and significantly (p < MISSING_ALPHA);
    with the reference's share and the current one."""
    ref_rows = int(m.entry["stats"].get("count", 0))
    if not ref_hits and not hits:
        return None
    ref_rate = ref_hits / ref_rows if ref_rows else 0.0
    cur_rate = hits / m.rows if m.rows else 0.0
    p_value = stats.two_proportions(ref_hits, ref_rows, hits, m.rows)
    change = cur_rate - ref_rate
    result = FeatureDrift(
        feature=m.entry["feature"],
        kind=m.entry["kind"],
        test=test,
        statistic=change,
        p_value=p_value,
        threshold=MISSING_THRESHOLD,
        drifted=abs(change) >= MISSING_THRESHOLD and p_value < MISSING_ALPHA,
        rows=m.rows,
        statistics={test: (change, p_value)},
        note=f"{test} {ref_rate:.1%} in the reference, {cur_rate:.1%} now",
    )
    return result, (ref_rate, cur_rate)


def _unseen(m: _Measured) -> FeatureDrift | None:
    """The share of current values never seen in the reference, when it has any."""
    if m.entry["kind"] != "categorical" or not m.unseen_share:
        return None
    pooled = OTHER in m.entry["stats"]["counts"]
    expected = sketch.expected_unseen(m.entry["stats"], pooled=pooled)
    if expected is None:
        return None
    present = m.rows - m.nulls
    reference = int(m.entry["stats"].get("count", 0)) - int(m.entry["stats"].get("nulls", 0))
    p_value = stats.two_proportions(
        round(expected * reference), reference, round(m.unseen_share * present), present
    )
    threshold = expected + UNSEEN_MARGIN
    return FeatureDrift(
        feature=m.entry["feature"],
        kind=m.entry["kind"],
        test="unseen",
        statistic=m.unseen_share,
        p_value=p_value,
        threshold=threshold,
        drifted=m.unseen_share >= threshold and p_value < UNSEEN_ALPHA,
        rows=present,
        statistics={"unseen": (m.unseen_share, p_value)},
        unseen=m.unseen[:UNSEEN_LISTED],
        note=f"{m.unseen_share:.1%} of values never seen in the reference ({expected:.1%} "
        "expected from its own rare values)",
    )
