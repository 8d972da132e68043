"""New data checked against what a version was registered with, before it is scored.

Errors are what scoring would refuse or get wrong: no rows, a column the version takes that
is missing, one it does not take, a column whose values cannot be read as the type it was
registered with (or as any type: Python objects) or that the files it was read from hold
as different types, and, when none of those is found, rows
the version's model refuses when it scores them (`datascoring.py`: an infinity, a missing
value its model cannot take). Warnings are what drift would show, each over a tolerance so
data like the reference passes: numbers outside the reference's range (datetimes are not:
time moves on), categories the reference never had beyond the share it leads one to
expect, and a larger share of missing values than the reference had.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from jupyter_mlops.automation.datacheck_records import ERROR, WARNING, DataCheck, Finding
from jupyter_mlops.automation.datascoring import scored
from jupyter_mlops.monitoring.columns import Columns
from jupyter_mlops.monitoring.conform import TypeChange, conform
from jupyter_mlops.profiling.dtypes import value_type
from jupyter_mlops.profiling.profile import OTHER
from jupyter_mlops.profiling.sketch import expected_unseen, unseen
from jupyter_mlops.registry.signature import input_names, mismatch

if TYPE_CHECKING:
    from jupyter_mlops.registry import Version

RANGE_TOLERANCE = 0.01  # share of a column's values outside the reference's range
UNSEEN_TOLERANCE = 0.01  # unseen share over what the reference leads one to expect
NULL_TOLERANCE = 0.02  # missing share over the reference's


def check_frame(
    frame: pd.DataFrame,
    *,
    version: Version,
    named: str,
    profile: list[dict[str, Any]],
    source: str,
    strict: bool = False,
    ignore: list[str] | None = None,
    load: Callable[[], Any] | None = None,
    mixed: Mapping[str, str] | None = None,
) -> DataCheck:
    """Every finding of `frame` against `version` and its reference `profile`; `load()`
    gives its model, to score the rows with when nothing else refuses them. `mixed`: the
    columns whose type differs from one of the files `frame` joins to another, with where
    each type is (`datafiles.mixed_types`)."""
    columns = Columns(frame, label=source)
    names = input_names(version.schema) or [e["feature"] for e in profile if _feature(e)]
    given = [name for name in columns.names if name not in set(ignore or [])]
    findings = [] if columns.rows else [Finding("", "rows", ERROR, "the data holds no rows")]
    findings += _columns(given, names, mixed or {})
    entries = [e for e in profile if _feature(e) and e["feature"] in given]
    entries = [e for e in entries if e["feature"] not in (mixed or {})]
    conformed, changes = conform(entries, Columns(columns.frame[given]), version.schema)
    refused = {change.feature for change in changes if not change.converted}
    findings += [_type(change) for change in changes]
    unreadable = _unreadable(conformed, [e for e in entries if e["feature"] not in refused])
    refused |= {finding.column for finding in unreadable}
    findings += unreadable
    if conformed.rows:
        for entry in entries:
            if entry["feature"] not in refused:
                findings += _values(conformed, entry)
    if load is not None and conformed.rows and not any(f.severity == ERROR for f in findings):
        findings += scored(conformed.frame[given], version=version, load=load)
    return DataCheck(
        ref=version.ref,
        named=named,
        source=source,
        rows=columns.rows,
        columns=len(columns.names),
        findings=findings,
        strict=strict,
        ignored=list(ignore or []),
    )


def _columns(given: list[str], names: list[str], mixed: Mapping[str, str]) -> list[Finding]:
    """The columns that are not the version's inputs, and those whose files differ in type."""
    missing, extra = mismatch(given, names)
    found = [Finding(n, "missing column", ERROR, "an input of the version") for n in missing]
    found += [
        Finding(n, "unexpected column", ERROR, "not an input of the version; drop it or ignore it")
        for n in extra
    ]
    found += [
        Finding(n, "type", ERROR, f"holds {mixed[n]}; give files whose {n} holds one type")
        for n in given
        if n in mixed and n not in extra
    ]
    return found


def _type(change: TypeChange) -> Finding:
    """A column that arrived as another type: an error unless every value reads as the
    registered type."""
    was = f"registered as {change.registered}, arrived as {change.arrived}"
    if change.converted:
        return Finding(change.feature, "type", WARNING, f"{was}; every value reads as one")
    return Finding(
        change.feature, "type", ERROR, f"{was}; not every value reads as {change.registered}"
    )


def _unreadable(columns: Columns, entries: list[dict[str, Any]]) -> list[Finding]:
    """Columns holding Python objects that read as no type at all: an error each."""
    found = []
    for entry in entries:
        series = columns.frame[entry["feature"]]
        if series.dtype != object or value_type(series) is not None:
            continue
        present = series.dropna()
        if len(present):
            kinds = sorted({type(value).__name__ for value in present.iloc[:1_000].tolist()})
            detail = f"holds {', '.join(kinds)} values, which read as no type; give "
            found.append(Finding(entry["feature"], "type", ERROR, detail + "numbers or text"))
    return found


def _feature(entry: dict[str, Any]) -> bool:
    """Whether a profile entry is an input (not the target, nor the model's output)."""
    return not str(entry["feature"]).startswith("__")


def _values(columns: Columns, entry: dict[str, Any]) -> list[Finding]:
    name, stats = entry["feature"], entry["stats"]
    found = []
    nulls = _nulls(columns, name, stats)
    if nulls is not None:
        found.append(nulls)
    if entry["kind"] == "numeric" and "min" in stats:
        found += _range(columns, name, stats)
    elif entry["kind"] == "categorical":
        found += _unseen(columns, name, stats)
    return found


def _nulls(columns: Columns, name: str, stats: dict[str, Any]) -> Finding | None:
    count = int(stats.get("count", 0))
    before = int(stats.get("nulls", 0)) / count if count else 0.0
    now = float(columns.frame[name].isna().mean())
    if now <= before + NULL_TOLERANCE:
        return None
    return Finding(
        name, "missing values", WARNING, f"{now:.1%} missing; the reference had {before:.1%}", now
    )


def _range(columns: Columns, name: str, stats: dict[str, Any]) -> list[Finding]:
    values = columns.numeric(name)
    values = values[~np.isnan(values)]
    if not len(values):
        return []
    low, high = float(stats["min"]), float(stats["max"])
    outside = float(np.mean((values < low) | (values > high)))
    if outside <= RANGE_TOLERANCE:
        return []
    detail = (
        f"{outside:.1%} of values outside the reference's range [{low:.6g}, {high:.6g}] "
        f"(these run from {values.min():.6g} to {values.max():.6g})"
    )
    return [Finding(name, "out of range", WARNING, detail, outside)]


def _unseen(columns: Columns, name: str, stats: dict[str, Any]) -> list[Finding]:
    counts, nulls = columns.categories(name)
    listed = {str(key) for key in stats.get("counts", {})}
    pooled = OTHER in listed
    rest = sorted(
        ((key, count) for key, count in counts.items() if key not in listed or key == OTHER),
        key=lambda item: -item[1],
    )
    found = unseen(stats, rest, columns.rows - nulls, pooled=pooled)
    expected = expected_unseen(stats, pooled=pooled) or 0.0
    if found is None or found.share <= expected + UNSEEN_TOLERANCE:
        return []
    shown = ", ".join(repr(value) for value in found.found[:5])
    detail = (
        f"{found.share:.1%} of values are categories the reference never had ({shown}"
        f"{', ...' if len(found.found) > 5 else ''}); about {expected:.1%} were to be expected"
    )
    return [Finding(name, "unseen categories", WARNING, detail, found.share)]
