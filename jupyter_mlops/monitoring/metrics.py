"""What performance and estimation return: metrics per window, realised or estimated."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from jupyter_mlops.jsonable import fields_of, jsonable
from jupyter_mlops.monitoring.performance import MetricValue
from jupyter_mlops.registry.display import cell, html_table, text_table

if TYPE_CHECKING:
    import pandas as pd


def window_of(metric: MetricValue) -> tuple[bool, datetime, int]:
    """Which window a metric is of, in time order: its start (none first), then its block
    (windows of rows logged in one call share their start)."""
    start = metric.window_start
    return start is not None, start or datetime.min, metric.block


COLUMNS = ["window start", "window end", "metric", "kind", "value", "95% interval", "rows"]


@dataclass
class PerformanceReport:
    """Realised (labels arrived) and estimated (no labels needed) metrics, per window."""

    model: str
    version: int
    window: str
    metrics: list[MetricValue]
    note: str = ""
    check_id: int | None = None
    seconds: float = 0.0
    unlabelled: int = field(default=0)
    named: str = ""  # what the user named, resolved: `churn@champion (version 2)`
    rows_from: str = ""  # `rows of versions 1 (45) and 2 (45)`

    def latest(self, *, estimated: bool = False) -> dict[str, float]:
        """The newest window's values by metric name (of this version's rows, where the
        report holds several versions' rows)."""
        chosen = [m for m in self.metrics if m.estimated == estimated and m.value is not None]
        chosen = [m for m in chosen if m.version in (None, self.version)]  # not another's rows
        if not chosen:
            return {}
        newest = max(window_of(m) for m in chosen)
        return {
            m.metric: float(m.value)
            for m in chosen
            if window_of(m) == newest and m.value is not None
        }

    def values(self) -> dict[str, float]:
        """What alert rules read: auc, accuracy, ... and estimated.auc, ...; `f1` of a
        classifier of more than two classes is its macro F1 (`f1_macro`)."""
        found = dict(self.latest())
        if "f1_macro" in found:
            found.setdefault("f1", found["f1_macro"])
        found |= {f"estimated.{k}": v for k, v in self.latest(estimated=True).items()}
        return found

    def to_dict(self) -> dict[str, Any]:
        """Its fields, every metric of every window (realised and `estimated`, with its 95%
        interval; a value undefined on its window is null, its `note` saying why), and the
        `values` alert rules read."""
        return fields_of(self) | {"values": jsonable(self.values())}

    def to_frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame([m.__dict__ for m in self.metrics])

    @property
    def split(self) -> bool:
        """Whether the metrics come from the rows of more than one version."""
        return len({m.version for m in self.metrics if m.version is not None}) > 1

    def _columns(self) -> list[str]:
        columns = [*COLUMNS[:2], "version", *COLUMNS[2:]] if self.split else COLUMNS
        return [*columns, "note"] if self._noted else columns

    @property
    def _noted(self) -> bool:
        """Whether a metric says why it has no value, or how it was averaged."""
        return any(m.note for m in self.metrics)

    def _rows(self) -> list[list[Any]]:
        rows = [
            [
                m.window_start,
                m.window_end,
                m.metric,
                "estimated" if m.estimated else "realised",
                m.value,
                "" if m.ci_low is None else f"{cell(m.ci_low)} to {cell(m.ci_high)}",
                m.rows,
            ]
            for m in self._ordered()
        ]
        for row, m in zip(rows, self._ordered(), strict=True):
            if self.split:
                row.insert(2, m.version)
            if self._noted:
                row.append(m.note)
        return rows

    def _ordered(self) -> list[MetricValue]:
        return sorted(
            self.metrics,
            key=lambda m: (str(m.window_start), m.block, m.version or 0, m.metric, m.estimated),
        )

    def _headline(self) -> str:
        text = self.named or f"{self.model}:{self.version}"
        text += f", {self.rows_from}" if self.rows_from else ""
        if self.metrics and all(m.window_start is None and not m.block for m in self.metrics):
            text += f", all {max(m.rows for m in self.metrics):,} rows (no time column)"
        elif " to " in self.window:  # a range of dates: one window
            text += f", {self.window}"
        else:
            text += f", windows of {self.window}"
        return f"{text}; {self.note}" if self.note else text

    def __repr__(self) -> str:
        if not self.metrics:
            return f"{self._headline()}\nno metrics"
        return f"{self._headline()}\n{text_table(self._columns(), self._rows())}"

    def _repr_html_(self) -> str:
        if not self.metrics:
            return f"<p>{self._headline()}: no metrics</p>"
        return html_table(self._columns(), self._rows(), caption=self._headline())
