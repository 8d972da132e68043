"""What `Monitor.history` returns: every stored drift verdict of a model, one row per check.

The registry stores the model's output as the feature `__prediction__`; this result names it
`prediction` wherever a user reads it (its tables, `to_frame()`, the figure drawn from it, the
`feature=` it takes), or `prediction (model output)` when an input is itself called `prediction`.
Windows read as dates: a day as `2026-11-25`, longer spans of whole days as their first and last
day, anything else with its times; a check of data with no window is named by its source and time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import numpy as np
import pandas as pd

from jupyter_mlops.errors import Command, Face, InvalidArgumentError, did_you_mean, spell
from jupyter_mlops.jsonable import jsonable
from jupyter_mlops.registry.display import html_table, text_table
from jupyter_mlops.registry.outputs import PREDICTION, TARGET

OUTPUT = "prediction"
P_VALUE_TESTS = ("ks", "chi2", "missing", "infinite")
LISTED = 8
SUMMARY = ["window", "version", "rows", "tests", "drifted", "prediction", "drifted, worst first"]
DETAIL = ["window", "version", "rows", "test", "statistic", "p-value", "threshold", "verdict"]
COLUMNS = [
    "check_id",
    "version",
    "checked_at",
    "source",
    "window",
    "window_start",
    "window_end",
    "rows",
    "feature",
    "kind",
    "test",
    "statistic",
    "p_value",
    "threshold",
    "drifted",
]


class DriftHistory:
    """Stored drift verdicts of a model, oldest check first: per check, how many features
    drifted and which, worst first; given a `feature`, that feature's statistic per check."""

    def __init__(self, model: str, stored: pd.DataFrame, *, feature: str | None = None) -> None:
        self.model = model
        self.output = OUTPUT if OUTPUT not in set(stored["feature"]) else f"{OUTPUT} (model output)"
        frame = _readable(stored, self.output)
        if feature is not None:
            feature = self.output if feature == PREDICTION else feature
            frame = _one_feature(frame, model, feature, self.output)
        self.feature = feature
        self._frame = frame
        self._per_check: list[_Check] | None = None
        self.face = Face.PYTHON  # where it is shown: how its headline spells a command

    def __len__(self) -> int:
        """The number of checks."""
        return int(self._frame["check_id"].nunique())

    def to_frame(self) -> pd.DataFrame:
        """One row per check and deciding test of each feature, oldest check first."""
        return self._frame.copy()

    def to_dict(self) -> dict[str, Any]:
        """The model, the `feature` asked for (None: every one), `checks` (per check, oldest
        first: where and when, how many inputs were measured, those that `drifted` worst
        first, the verdict on the `prediction`) and every verdict as `rows`, as `to_frame()`
        has them."""
        return {
            "model": self.model,
            "feature": self.feature,
            "checks": jsonable([self._check(check) for check in self._checks()]),
            "rows": jsonable(self._frame),
        }

    def _check(self, check: _Check) -> dict[str, Any]:
        return {
            **{key: check.first[key] for key in COLUMNS[: COLUMNS.index("rows") + 1]},
            "features": len(check.features),
            "drifted": check.drifted,
            "prediction": check.prediction or None,
        }

    def features(self) -> list[str]:
        """Every feature checked, the one drifted most often first (then the furthest past
        its threshold)."""
        frame = self._frame.assign(severity=severity(self._frame))
        ranked = frame.groupby("feature").agg(count=("drifted", "sum"), worst=("severity", "max"))
        ranked = ranked.reset_index().sort_values(
            ["count", "worst", "feature"], ascending=[False, False, True], kind="stable"
        )
        return [str(name) for name in ranked["feature"]]

    def _checks(self) -> list[_Check]:
        """Per check, oldest first, what its rows say: read in one pass over the verdicts,
        since a model checked daily has hundreds of checks."""
        if self._per_check is None:
            self._per_check = _per_check(self._frame, self.output)
        return self._per_check

    def _summary_rows(self) -> list[list[Any]]:
        return [
            [
                *_where(check.first),
                ", ".join(check.tests),
                f"{len(check.drifted)} of {len(check.features)}",
                check.prediction,
                _listing(check.drifted),
            ]
            for check in self._checks()
        ]

    def _detail_rows(self) -> list[list[Any]]:
        return [
            [
                *_where(row),
                row["test"],
                _number(row["statistic"]),
                _number(row["p_value"]),
                _number(row["threshold"]),
                _row_verdict(row),
            ]
            for row in self._frame.to_dict("records")
        ]

    def _table(self) -> tuple[list[str], list[list[Any]], list[bool]]:
        if self.feature is not None:
            return DETAIL, self._detail_rows(), list(self._frame["drifted"])
        marked = [check.any_drifted for check in self._checks()]
        return SUMMARY, self._summary_rows(), marked

    def _headline(self) -> str:
        what = self.model if self.feature is None else f"{self.model}, {self.feature}"
        if self._frame.empty:
            drift = Command("drift", self.model, python=f"monitor.drift({self.model!r})")
            return spell(
                [f"{what}: no drift checks recorded yet (each `", drift, "` records one)"],
                self.face,
            )
        checks = self._checks()
        drifted = sum(check.any_drifted for check in checks)
        versions = sorted(int(v) for v in self._frame["version"].unique())
        noun = "drift check" if len(checks) == 1 else "drift checks"
        of = "version" if len(versions) == 1 else "versions"
        return (
            f"{what}: {len(checks)} {noun} of {of} {', '.join(map(str, versions))}; {drifted} "
            "of them found drift; oldest first"
        )

    def __repr__(self) -> str:
        if self._frame.empty:
            return self._headline()
        headers, rows, _ = self._table()
        return f"{self._headline()}\n{text_table(headers, rows)}"

    def _repr_html_(self) -> str:
        headers, rows, marked = self._table()
        return html_table(headers, rows, marked=marked, caption=self._headline())


def severity(frame: pd.DataFrame) -> pd.Series:
    """How far past (above 1) or short of (below 1) its threshold each verdict is, as
    `FeatureDrift.severity` measures it: alpha / p for p-value tests, else statistic / threshold."""
    by_p_value = frame["test"].isin(P_VALUE_TESTS) & frame["p_value"].notna()
    with np.errstate(divide="ignore", invalid="ignore"):
        effect = frame["statistic"].abs() / frame["threshold"]
        p_based = frame["threshold"] / frame["p_value"].clip(lower=1e-300)
    return p_based.where(by_p_value, effect).fillna(0.0)


def window_label(start: Any, end: Any, *, checked: Any, source: str) -> str:
    """A check's window as a reader names it: `2026-11-25`, `2026-11-23 to 2026-11-29`,
    `2026-11-25 10:00 to 11:00`, or, with no window, `a DataFrame (checked 2026-12-01 10:54)`."""
    if pd.isna(start) and pd.isna(end):
        where = source if len(source) <= 40 else f"{source[:37]}..."
        return f"{where} (checked {pd.Timestamp(checked):%Y-%m-%d %H:%M})"
    first = pd.Timestamp(end if pd.isna(start) else start)
    last = pd.Timestamp(start if pd.isna(end) else end)
    if first == first.normalize() and last == last.normalize() and last > first:
        final = last - timedelta(days=1)
        return f"{first:%Y-%m-%d}" if final == first else f"{first:%Y-%m-%d} to {final:%Y-%m-%d}"
    if first == last:
        return f"{first:%Y-%m-%d %H:%M}"
    if first.normalize() == last.normalize():
        return f"{first:%Y-%m-%d %H:%M} to {last:%H:%M}"
    return f"{first:%Y-%m-%d %H:%M} to {last:%Y-%m-%d %H:%M}"


def _readable(stored: pd.DataFrame, output: str) -> pd.DataFrame:
    frame = stored.rename(columns={"started_at": "checked_at", "window_rows": "rows"})
    frame["feature"] = frame["feature"].replace({PREDICTION: output, TARGET: "target"})
    frame["drifted"] = frame["drifted"].eq(True)  # no verdict (NULL) is no drift
    frame["window"] = [
        window_label(start, end, checked=checked, source=str(source))
        for start, end, checked, source in zip(
            frame["window_start"],
            frame["window_end"],
            frame["checked_at"],
            frame["source"],
            strict=True,
        )
    ]
    return frame[COLUMNS].reset_index(drop=True)


def _one_feature(frame: pd.DataFrame, model: str, feature: str, output: str) -> pd.DataFrame:
    names = sorted(set(frame["feature"]))
    if names and feature not in names:
        raise InvalidArgumentError(
            f"{model} has no drift verdicts of a feature {feature!r}{did_you_mean(feature, names)}"
            f"; name a feature its checks measured, or {output!r} for the model's output."
        )
    return frame[frame["feature"] == feature].reset_index(drop=True)


@dataclass
class _Check:
    """One check's verdicts: its first row, tests in order, inputs measured and drifted
    (worst first), the verdict on the model's output."""

    first: dict[Any, Any]
    tests: dict[str, None] = field(default_factory=dict)
    features: set[str] = field(default_factory=set)
    drifted: list[str] = field(default_factory=list)
    outputs: list[dict[Any, Any]] = field(default_factory=list)
    any_drifted: bool = False

    @property
    def prediction(self) -> str:
        if not self.outputs:
            return ""
        if any(row["drifted"] for row in self.outputs):
            return "DRIFT"
        return "n/a" if all(pd.isna(row["statistic"]) for row in self.outputs) else "ok"


def _per_check(frame: pd.DataFrame, output: str) -> list[_Check]:
    checks: dict[Any, _Check] = {}
    for row in frame.sort_values("check_id", kind="stable").to_dict("records"):
        check = checks.setdefault(row["check_id"], _Check(row))
        check.tests[row["test"]] = None
        check.any_drifted = check.any_drifted or bool(row["drifted"])
        if row["feature"] == output:
            check.outputs.append(row)
        else:
            check.features.add(row["feature"])
    # drifted inputs worst first, ties by name, as the drift report breaks them
    drifted = frame[frame["drifted"] & (frame["feature"] != output)]
    ordered = drifted.assign(severity=severity(drifted)).sort_values(
        ["check_id", "severity", "feature"], ascending=[True, False, True], kind="stable"
    )
    for check_id, feature in zip(ordered["check_id"], ordered["feature"], strict=True):
        names = checks[check_id].drifted
        if str(feature) not in names:
            names.append(str(feature))
    return list(checks.values())


def _where(row: dict[Any, Any]) -> list[Any]:
    """A check's window, version and rows, as its table row starts."""
    return [row["window"], int(row["version"]), f"{int(row['rows']):,}"]


def _listing(names: list[str]) -> str:
    if len(names) <= LISTED:
        return ", ".join(names)
    return f"{', '.join(names[:LISTED])} and {len(names) - LISTED} more"


def _row_verdict(row: dict[Any, Any]) -> str:
    """DRIFT, ok or n/a (no value to test) for one verdict."""
    if row["drifted"]:
        return "DRIFT"
    return "n/a" if pd.isna(row["statistic"]) else "ok"


def _number(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)
