"""The figure of a feature's distributions: its reference and current shares, bar beside
bar, per bin of numbers (in order) or per category; the verdict in the title."""

from __future__ import annotations

from typing import TYPE_CHECKING

import plotly.graph_objects as go

if TYPE_CHECKING:
    from jupyter_mlops.monitoring.distributions import Distributions

COLORS = {"reference": "#7f7f7f", "current": "#1f77b4"}


def distribution_figure(distributions: Distributions) -> go.Figure:
    """Two bar traces, `reference` and `current`, over the same bins, shares of each side's
    rows on y; a category the reference never had is labelled `(unseen)`."""
    bins = distributions.bins
    labels = [f"{b.label} (unseen)" if b.unseen else b.label for b in bins]
    figure = go.Figure()
    for side in ("reference", "current"):
        rows = [b.reference_rows if side == "reference" else b.current_rows for b in bins]
        figure.add_trace(
            go.Bar(
                x=labels,
                y=[getattr(b, side) for b in bins],
                name=side,
                marker_color=COLORS[side],
                customdata=rows,
                hovertemplate=f"{side}<br>%{{x}}: %{{y:.1%}} (%{{customdata:,}} rows)"
                "<extra></extra>",
            )
        )
    axis = "category" if distributions.kind == "categorical" else "bin"
    figure.update_layout(
        title=distributions.title,
        barmode="group",
        xaxis={"title": axis, "type": "category"},
        yaxis={"title": "share of rows", "tickformat": ".0%", "rangemode": "tozero"},
        legend_title_text=distributions.feature,
        hovermode="closest",
    )
    return figure
