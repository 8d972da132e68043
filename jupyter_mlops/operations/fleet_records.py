"""The fleet as `fleet` returns it: one row per model, its health badge, and the table.

The HTML marks each health with a CSS class of its own (`jp-mlops-health-alerting`, ...)
under the table's style sheet, coloured from JupyterLab's theme variables with fallbacks,
so a dashboard or a custom style sheet can restyle them and a dark theme reads them.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from jupyter_mlops.jsonable import fields_of
from jupyter_mlops.monitoring.health import HEALTHS
from jupyter_mlops.registry.display import STYLE, TABLE, cell, counted
from jupyter_mlops.registry.records import RecordTable

if TYPE_CHECKING:
    import pandas as pd

UNKNOWN = "unknown"
BADGE = f"{TABLE} span.jp-mlops-health"
BADGES = (
    "<style>"
    f"{BADGE}{{display:inline-block;padding:0 6px;border-radius:8px;white-space:nowrap;"
    "border:1px solid currentColor}"
    f"{BADGE}-ok{{color:var(--jp-success-color1,#388e3c)}}"
    f"{BADGE}-drifting{{color:var(--jp-warn-color1,#f57c00)}}"
    f"{BADGE}-degraded{{color:var(--jp-warn-color0,#e65100)}}"
    f"{BADGE}-alerting{{color:var(--jp-error-color1,#d32f2f);font-weight:bold}}"
    f"{BADGE}-never-checked{{color:var(--jp-ui-font-color2,#757575)}}"
    "</style>"
)


def css_class(health: str) -> str:
    """The CSS class of a health's badge: `jp-mlops-health-never-checked`."""
    return "jp-mlops-health-" + health.replace(" ", "-")


@dataclass(frozen=True)
class Served:
    """What one deployment of a model serves; `version`, `requests` and `errors` are None
    when unknown (a server that did not answer in time, a dead one)."""

    id: int
    ref: str
    status: str  # running, dead, stopped, unreachable from here
    url: str
    version: int | None = None
    requests: int | None = None
    errors: int | None = None

    def __str__(self) -> str:
        served = UNKNOWN if self.version is None else f"v{self.version}"
        counts = (
            f", {_known(self.requests)} requests, {_known(self.errors)} errors"
            if self.status in ("running", "stopped")
            else ""
        )
        return f"{self.ref} ({served}, {self.status}{counts})"


@dataclass(frozen=True)
class LastCheck:
    """A model's newest stored check and what it found, in words."""

    id: int
    kind: str
    version: int
    at: datetime
    verdict: str

    def __str__(self) -> str:
        return f"{self.kind} {self.id} of v{self.version}, {self.at:%Y-%m-%d %H:%M}: {self.verdict}"


@dataclass(frozen=True)
class LastJob:
    """A model's newest job: its result (`passed`, `alert`, `failed`, `timeout`, `skipped`,
    `missed`, `running`, `crashed`), when it started and why it ended so."""

    id: int
    status: str
    at: datetime
    seconds: float | None
    schedule: int | None
    message: str | None

    def __str__(self) -> str:
        return f"job {self.id} {self.status}, {self.at:%Y-%m-%d %H:%M}"


@dataclass(frozen=True)
class ModelHealth:
    """One row of the fleet: a model, where its aliases point, what serves it, its newest
    check, and its health with the evidence (`why`)."""

    name: str
    description: str
    versions: int
    latest: int | None
    aliases: dict[str, int]
    deployments: list[Served]
    last_check: LastCheck | None
    health: str
    why: str
    schedules: int = 0  # not removed
    last_job: LastJob | None = None

    def to_dict(self) -> dict[str, Any]:
        return fields_of(self)


class Fleet(RecordTable[ModelHealth]):
    """Every model (that the filters kept) with its health, worst first."""

    columns: ClassVar[list[str]] = [
        "model",
        "health",
        "why",
        "aliases",
        "latest",
        "deployments",
        "last check",
    ]
    optional_integers = ("latest",)

    def __init__(
        self,
        found: Iterable[ModelHealth] = (),
        *,
        name: str | None = None,
        health: str | None = None,
        total: int = 0,
    ) -> None:
        super().__init__(found)
        self.name, self.health, self.total = name, health, total

    @property
    def counts(self) -> dict[str, int]:
        """How many of the rows have each health, worst first (zeros left out)."""
        counted_ = Counter(row.health for row in self)
        return {h: counted_[h] for h in HEALTHS if counted_[h]}

    def _empty(self) -> str:
        if not self.total:
            return "no models registered yet"
        return f"none of the {counted(self.total, 'model')} matches {self._filters()}"

    def _filters(self) -> str:
        said = [f"name containing {self.name!r}" if self.name else ""]
        said.append(f"health {self.health!r}" if self.health else "")
        return " and ".join(filter(None, said))

    def headline(self) -> str:
        shown = ", ".join(f"{n} {h}" for h, n in self.counts.items())
        kept = f" of {self.total}" if len(self) != self.total else ""
        return f"{counted(len(self), 'model')}{kept}: {shown}" if self else self._empty()

    def _rows(self) -> list[list[Any]]:
        return [
            [
                m.name,
                m.health,
                m.why,
                m.aliases,
                m.latest,
                "\n".join(map(str, m.deployments)),
                "" if m.last_check is None else str(m.last_check),
            ]
            for m in self
        ]

    def to_frame(self) -> pd.DataFrame:
        import pandas as pd

        rows = [
            {
                "model": m.name,
                "description": m.description,
                "health": m.health,
                "why": m.why,
                "aliases": m.aliases,
                "latest": m.latest,
                "versions": m.versions,
                "deployments": len(m.deployments),
                "running": sum(d.status == "running" for d in m.deployments),
                "last_check": None if m.last_check is None else m.last_check.id,
                "last_check_at": None if m.last_check is None else m.last_check.at,
                "verdict": None if m.last_check is None else m.last_check.verdict,
            }
            for m in self
        ]
        return pd.DataFrame(rows, columns=list(rows[0]) if rows else ["model", "health", "why"])

    def to_dict(self) -> dict[str, Any]:
        """`models`: each row as JSON data (times with their UTC offset); the `filters`
        given, the `counts` by health and how many models the registry holds (`total`)."""
        return {
            "models": [m.to_dict() for m in self],
            "filters": {"name": self.name, "health": self.health},
            "counts": self.counts,
            "total": self.total,
        }

    def __str__(self) -> str:
        return self.headline() + ("\n" + super().__str__() if self else "")

    __repr__ = __str__

    def _repr_html_(self) -> str:
        title = f"<p>{html.escape(self.headline())}</p>"
        if not self:
            return title
        head = "".join(f"<th>{html.escape(h)}</th>" for h in self.columns)
        body = "".join(_html_row(m, row) for m, row in zip(self, self._rows(), strict=True))
        return (
            f'{title}<div class="jp-mlops">{STYLE}{BADGES}<table class="jp-mlops-table">'
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
        )


def _html_row(model: ModelHealth, row: list[Any]) -> str:
    css = css_class(model.health)
    badge = f'<span class="jp-mlops-health {css}">{html.escape(model.health)}</span>'
    cells = [html.escape(cell(value)) for value in row]
    cells[1] = badge
    tds = "".join(f"<td>{c}</td>" for c in cells)
    return f'<tr class="{css}">{tds}</tr>'


def _known(value: int | None) -> str:
    return UNKNOWN if value is None else f"{value:,}"
