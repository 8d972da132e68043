"""The fleet: every model with its aliases, what its deployments serve, its last check and
a health badge (the rule: `monitoring/health.py`); filter by name and health, sort, and
open one model's dashboard in place."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

import ipywidgets as widgets

from jupyter_mlops import operations
from jupyter_mlops.registry import Registry
from jupyter_mlops.widgets.panel import Panel
from jupyter_mlops.widgets.ticker import Ticker

HEALTH = ("any", "ok", "drifting", "degraded", "alerting", "never checked")
SORTS = {"name": "name", "health": "health", "last check": "last_check_at"}


class FleetDashboard(Panel):
    """`open(name)` replaces the fleet with that model's dashboard (Back returns)."""

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

    def read(self) -> Any:
        health = None if self.health.value == "any" else self.health.value
        found = operations.fleet(self.registry, name=self.name.value or None, health=health)
        return found.sorted_by(SORTS[self.sort.value])

    def show(self, found: Any) -> None:
        self.rows.children = [self._row(row) for row in found.rows]

    def done_text(self, found: Any) -> str:
        if not found.rows:
            return "no models match; register one with %mlops register NAME MODEL"
        return f"{len(found.rows)} models"

    def _row(self, row: Any) -> widgets.Widget:
        button = widgets.Button(description=row.name, tooltip=f"open {row.name}'s dashboard")
        button.on_click(lambda _: self.open(row.name))
        return widgets.HBox([button, widgets.HTML(row.summary_html())])

    def open(self, name: str) -> Any:
        """That model's dashboard in place of the fleet, with a Back button."""
        back = widgets.Button(description="Back to the fleet", icon="arrow-left")
        dashboard = self.opened(name)
        back.on_click(lambda _: self.close_model())
        self.open_view.children = [back, dashboard]
        self.list_view.layout.display = "none"
        return dashboard

    def close_model(self) -> Future[None]:
        for child in self.open_view.children:
            child.close()
        self.open_view.children = []
        self.list_view.layout.display = None
        return self.refresh()
