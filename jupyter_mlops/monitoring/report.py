"""What a drift check returns: one row per feature, worst first, with text and HTML reprs.

Columns whose type changed since registration are schema findings, listed in a section
of their own (text, HTML, `to_dict()["schema"]`, the `schema` column of `to_frame()`),
apart from the drift verdicts.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from jupyter_mlops.errors import Face
from jupyter_mlops.jsonable import fields_of, jsonable
from jupyter_mlops.monitoring.conform import TypeChange
from jupyter_mlops.monitoring.drift import NUMBERS, FeatureDrift
from jupyter_mlops.monitoring.multivariate import DomainClassifierResult
from jupyter_mlops.registry.display import cell, html_table, text_table
from jupyter_mlops.shown import spelled

if TYPE_CHECKING:
    import pandas as pd

PREDICTION = "__prediction__"
COLUMNS = ["feature", "test", "statistic", "p-value", "threshold", "verdict", "rows", "note"]
# a column each in the text and HTML tables, shown when some feature has that statistic
STATISTICS = ("psi", "js", "ks", "wasserstein", "chi2", "unseen")
OWN_ROWS = (
    "missing",
    "infinite",
    "unseen",
)  # tests with a row of their own beside a feature's verdict


@dataclass
class DriftReport:
    """Drift of one window of data against a version's reference."""

    model: str
    version: int
    rows: int
    source: str
    features: list[FeatureDrift]
    multivariate: DomainClassifierResult | None = None
    window_start: datetime | None = None
    window_end: datetime | None = None
    extra_columns: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    check_id: int | None = None
    named: str = ""  # what the user named, resolved: `churn@champion (version 2)`
    reference: str = ""  # what it was compared with: `held-out reference data (2,000 rows)`
    schema: list[TypeChange] = field(default_factory=list)
    # where it is shown, which spells the fixes its notes name; no part of its data
    face: Face = field(default=Face.PYTHON, repr=False, compare=False, metadata={"json": False})

    @property
    def inputs(self) -> list[FeatureDrift]:
        return [f for f in self.features if f.feature != PREDICTION]

    @property
    def drifted(self) -> list[str]:
        """Input features with any drifted test, worst first."""
        names: list[str] = []
        for f in self.inputs:
            if f.drifted and f.feature not in names:
                names.append(f.feature)
        return names

    @property
    def share(self) -> float:
        """Share of input features that drifted."""
        total = len({f.feature for f in self.inputs})
        return len(self.drifted) / total if total else 0.0

    @property
    def prediction(self) -> FeatureDrift | None:
        """Drift of the model's own output, when it was measured."""
        found = [f for f in self.features if f.feature == PREDICTION and f.test not in OWN_ROWS]
        return found[0] if found else None

    def feature(self, name: str) -> FeatureDrift:
        for f in self.features:
            if f.feature == name and f.test not in OWN_ROWS:
                return f
        raise KeyError(name)

    def values(self) -> dict[str, float]:
        """The numbers alert rules read: drift.share, drift.count, psi.<feature>, ...;
        `missing.<feature>` and (numbers) `infinite.<feature>` are the change in the share of
        such rows from the reference's, 0.0 for a measured feature neither side has any of
        (no row of its own in the report, but no change either)."""
        found: dict[str, float] = {
            "drift.share": self.share,
            "drift.count": float(len(self.drifted)),
            "rows": float(self.rows),
        }
        if self.prediction is not None:
            found["drift.prediction"] = float(self.prediction.drifted)
        if self.multivariate is not None:
            found["drift.multivariate"] = self.multivariate.auc
        for f in self.features:
            name = "prediction" if f.feature == PREDICTION else f.feature
            for test, (statistic, _) in f.statistics.items():
                if statistic is not None:
                    found[f"{test}.{name}"] = float(statistic)
        for f in self.features:
            if f.test not in OWN_ROWS:
                name = "prediction" if f.feature == PREDICTION else f.feature
                shares = ("missing", "infinite") if f.kind in NUMBERS else ("missing",)
                for test in shares:
                    found.setdefault(f"{test}.{name}", 0.0)
        return found

    def to_frame(self) -> pd.DataFrame:
        import pandas as pd

        changed = {c.feature: c.text for c in self.schema}
        return pd.DataFrame(
            [
                {
                    "feature": f.feature,
                    "kind": f.kind,
                    "test": f.test,
                    "statistic": f.statistic,
                    "p_value": f.p_value,
                    "threshold": f.threshold,
                    "drifted": f.drifted,
                    "rows": f.rows,
                    **{name: value[0] for name, value in f.statistics.items()},
                    "unseen": f.unseen,
                    "note": f.note,
                    "schema": changed.get(f.feature, ""),
                }
                for f in self.features
            ]
        )

    def to_dict(self) -> dict[str, Any]:
        """Its fields, with the model's output apart from the input `features`: its verdict
        as `prediction` (None: not measured); the inputs that `drifted`, worst first, their
        `share`, and the `values` alert rules read."""
        return fields_of(self, leave_out=("features",)) | {
            "features": [f.to_dict() for f in self.inputs],
            "prediction": jsonable(self.prediction),
            "drifted": self.drifted,
            "share": self.share,
            "values": jsonable(self.values()),
            "notes": spelled(self.notes, self.face),
        }

    @property
    def computed(self) -> list[str]:
        """The statistics computed for at least one feature, in table order: PSI and JS
        always; KS and Wasserstein where they decide or when every test was asked for."""
        found = {
            name
            for f in self.features
            for name, (value, _) in f.statistics.items()
            if value is not None
        }
        return [name for name in STATISTICS if name in found]

    def _columns(self) -> list[str]:
        return [*COLUMNS[:-1], *self.computed, COLUMNS[-1]]

    def _rows(self) -> list[list[Any]]:
        computed = self.computed
        return [
            [
                "prediction" if f.feature == PREDICTION else f.feature,
                f.test,
                f.statistic,
                f.p_value,
                f.threshold,
                "DRIFT" if f.drifted else "ok",
                f.rows,
                *(f.statistics.get(name, (None, None))[0] for name in computed),
                f.note,
            ]
            for f in self.features
        ]

    def _headline(self) -> str:
        window = ""
        if self.window_start is not None and self.window_end is not None:
            window = f", {cell(self.window_start)} to {cell(self.window_end)}"
        against = f", against {self.reference}" if self.reference else ""
        lines = [
            f"{self.named or f'{self.model}:{self.version}'}: {len(self.drifted)} of "
            f"{len({f.feature for f in self.inputs})} features drifted ({self.share:.0%}), "
            f"{self.rows:,} rows from {self.source}{window}{against}"
        ]
        if self.multivariate is not None:
            verdict = "DRIFT" if self.multivariate.drifted else "ok"
            lines.append(
                f"multivariate (domain classifier on {self.multivariate.rows:,} rows a side): "
                f"AUC {self.multivariate.auc:.3f}, threshold {self.multivariate.threshold}: "
                f"{verdict}"
            )
        lines += spelled(self.notes, self.face)
        if self.extra_columns:
            lines.append(f"not in the reference, ignored: {', '.join(self.extra_columns[:10])}")
        return "\n".join(lines)

    def _schema_lines(self) -> list[str]:
        return [f"type changed: {c.text}" for c in self.schema]

    def __repr__(self) -> str:
        schema = "".join(f"\n{line}" for line in self._schema_lines())
        table = text_table(self._columns(), self._rows())
        return f"{self._headline()}\n{table}" + (f"\nschema:{schema}" if schema else "")

    def _repr_html_(self) -> str:
        headline = "<br>".join(html.escape(line) for line in self._headline().splitlines())
        marked = [f.drifted for f in self.features]
        table = html_table(self._columns(), self._rows(), marked=marked)
        schema = "<br>".join(html.escape(line) for line in self._schema_lines())
        return f"<p>{headline}</p>{table}" + (f"<p><b>schema</b><br>{schema}</p>" if schema else "")


@dataclass
class DriftTimeline:
    """Drift reports of consecutive windows, oldest first."""

    model: str
    version: int
    every: str
    reports: list[DriftReport]
    named: str = ""  # what the user named, resolved: `churn@champion (version 2)`
    notes: list[str] = field(default_factory=list)
    # where it is shown, which spells the fixes its notes name; no part of its data
    face: Face = field(default=Face.PYTHON, repr=False, compare=False, metadata={"json": False})

    def to_dict(self) -> dict[str, Any]:
        """Its fields, each window's drift report whole under `reports`."""
        return fields_of(self) | {"notes": spelled(self.notes, self.face)}

    def to_frame(self) -> pd.DataFrame:
        """One row per window and feature: the deciding statistic and verdict."""
        import pandas as pd

        rows = []
        for report in self.reports:
            for f in report.features:
                rows.append(
                    {
                        "window_start": report.window_start,
                        "window_end": report.window_end,
                        "rows": report.rows,
                        "feature": f.feature,
                        "test": f.test,
                        "statistic": f.statistic,
                        "p_value": f.p_value,
                        "threshold": f.threshold,
                        "drifted": f.drifted,
                    }
                )
        return pd.DataFrame(rows)

    def _rows(self) -> list[list[Any]]:
        return [
            [r.window_start, r.window_end, r.rows, f"{r.share:.0%}", ", ".join(r.drifted[:6])]
            for r in self.reports
        ]

    def _caption(self) -> str:
        caption = f"{self.named or f'{self.model}:{self.version}'}, windows of {self.every}"
        return "; ".join([caption, *spelled(self.notes, self.face)])

    def __repr__(self) -> str:
        headers = ["window start", "window end", "rows", "drifted", "features"]
        return f"{self._caption()}\n" + text_table(headers, self._rows())

    def _repr_html_(self) -> str:
        headers = ["window start", "window end", "rows", "drifted", "features"]
        marked = [bool(r.drifted) for r in self.reports]
        caption = self._caption()
        return html_table(headers, self._rows(), marked=marked, caption=caption)
