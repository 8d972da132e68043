"""A result's figure as a live plotly widget (`FigureWidget`), chosen by the result as
`viz.figures.figure_of` chooses it."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from jupyter_mlops.viz.figures import figure_of


def figure_box(result: Any) -> go.FigureWidget:
    return go.FigureWidget(figure_of(result))


def static_figure(result: Any) -> str:
    """The result's figure as HTML that draws without a kernel (plotly.js from its CDN)."""
    return str(figure_of(result).to_html(include_plotlyjs="cdn", full_html=False))
