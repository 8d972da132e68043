"""What tracking returns: runs with text and HTML reprs, one at a time or as a table."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from jupyter_mlops.jsonable import fields_of
from jupyter_mlops.registry.capture import process_gone
from jupyter_mlops.registry.display import (
    details,
    html_table,
    pre,
    pretty_json,
    text_section,
    text_table,
)
from jupyter_mlops.registry.records import RecordTable
from jupyter_mlops.tracking.conditions import parse_condition

if TYPE_CHECKING:
    import pandas as pd


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
        values = dict(row)
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

    def to_dict(self) -> dict[str, Any]:
        """Its fields, its `duration` in seconds, and the versions made from it by name."""
        made = [{"model": model, "version": version} for model, version in self.versions]
        return fields_of(self) | {"duration": self.duration, "versions": made}

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
        """Everything the HTML shows, as text: the facts, the models fitted, the code."""
        parts = [text_table(["field", "value"], [(k, v) for k, v in self._facts() if v])]
        if self.models:
            parts.append(text_section("models", pretty_json(self.models)))
        if self.code:
            parts.append(text_section("code", self.code))
        return "\n\n".join(parts)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """IPython without HTML (a terminal) shows the whole record, as `str` does."""
        printer.text(str(self))

    def _repr_html_(self) -> str:
        parts = [html_table(["", ""], [(k, v) for k, v in self._facts() if v])]
        if self.models:
            parts.append(details("models", pre(pretty_json(self.models))))
        if self.code:
            parts.append(details("code", pre(self.code)))
        return "".join(parts)


def model_params(run: RunRecord) -> dict[str, Any]:
    """The params of each model a run fitted, as MODEL.PARAM."""
    return {
        f"{model}.{key}": value
        for model, entry in run.models.items()
        for key, value in entry.get("params", {}).items()
    }


def param_columns(run: RunRecord) -> dict[str, Any]:
    """The params of a run: its models' as MODEL.PARAM, then those it logged by name."""
    return model_params(run) | run.params


class RunList(RecordTable[RunRecord]):
    """Runs, newest first or in the order asked for, with a column for each param whose value
    differs between them or that `--sort` or `--where` names; `to_frame()` has a column for
    every param."""

    columns: ClassVar[list[str]] = ["run", "experiment", "status", "started", "metrics", "tags"]
    empty = "no runs yet"

    def __init__(
        self,
        runs: list[RunRecord],
        *,
        sort_key: str | None = None,
        where: Iterable[str] = (),
    ) -> None:
        super().__init__(runs)
        self.sort_key = sort_key
        self.where = list(where)
        named = [parse_condition(text).column for text in self.where]
        self.named = [*named, *([sort_key] if sort_key else [])]

    def _empty(self) -> str:
        if not self.where:
            return self.empty
        return f"no runs where {' and '.join(self.where)}"

    def _shown(self) -> list[str]:
        """The param columns worth a look: those that differ between the runs, or named."""
        params = [param_columns(run) for run in self]
        names = dict.fromkeys(name for found in params for name in found)
        return [
            name
            for name in names
            if name in self.named or len({repr(found.get(name)) for found in params}) > 1
        ]

    def _headers(self, params: list[str] | None = None) -> list[str]:
        return [*self.columns[:-1], *(self._shown() if params is None else params), "tags"]

    def _rows(self, params: list[str] | None = None) -> list[list[Any]]:
        names = self._shown() if params is None else params
        rows = []
        for r in self:
            values = param_columns(r)
            metrics = _metrics_first(r.metrics, self.sort_key)
            shown = [values.get(name) for name in names]
            rows.append([r.id, r.experiment, r.status, r.started_at, metrics, *shown, r.tags])
        return rows

    def to_dict(self) -> dict[str, Any]:
        """Each run as JSON data, and the `sort_key` and `where` conditions that chose them."""
        return super().to_dict() | {"sort_key": self.sort_key, "where": self.where}

    def to_frame(self) -> pd.DataFrame:
        """One row per run, with a column for every param of every run."""
        import pandas as pd

        names = list(dict.fromkeys(name for run in self for name in param_columns(run)))
        return pd.DataFrame(self._rows(names), columns=self._headers(names))


def _metrics_first(metrics: dict[str, float], key: str | None) -> dict[str, float]:
    if key is None or key not in metrics:
        return metrics
    return {key: metrics[key], **{k: v for k, v in metrics.items() if k != key}}
