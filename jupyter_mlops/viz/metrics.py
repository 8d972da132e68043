"""Figures of metrics: across a model's versions, and along a run's steps."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import plotly.graph_objects as go

from jupyter_mlops.registry.records import Version


def version_metrics_figure(versions: Iterable[Version]) -> go.Figure:
    """One line per metric over registration time; hover names the version and its aliases."""
    versions = list(versions)
    keys = sorted({key for version in versions for key in version.metrics})
    figure = go.Figure()
    for key in keys:
        having = [v for v in versions if key in v.metrics]
        figure.add_trace(
            go.Scatter(
                x=[v.created_at for v in having],
                y=[v.metrics[key] for v in having],
                mode="lines+markers",
                name=key,
                text=[f"v{v.version} {' '.join(v.aliases)}".strip() for v in having],
                hovertemplate="%{text}<br>%{x}<br>" + key + "=%{y}<extra></extra>",
            )
        )
    model = versions[0].model if versions else ""
    figure.update_layout(
        title=f"{model}: metrics of every registered version",
        xaxis_title="registered (UTC)",
        yaxis_title="value",
        hovermode="closest",
    )
    return figure


def run_metrics_figure(points: Iterable[Mapping[str, Any]], *, title: str = "") -> go.Figure:
    """One line per metric over steps, from points with key, step and value."""
    series: dict[str, tuple[list[Any], list[Any]]] = {}
    for point in points:
        steps, values = series.setdefault(point["key"], ([], []))
        steps.append(point["step"])
        values.append(point["value"])
    figure = go.Figure(
        [go.Scatter(x=s, y=v, mode="lines", name=key) for key, (s, v) in series.items()]
    )
    figure.update_layout(title=title, xaxis_title="step", yaxis_title="value")
    return figure
