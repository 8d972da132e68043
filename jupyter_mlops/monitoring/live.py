"""Champion and challenger compared on the same live requests (`compare_live`).

The rows are those both scored (`shadows.paired_rows`): the same requests, so a
difference in a metric is the versions', not the traffic's. Each side's metrics are
computed on the paired rows that carry a label, as the champion's task says (accuracy,
AUC and F1 of its positive class for a classifier, macro and weighted F1 past two classes;
MAE and RMSE for a regressor), with the difference challenger minus champion. Agreement
needs no label: the share of paired rows on which the two predict the same (for a
regressor, the same to within a millionth). Fewer than `ENOUGH_LABELS` labelled rows
are too few to tell two versions apart, and the result says so. Versions of two tasks are
refused before anything is computed (`scoring.require_same_task`, as a gate refuses them).
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from pandas.api.types import is_numeric_dtype

from jupyter_mlops.jsonable import fields_of
from jupyter_mlops.monitoring import labelling, performance
from jupyter_mlops.monitoring.scoring import Scoring, require_same_task
from jupyter_mlops.monitoring.shadows import Pairs, pairs
from jupyter_mlops.monitoring.versions import Versions
from jupyter_mlops.registry import Registry
from jupyter_mlops.registry.display import html_table, text_table
from jupyter_mlops.registry.records import Version
from jupyter_mlops.registry.task import CLASSIFIER, REGRESSOR

ENOUGH_LABELS = 30
SHOWN = ("accuracy", "auc", "f1", "f1_macro", "f1_weighted", "mae", "rmse")
LOWER_IS_BETTER = ("mae", "rmse")


@dataclass(frozen=True)
class LiveMetric:
    metric: str
    champion: float | None
    challenger: float | None
    difference: float | None  # challenger minus champion
    better: str  # "challenger", "champion" or "" (equal, or a side without a value)


@dataclass
class LiveComparison:
    """Both versions on the requests both scored: counts, agreement, metrics."""

    model: str
    window: str
    champion: str  # as named: `churn@champion (version 2)`
    challenger: str
    champion_version: int
    challenger_version: int
    task: str | None
    paired: int
    labelled: int
    agreement: float | None  # share of paired rows predicted the same; None without rows
    metrics: list[LiveMetric] = field(default_factory=list)
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return fields_of(self)

    def _headline(self) -> str:
        agree = "" if self.agreement is None else f"; predictions agree on {self.agreement:.1%}"
        return (
            f"{self.model}, {self.window}: {self.champion} vs {self.challenger} in shadow; "
            f"{self.paired:,} paired rows, {self.labelled:,} labelled{agree}"
        )

    def _rows(self) -> list[list[Any]]:
        return [[m.metric, m.champion, m.challenger, m.difference, m.better] for m in self.metrics]

    _COLUMNS: ClassVar[list[str]] = ["metric", "champion", "challenger", "difference", "better"]

    def __repr__(self) -> str:
        table = text_table(self._COLUMNS, self._rows()) if self.metrics else "no metrics"
        return "\n".join(filter(None, [self._headline(), table, self.note]))

    def _repr_html_(self) -> str:
        note = f"<p>{html.escape(self.note)}</p>" if self.note else ""
        if not self.metrics:
            return f"<p>{html.escape(self._headline())}: no metrics</p>{note}"
        caption = html.escape(self._headline())
        return html_table(self._COLUMNS, self._rows(), caption=caption) + note


def compare_live(
    registry: Registry,
    *,
    model: str,
    window: str | int | None = "7d",
    champion: str | int = "champion",
    challenger: str | int = "challenger",
) -> LiveComparison:
    """Champion and challenger on the requests both scored in the last `window` (see the
    module docstring; the sides name versions as `shadows` says)."""
    found = pairs(registry, model=model, window=window, champion=champion, challenger=challenger)
    versions = Versions(registry)
    scoring = versions.scoring(found.champion)
    challenger_task = found.challenger.task or versions.scoring(found.challenger).task
    require_same_task(
        (_named(champion, found.champion), scoring.task),
        (_named(challenger, found.challenger), challenger_task),
        doing="a live comparison",
    )
    rows = found.rows
    labelled = rows[rows["label"].notna()].reset_index(drop=True)
    result = LiveComparison(
        model,
        found.window,
        _named(champion, found.champion),
        _named(challenger, found.challenger),
        found.champion.version,
        found.challenger.version,
        scoring.task,
        len(rows),
        len(labelled),
        _agreement(rows, scoring.task),
    )
    if len(labelled):
        result.metrics = _metrics(labelled, found, scoring)
    result.note = _note(result, scoring)
    return result


def _named(side: str | int, version: Version) -> str:
    text = str(side)
    shown = text if ("@" in text or ":" in text) else f"{version.model}@{text}"
    if text.isdigit():
        return version.ref
    return f"{shown} (version {version.version})"


def _agreement(rows: pd.DataFrame, task: str | None) -> float | None:
    if rows.empty:
        return None
    first, second = rows["champion_prediction"], rows["challenger_prediction"]
    if task == REGRESSOR:
        same = np.isclose(first.astype(float), second.astype(float), rtol=1e-6, atol=0.0)
    elif is_numeric_dtype(first) and is_numeric_dtype(second):  # 1 and 1.0 are one class
        same = first.astype(float).to_numpy() == second.astype(float).to_numpy()
    else:
        same = (first.astype(str) == second.astype(str)).to_numpy()
    return float(np.mean(same))


def _metrics(rows: pd.DataFrame, found: Pairs, scoring: Scoring) -> list[LiveMetric]:
    what = f"{found.champion.model} version {found.champion.version}"
    truth = labelling.as_classes(list(rows["label"]), scoring.classes, what=what, missing=False)
    labels = np.asarray(truth) if not isinstance(truth, np.ndarray) else truth
    sides = [_side(rows, side, labels, scoring) for side in ("champion", "challenger")]
    shown = []
    for name in SHOWN:
        first, second = (values.get(name) for values in sides)
        if first is None and second is None:
            continue
        difference = None if first is None or second is None else second - first
        better = ""
        if difference:
            lower = name in LOWER_IS_BETTER
            better = "challenger" if (difference < 0) == lower else "champion"
        shown.append(LiveMetric(name, first, second, difference, better))
    return shown


def _side(rows: pd.DataFrame, side: str, labels: np.ndarray, scoring: Scoring) -> dict:
    """One side's metrics by name (a metric undefined on these rows is left out)."""
    predictions = rows[f"{side}_prediction"].to_numpy()
    scores = rows[f"{side}_score"].astype(float).to_numpy()
    task = scoring.task
    if task is None:
        task = CLASSIFIER if performance.is_classification(rows["label"], None) else REGRESSOR
    if task == REGRESSOR:
        found = performance.regression(labels, predictions)
    else:
        classes = list(scoring.classes) if scoring.classes is not None else None
        found = performance.classification(
            labels, predictions, scores, classes=classes, positive=scoring.positive
        )
    return {m.metric: float(m.value) for m in found if m.value is not None}


def _note(result: LiveComparison, scoring: Scoring) -> str:
    notes = [scoring.note] if scoring.note else []
    if result.paired == 0:
        notes.append(
            f"no request of the window was scored by both versions {result.champion_version} "
            f"and {result.challenger_version}"
        )
    elif result.labelled < ENOUGH_LABELS:
        notes.append(
            f"only {result.labelled} of the {result.paired:,} paired rows are labelled, fewer "
            f"than the {ENOUGH_LABELS} it takes to tell two versions apart: send labels to "
            "/feedback with their request ids"
        )
    return "; ".join(notes)
