"""The figure that shows a result, chosen by the result's type: a face that draws (the
notebook, the widgets) asks for it, and never decides from which command it came."""

from __future__ import annotations

from functools import singledispatch
from typing import Any

import plotly.graph_objects as go

from jupyter_mlops.monitoring.distributions import Distributions
from jupyter_mlops.monitoring.history import DriftHistory
from jupyter_mlops.monitoring.metrics import PerformanceReport
from jupyter_mlops.operations.results import MetricHistory, RunHistory
from jupyter_mlops.registry.records import VersionList
from jupyter_mlops.viz.distributions import distribution_figure
from jupyter_mlops.viz.drift import drift_history_figure, metric_history_figure
from jupyter_mlops.viz.metrics import run_metrics_figure, version_metrics_figure


@singledispatch
def figure_of(result: Any) -> go.Figure:
    """A plotly figure of `result`; a result no figure shows is a TypeError."""
    raise TypeError(f"no figure shows a {type(result).__name__}")


@figure_of.register
def _versions(result: VersionList) -> go.Figure:
    return version_metrics_figure(result)


@figure_of.register
def _run(result: RunHistory) -> go.Figure:
    return run_metrics_figure(result.points, title=result.title)


@figure_of.register
def _drift(result: DriftHistory) -> go.Figure:
    what = result.model if result.feature is None else f"{result.model}, {result.feature}"
    return drift_history_figure(result, title=f"{what}: drift per check")


@figure_of.register
def _distributions(result: Distributions) -> go.Figure:
    return distribution_figure(result)


@figure_of.register
def _performance(result: PerformanceReport) -> go.Figure:
    what = "estimate" if any(m.estimated for m in result.metrics) else "performance"
    title = f"{result.named or result.model}: {what} per window of {result.window}"
    return metric_history_figure(result.to_frame(), title=title)


@figure_of.register
def _metric_history(result: MetricHistory) -> go.Figure:
    figure = metric_history_figure(result.frame, title=f"{result.model}: metrics per window")
    for fired in result.alerts:  # alerts on the time axis
        figure.add_vline(x=fired["at"], line_dash="dash", line_color="red", opacity=0.6)
        figure.add_annotation(
            x=fired["at"], y=1, yref="paper", text=f"alert: {fired['rule']}", showarrow=False
        )
    return figure
