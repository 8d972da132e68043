"""The fleet: every model with its aliases, what its deployments serve, its last check and
a health badge (the rule: `monitoring/health.py`); filter by name and health, sort, and
open one model's dashboard in place."""

from __future__ import annotations

import html
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

import ipywidgets as widgets

from jupyter_mlops import operations
from jupyter_mlops.operations.fleet_records import Fleet, ModelHealth, css_class
from jupyter_mlops.registry import Registry
from jupyter_mlops.registry.display import counted
from jupyter_mlops.widgets.jobs import badge
from jupyter_mlops.widgets.panel import Panel
from jupyter_mlops.widgets.ticker import Ticker

HEALTH = ("any", "alerting", "degraded", "drifting", "ok", "never checked")
WORST_FIRST = {health: rank for rank, health in enumerate(HEALTH[1:])}
SORTS: dict[str, Callable[[ModelHealth], Any]] = {
    "health, worst first": lambda m: (WORST_FIRST.get(m.health, 99), m.name),
    "name": lambda m: m.name,
    "last check, newest first": lambda m: -(m.last_check.at.timestamp() if m.last_check else 0),
}


class FleetDashboard(Panel):
    """`open_model(name)` replaces the fleet with that model's dashboard (Back returns)."""

    title = "the fleet"

    def __init__(
        self,
        registry: Registry,
        *,
        refresh: float = 0,
        opened: Callable[[str], Any],
    ) -> None:
        super().__init__(registry)
        self.opened = opened
        self.name = widgets.Text(placeholder="filter by name", description="model")
        self.health = widgets.Dropdown(options=HEALTH, description="health")
        self.sort = widgets.Dropdown(options=list(SORTS), description="sort by")
        for control in (self.name, self.health, self.sort):
            control.observe(lambda _: self.refresh(), names="value")
        self.rows = widgets.VBox()
        self.ticker = Ticker(self.refresh, seconds=refresh)
        self.open_view = widgets.VBox()
        self.list_view = widgets.VBox(
            [widgets.HBox([self.name, self.health, self.sort]), self.rows]
        )
        self.body.children = [self.ticker, self.list_view, self.open_view]
        self.opening = self.refresh()

    def read(self) -> Fleet:
        health = None if self.health.value == "any" else self.health.value
        return operations.fleet(self.registry, name=self.name.value.strip() or None, health=health)

    def show(self, found: Fleet) -> None:
        ordered = sorted(found, key=SORTS[self.sort.value])
        self.rows.children = [self._row(row) for row in ordered]

    def done_text(self, found: Fleet) -> str:
        if not found and not found.total:
            return "no models registered yet; register one with %mlops register NAME MODEL"
        return found.headline()

    def _row(self, row: ModelHealth) -> widgets.Widget:
        button = widgets.Button(description=row.name, tooltip=f"open {row.name}'s dashboard")
        button.on_click(lambda _: self.open_model(row.name))
        return widgets.HBox([button, widgets.HTML(summary_html(row))])

    def open_model(self, name: str) -> Any:
        """That model's dashboard in place of the fleet, with a Back button."""
        back = widgets.Button(description="Back to the fleet", icon="arrow-left")
        dashboard = self.opened(name)
        back.on_click(lambda _: self.close_model())
        self.open_view.children = [back, dashboard]
        self.list_view.layout.display = "none"
        return dashboard

    def close(self) -> None:
        for child in (*self.open_view.children, self.ticker):
            child.close()
        super().close()

    def close_model(self) -> Future[None]:
        for child in self.open_view.children:
            child.close()
        self.open_view.children = []
        self.list_view.layout.display = None
        return self.refresh()


def summary_html(row: ModelHealth) -> str:
    """One model's line: its badge and why, aliases, what its deployments serve, its last
    check, its schedules and its last job's result."""
    aliases = ", ".join(f"{alias}: v{version}" for alias, version in sorted(row.aliases.items()))
    served = "; ".join(map(str, row.deployments)) or "not deployed"
    checked = "never checked" if row.last_check is None else str(row.last_check)
    parts = [
        f'<span class="jp-mlops-badge {css_class(row.health)}">{html.escape(row.health)}</span>',
        html.escape(row.why),
        html.escape(aliases or "no aliases"),
        html.escape(served),
        html.escape(checked),
        html.escape(counted(row.schedules, "schedule") if row.schedules else "not scheduled"),
        _last_job(row),
    ]
    return " &middot; ".join(parts)


def _last_job(row: ModelHealth) -> str:
    job = row.last_job
    if job is None:
        return "no job yet"
    when = f"{job.at:%Y-%m-%d %H:%M}"
    return f"last job {job.id} {badge(job.status)} {html.escape(when)}"
