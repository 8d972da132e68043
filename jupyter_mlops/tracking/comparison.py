"""Runs side by side: what they logged, their models' params, metrics, tags and timing.

A grid search leaves many rows the runs share (every param nobody changed); the rows that
differ are the ones to read. So they are shown and highlighted, and the identical ones are
folded away: counted in text, collapsed under a summary in HTML, shown with `show_all`
(`--all`). `to_frame()` and `to_dict()` hold every row, each marked with whether it differs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from jupyter_mlops.jsonable import jsonable
from jupyter_mlops.registry.display import details, html_table, text_table
from jupyter_mlops.tracking.records import RunRecord, model_params

if TYPE_CHECKING:
    import pandas as pd

Row = tuple[Any, ...]  # section, name, then one value per run


@dataclass(frozen=True, repr=False)
class RunComparison:
    """Runs side by side; rows that differ highlighted, identical ones folded unless
    `show_all`."""

    runs: list[RunRecord]
    rows: list[Row]
    show_all: bool = False

    @property
    def differences(self) -> list[Row]:
        return [row for row in self.rows if _differs(row)]

    @property
    def identical(self) -> list[Row]:
        return [row for row in self.rows if not _differs(row)]

    def _headers(self) -> list[str]:
        return ["section", "name", *(f"run {r.id}" for r in self.runs)]

    def _folded(self) -> str:
        count = len(self.identical)
        return f"{count} identical row{'s' if count != 1 else ''}" if count else ""

    def __str__(self) -> str:
        if self.show_all:
            marked = [("*" if _differs(row) else "", *row) for row in self.rows]
            return text_table(["", *self._headers()], marked) + "\n(* differs)"
        shown = self.differences
        text = text_table(self._headers(), shown) if shown else "no differences"
        folded = self._folded()
        return f"{text}\n{folded} not shown (--all shows them)" if folded else text

    __repr__ = __str__

    def _repr_html_(self) -> str:
        caption = f"{len(self.differences)} of {len(self.rows)} rows differ"
        if self.show_all:
            marked = [_differs(row) for row in self.rows]
            return html_table(self._headers(), self.rows, marked=marked, caption=caption)
        shown = self.differences
        table = html_table(self._headers(), shown, marked=[True] * len(shown), caption=caption)
        folded = self._folded()
        return table + (
            details(folded, html_table(self._headers(), self.identical)) if folded else ""
        )

    def to_frame(self) -> pd.DataFrame:
        """Every row, with a `differs` column."""
        import pandas as pd

        rows = [[*row, _differs(row)] for row in self.rows]
        return pd.DataFrame(rows, columns=[*self._headers(), "differs"])

    def to_dict(self) -> dict[str, Any]:
        return {
            "runs": [run.id for run in self.runs],
            "rows": [
                {
                    "section": row[0],
                    "name": row[1],
                    "values": jsonable(list(row[2:])),
                    "differs": _differs(row),
                }
                for row in self.rows
            ],
        }


def _differs(row: Row) -> bool:
    return len({repr(value) for value in row[2:]}) > 1


def _fit_seconds(run: RunRecord) -> float | None:
    timed = [entry["fit_seconds"] for entry in run.models.values() if "fit_seconds" in entry]
    return sum(timed) if timed else None


def compare_runs(runs: list[RunRecord], *, show_all: bool = False) -> RunComparison:
    rows: list[Row] = []
    sections = [
        ("param", [run.params for run in runs]),
        ("model", [model_params(run) for run in runs]),
        ("metric", [run.metrics for run in runs]),
        ("tag", [run.tags for run in runs]),
    ]
    for section, tables in sections:
        keys = sorted({key for table in tables for key in table})
        rows += [(section, key, *(table.get(key) for table in tables)) for key in keys]
    rows.append(("run", "models", *(", ".join(run.models) for run in runs)))
    rows.append(("run", "fit (s)", *(_fit_seconds(run) for run in runs)))
    rows.append(("run", "status", *(run.status for run in runs)))
    rows.append(("run", "duration (s)", *(run.duration for run in runs)))
    return RunComparison(runs, rows, show_all=show_all)
