"""A result's figure in a dashboard, chosen by the result as `viz.figures.figure_of` chooses
it, and as static HTML for a saved page.

A dashboard's figure is an `Output` widget holding the figure's JSON, which JupyterLab's
plotly renderer draws, not plotly's `FigureWidget`: that is an anywidget, and anywidget gives
up on a widget model that takes more than 2 s to start (its plotly.js bundle is large), so on
a busy machine the chart stayed empty. The dashboards never change a figure in place (each
refresh draws a new one), so nothing is lost."""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets
import plotly.graph_objects as go
import plotly.io as pio

from jupyter_mlops.viz.figures import figure_of


class FigureBox(widgets.Output):
    """`figure`, drawn by JupyterLab's plotly renderer."""

    def __init__(self, figure: go.Figure) -> None:
        super().__init__()
        self.figure = figure
        bundle = pio.renderers["plotly_mimetype"].to_mimebundle(figure.to_dict())
        shown = {**bundle, "text/plain": "a plotly figure (JupyterLab draws it)"}
        self.outputs = ({"output_type": "display_data", "data": shown, "metadata": {}},)


def figure_box(result: Any) -> FigureBox:
    return FigureBox(figure_of(result))


def static_figure(result: Any) -> str:
    """The result's figure as HTML that draws without a kernel (plotly.js from its CDN)."""
    return str(figure_of(result).to_html(include_plotlyjs="cdn", full_html=False))
