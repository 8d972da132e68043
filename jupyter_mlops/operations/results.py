"""Result records of the operations that the engine's own entry objects return as plain
data: a run's metric points, a model's drift settings, a batch of predictions, a model's
aliases."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jupyter_mlops.jsonable import jsonable
from jupyter_mlops.registry.display import html_table, text_table

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class RunHistory:
    """Every metric point a run logged: key, step, value, when."""

    run: int
    experiment: str
    points: list[dict[str, Any]] = field(default_factory=list)

    @property
    def title(self) -> str:
        return f"run {self.run} of {self.experiment}"

    def to_frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(self.points, columns=["key", "step", "value", "logged_at"])

    def to_dict(self) -> dict[str, Any]:
        return {"run": self.run, "experiment": self.experiment, "points": jsonable(self.points)}

    def __str__(self) -> str:
        if not self.points:
            return f"{self.title}: no metric points logged"
        rows = [[p["key"], p["step"], p["value"], p["logged_at"]] for p in self.points]
        return f"{self.title}\n" + text_table(["key", "step", "value", "logged at"], rows)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        rows = [[p["key"], p["step"], p["value"], p["logged_at"]] for p in self.points]
        table = html_table(["key", "step", "value", "logged at"], rows) if rows else ""
        return f"<p>{self.title}</p>{table or '<p>no metric points logged</p>'}"


@dataclass(frozen=True)
class DriftSettings:
    """A model's stored drift tests and thresholds, by feature (`*`: every feature)."""

    model: str
    settings: dict[str, dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.model, "settings": jsonable(self.settings)}

    def _rows(self) -> list[list[Any]]:
        return [
            [feature, chosen.get("test"), chosen.get("threshold")]
            for feature, chosen in sorted(self.settings.items())
        ]

    def __str__(self) -> str:
        if not self.settings:
            return f"{self.model}: no drift settings (each feature uses its default test)"
        return text_table(["feature", "test", "threshold"], self._rows())

    __repr__ = __str__

    def _repr_html_(self) -> str:
        if not self.settings:
            return f"<p>{self}</p>"
        return html_table(["feature", "test", "threshold"], self._rows())


@dataclass(frozen=True)
class Predictions:
    """A batch scored in this process: one row per input row with its request id, the
    version, the prediction and the score; `written_to` when they went to a file."""

    ref: str
    frame: pd.DataFrame
    logged: bool
    written_to: Path | None = None

    def to_frame(self) -> pd.DataFrame:
        return self.frame

    def to_dict(self) -> dict[str, Any]:
        return {
            "ref": self.ref,
            "logged": self.logged,
            "written_to": jsonable(self.written_to),
            "rows": jsonable(self.frame),
        }

    def __str__(self) -> str:
        if self.written_to is not None:
            logged = "logged" if self.logged else "not logged"
            return (
                f"{len(self.frame)} predictions of {self.ref} written to {self.written_to} "
                f"({logged})"
            )
        return self.frame.to_string(index=False)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        if self.written_to is not None:
            return f"<p>{self}</p>"
        return str(self.frame.to_html(index=False))


@dataclass(frozen=True)
class MetricHistory:
    """A model's realised and estimated metrics per window as stored by its checks (the
    newest check's value where several measured one window), and when alerts fired."""

    model: str
    frame: pd.DataFrame
    alerts: list[dict[str, Any]] = field(default_factory=list)

    def to_frame(self) -> pd.DataFrame:
        return self.frame

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "metrics": jsonable(self.frame),
            "alerts": jsonable(self.alerts),
        }

    def _empty(self) -> str:
        return (
            f"{self.model}: no metrics stored yet; measure them with `%mlops performance "
            f"{self.model}` (labels) or `%mlops estimate {self.model}` (no labels needed)"
        )

    def __str__(self) -> str:
        if self.frame.empty:
            return self._empty()
        return str(self.frame.to_string(index=False))

    __repr__ = __str__

    def _repr_html_(self) -> str:
        if self.frame.empty:
            return f"<p>{self._empty()}</p>"
        return str(self.frame.to_html(index=False, na_rep=""))


@dataclass(frozen=True)
class Aliases:
    """A model's aliases and the version each points at."""

    model: str
    aliases: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.model, "aliases": dict(self.aliases)}

    def _rows(self) -> list[list[Any]]:
        return [[alias, version] for alias, version in self.aliases.items()]

    def __str__(self) -> str:
        if not self.aliases:
            return f"{self.model}: no aliases"
        return text_table(["alias", "version"], self._rows())

    __repr__ = __str__

    def _repr_html_(self) -> str:
        if not self.aliases:
            return f"<p>{html.escape(str(self))}</p>"
        return html_table(["alias", "version"], self._rows())
