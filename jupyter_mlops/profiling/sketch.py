"""Which values of a text column the reference never had, in bounded memory.

A profile lists the 100 most common values of a text column with their counts. The
rest are kept as a bottom-k sketch: the 64-bit hashes (pandas' SipHash of the value's
text, the same in every process) of the reference's other distinct values, at most
4,096 of them, the smallest. When the reference has at most 4,096 such values the
sketch holds them all and the unseen share is exact. Otherwise a current value is
looked up only when its hash is at most the largest kept one (a uniform sample of
values), and the unseen share of the values outside the top 100 is estimated from
those. A value the reference lacks is taken as seen only when its hash equals a kept
one: a false-positive rate of at most 4,096 / 2^64 (about 2e-16) per value.

What share to expect: the share of reference rows whose value occurs once in the
reference (Good-Turing), the reference's own held-out unseen share: leave any one
row out, and it is unseen by the rest exactly when its value is a singleton.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

KEPT = 4096


def distinct_values(frequencies: pd.Series, *, top: int) -> dict[str, Any]:
    """What a profile keeps of a column's distinct values beyond the `top` listed ones
    (`frequencies`: counts by the value's text, most common first)."""
    present = int(frequencies.sum())
    found: dict[str, Any] = {
        "expected_unseen": int((frequencies == 1).sum()) / present if present else 0.0
    }
    rest = frequencies.index[top:]
    if len(rest):
        hashes = np.sort(_hashes(rest))
        found["distinct"] = {
            "hashes": base64.b64encode(hashes[:KEPT].astype("<u8").tobytes()).decode("ascii"),
            "complete": len(hashes) <= KEPT,
            "values": len(hashes),
        }
    return found


def expected_unseen(stats: dict[str, Any], *, pooled: bool) -> float | None:
    """The unseen share a window like the reference shows (None: the profile cannot say)."""
    if "expected_unseen" in stats:
        return float(stats["expected_unseen"])
    if pooled:  # a profile from before the sketch, with its rare values pooled
        return None
    counts = [int(c) for c in stats.get("counts", {}).values()]
    return sum(c == 1 for c in counts) / sum(counts) if sum(counts) else 0.0


@dataclass(frozen=True)
class Unseen:
    """Current values the reference never had: their share of the values present, and
    those found (all of them when `exact`, else those among the values looked up)."""

    share: float
    found: list[str]
    exact: bool


def unseen(
    stats: dict[str, Any], rest: list[tuple[str, int]], present: int, *, pooled: bool
) -> Unseen | None:
    """What of `rest` (the current values and counts outside the reference's listed ones,
    most common first) the reference never had, of `present` values in all; None when an
    older profile cannot tell."""
    if not present:
        return None
    keys = [key for key, _ in rest]
    counts = np.array([count for _, count in rest], dtype="int64")
    if not pooled:  # the reference listed every value it had
        return Unseen(float(counts.sum()) / present, keys, exact=True)
    sketch = stats.get("distinct")
    if sketch is None:
        return None
    kept = np.frombuffer(base64.b64decode(sketch["hashes"]), dtype="<u8")
    hashes = _hashes(pd.Index(keys, dtype=object))
    looked = np.ones(len(keys), dtype=bool) if sketch["complete"] else hashes <= kept[-1]
    new = looked & ~np.isin(hashes, kept)
    sampled = int(counts[looked].sum())
    rate = float(counts[new].sum()) / sampled if sampled else 0.0
    found = [key for key, new_value in zip(keys, new, strict=True) if new_value]
    return Unseen(float(counts.sum()) * rate / present, found, exact=bool(sketch["complete"]))


def _hashes(values: pd.Index) -> np.ndarray:
    return pd.util.hash_array(np.asarray(values, dtype=object), categorize=False)
