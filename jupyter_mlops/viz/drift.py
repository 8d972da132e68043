"""Figures of monitoring history: drift per feature over windows, metrics over windows."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go


def drift_history_figure(history: pd.DataFrame, *, title: str = "") -> go.Figure:
    """Each feature's deciding statistic relative to its threshold (1 = the threshold), per
    check; above the dashed line is drift. p-value tests show threshold / p-value."""
    figure = go.Figure()
    for feature, rows in history.groupby("feature", sort=True):
        moment = rows["window_end"].fillna(rows["started_at"])
        figure.add_trace(
            go.Scatter(
                x=moment,
                y=_relative(rows),
                mode="lines+markers",
                name=str(feature),
                text=[
                    f"{t} {s:.4g}" if pd.notna(s) else str(t)
                    for t, s in zip(rows["test"], rows["statistic"], strict=True)
                ],
                hovertemplate="%{text}<br>%{x}<extra>" + str(feature) + "</extra>",
            )
        )
    figure.add_hline(y=1.0, line_dash="dash", annotation_text="threshold")
    figure.update_layout(
        title=title,
        xaxis_title="window end (UTC)",
        yaxis_title="statistic / threshold",
        yaxis_type="log",
    )
    return figure


def _relative(rows: pd.DataFrame) -> pd.Series:
    by_p_value = rows["test"].isin(["ks", "chi2", "missing"]) & rows["p_value"].notna()
    effect = rows["statistic"].abs() / rows["threshold"]
    p_based = rows["threshold"] / rows["p_value"].clip(lower=1e-300)
    return p_based.where(by_p_value, effect).clip(lower=1e-4)


def metric_history_figure(history: pd.DataFrame, *, title: str = "") -> go.Figure:
    """Each metric per window, realised as solid lines and estimated as dotted ones, with
    their 95% intervals as bands."""
    figure = go.Figure()
    for (metric, estimated), rows in history.groupby(["metric", "estimated"], sort=True):
        rows = rows.sort_values("window_start")
        name = f"{metric} ({'estimated' if estimated else 'realised'})"
        figure.add_trace(
            go.Scatter(
                x=rows["window_start"],
                y=rows["value"],
                mode="lines+markers",
                name=name,
                line={"dash": "dot" if estimated else "solid"},
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": rows["ci_high"] - rows["value"],
                    "arrayminus": rows["value"] - rows["ci_low"],
                },
            )
        )
    figure.update_layout(title=title, xaxis_title="window start (UTC)", yaxis_title="value")
    return figure
