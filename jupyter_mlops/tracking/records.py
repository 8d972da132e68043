"""What tracking returns: runs with text and HTML reprs, and runs side by side."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from jupyter_mlops.registry.capture import process_gone
from jupyter_mlops.registry.display import details, html_table, pre, pretty_json, text_table
from jupyter_mlops.registry.records import RecordTable


@dataclass(frozen=True, repr=False)
class RunRecord:
    """A run as stored: what it logged, what it fitted, and the versions made from it."""

    id: int
    experiment: str
    status: str
    started_at: datetime
    ended_at: datetime | None
    error: str | None
    code: str | None
    params: dict[str, Any]
    tags: dict[str, str]
    models: dict[str, dict[str, Any]]
    inputs: dict[str, dict[str, Any]]
    notebook: str | None
    git_commit: str | None
    created_by: str
    host: str | None = None
    pid: int | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    versions: list[tuple[str, int]] = field(default_factory=list)
    artifacts: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def from_row(cls, row: dict[str, Any], **extra: Any) -> RunRecord:
        values = {k: v for k, v in row.items() if k != "sort_value"}
        for key in ("params", "tags", "models", "inputs"):
            text = values[key]
            values[key] = {} if text == "{}" else json.loads(text)  # most runs have no tags
        if values["status"] == "running" and process_gone(values["host"], values["pid"]):
            values["status"] = "dead"  # its process ended without ending the run
        return cls(**values, **extra)

    @property
    def duration(self) -> float | None:
        """Seconds from start to end (None while running)."""
        if self.ended_at is None:
            return None
        return (self.ended_at - self.started_at).total_seconds()

    def __repr__(self) -> str:
        return f"<Run {self.id} of {self.experiment!r}: {self.status}>"

    def _facts(self) -> list[tuple[str, Any]]:
        made = [f"{model}:{version}" for model, version in self.versions]
        return [
            ("run", self.id),
            ("experiment", self.experiment),
            ("status", self.status),
            ("error", self.error),
            ("started", self.started_at),
            ("duration (s)", self.duration),
            ("by", self.created_by),
            ("tags", self.tags),
            ("metrics", self.metrics),
            ("params", self.params),
            ("models fitted", list(self.models)),
            ("inputs", list(self.inputs)),
            ("versions made from it", made),
            ("git commit", self.git_commit),
        ]

    def __str__(self) -> str:
        return text_table(["field", "value"], [(k, v) for k, v in self._facts() if v])

    def _repr_html_(self) -> str:
        parts = [html_table(["", ""], [(k, v) for k, v in self._facts() if v])]
        if self.models:
            parts.append(details("models", pre(pretty_json(self.models))))
        if self.code:
            parts.append(details("code", pre(self.code)))
        return "".join(parts)


class RunList(RecordTable[RunRecord]):
    """Runs, newest first or best first by a metric."""

    columns: ClassVar[list[str]] = ["run", "experiment", "status", "started", "metrics", "tags"]
    empty = "no runs yet"

    def __init__(self, runs: list[RunRecord], *, sort_key: str | None = None) -> None:
        super().__init__(runs)
        self.sort_key = sort_key

    def _rows(self) -> list[list[Any]]:
        return [
            [
                r.id,
                r.experiment,
                r.status,
                r.started_at,
                _metrics_first(r.metrics, self.sort_key),
                r.tags,
            ]
            for r in self
        ]


def _metrics_first(metrics: dict[str, float], key: str | None) -> dict[str, float]:
    if key is None or key not in metrics:
        return metrics
    return {key: metrics[key], **{k: v for k, v in metrics.items() if k != key}}


@dataclass(frozen=True, repr=False)
class RunComparison:
    """Runs side by side: params and metrics, rows that differ highlighted."""

    runs: list[RunRecord]
    rows: list[tuple[Any, ...]]

    @property
    def differences(self) -> list[tuple[Any, ...]]:
        return [row for row in self.rows if len({repr(v) for v in row[2:]}) > 1]

    def _headers(self) -> list[str]:
        return ["section", "name", *(f"run {r.id}" for r in self.runs)]

    def __str__(self) -> str:
        return text_table(self._headers(), self.rows)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        marked = [len({repr(v) for v in row[2:]}) > 1 for row in self.rows]
        caption = f"{len(self.differences)} of {len(self.rows)} rows differ"
        return html_table(self._headers(), self.rows, marked=marked, caption=caption)


def _fit_seconds(run: RunRecord) -> float | None:
    timed = [entry["fit_seconds"] for entry in run.models.values() if "fit_seconds" in entry]
    return sum(timed) if timed else None


def compare_runs(runs: list[RunRecord]) -> RunComparison:
    rows: list[tuple[Any, ...]] = []
    for section, attribute in (("param", "params"), ("metric", "metrics"), ("tag", "tags")):
        keys = sorted({key for run in runs for key in getattr(run, attribute)})
        for key in keys:
            rows.append((section, key, *(getattr(run, attribute).get(key) for run in runs)))
    rows.append(("run", "models", *(", ".join(run.models) for run in runs)))
    rows.append(("run", "fit (s)", *(_fit_seconds(run) for run in runs)))
    rows.append(("run", "status", *(run.status for run in runs)))
    rows.append(("run", "duration (s)", *(run.duration for run in runs)))
    return RunComparison(runs, rows)
