"""The Performance tab: realised metrics per window with their intervals, estimated ones
where labels are missing, and when alerts fired, all as the model's checks stored them."""

from __future__ import annotations

import ipywidgets as widgets

from jupyter_mlops import operations
from jupyter_mlops.operations.results import MetricHistory
from jupyter_mlops.registry import Registry
from jupyter_mlops.widgets.figures import figure_box, static_figure
from jupyter_mlops.widgets.panel import Panel


class PerformanceTab(Panel):
    def __init__(self, registry: Registry, model: str) -> None:
        self.model = model
        self.title = f"{model}: performance"
        super().__init__(registry)
        self.figure = widgets.Box()
        self.table = widgets.HTML()
        self.body.children = [self.figure, self.table]

    def read(self) -> MetricHistory:
        return operations.metric_history(self.registry, model=self.model)

    def show(self, found: MetricHistory) -> None:
        empty = found.frame.empty
        self.figure.children = [] if empty else [figure_box(found)]
        self.table.value = found._repr_html_() if empty else ""

    def static_html(self) -> str:
        """The stored metrics as a figure a saved notebook shows without a kernel."""
        if self.shown is None or self.shown.frame.empty:
            return super().static_html()
        return super().static_html() + static_figure(self.shown)

    def done_text(self, found: MetricHistory) -> str:
        if found.frame.empty:
            return str(found)
        windows = found.frame["window_start"].nunique()
        return f"{windows} windows of {self.model}'s metrics; {len(found.alerts)} alerts fired"
