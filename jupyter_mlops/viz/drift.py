"""Figures of monitoring history: drift per feature over windows, metrics over windows."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative
from plotly.subplots import make_subplots

if TYPE_CHECKING:
    from jupyter_mlops.monitoring.history import DriftHistory

P_VALUE_TESTS = ("ks", "chi2")
P_VALUE = "p-value"
P_CAP = 50.0  # -log10 p: a p-value below 1e-50 is drawn at 50
EFFECT_CAP = 10.0  # PSI, Jensen-Shannon, Wasserstein past 10 are drawn at 10
PANELS = {
    P_VALUE: "Kolmogorov-Smirnov, chi-squared: -log10 p, BH-adjusted (past 50 drawn at 50)",
    "psi": "PSI",
    "js": "Jensen-Shannon distance",
    "wasserstein": "Wasserstein distance / reference std",
    "missing": "change in the share of missing values, up or down",
    "infinite": "change in the share of infinite values (+inf or -inf), up or down",
    "unseen": "share of values never seen in the reference",
}
OUTPUT_COLOR = "black"


def drift_history_figure(history: DriftHistory, *, title: str = "") -> go.Figure:
    """Each feature's deciding statistic per check against its own threshold (dashed), one
    panel per kind of test, all on linear axes, each point at its window's middle; a drifted
    check is an X, ok a dot; the model's output is the thick black `prediction` line, drawn
    first and listed first, then the features that drifted most often.

    Panels, not one statistic/threshold axis: a panel keeps its test's own units, so a point
    reads as the drift report's row does (PSI 0.31 against 0.1), and p-values and effect
    sizes, which grow differently, never share a scale. Tests with a p-value plot -log10 p
    against -log10 alpha (2 for 0.01); p-values below 1e-50 sit at 50 and effect sizes past
    10 at 10 (the hover gives the value). Checks with no value to plot are left out."""
    points = _points(history.to_frame())
    if points.empty:
        return _empty(history, title)
    panels = [name for name in PANELS if name in set(points["panel"])]
    panels += sorted(set(points["panel"]) - set(PANELS))
    figure = make_subplots(
        rows=len(panels),
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.3 / len(panels),
        subplot_titles=[PANELS.get(name, name) for name in panels],
    )
    features = sorted(history.features(), key=lambda name: name != history.output)
    colors = _colors(features, history.output)
    shown: set[str] = set()
    for row, panel in enumerate(panels, start=1):
        rows = points[points["panel"] == panel]
        for feature in features:
            own = rows[rows["feature"] == feature]
            if not own.empty:
                trace = _trace(own, feature, colors[feature], legend=feature not in shown)
                figure.add_trace(trace, row=row, col=1)
                shown.add(feature)
        _threshold_lines(figure, rows, row=row, p_values=panel == P_VALUE)
        figure.update_yaxes(type="linear", rangemode="tozero", row=row, col=1)
    figure.update_xaxes(title_text="window (UTC)", row=len(panels), col=1)
    figure.update_layout(
        title=title,
        legend_title_text="feature (X: drifted)",
        height=160 + 260 * len(panels),
        hovermode="closest",
    )
    return figure


def _points(frame: pd.DataFrame) -> pd.DataFrame:
    """Each verdict's panel, place and height; the ones with nothing finite to plot left out."""
    by_p_value = frame["test"].isin(P_VALUE_TESTS).to_numpy()
    p_values = frame["p_value"].astype("float64").to_numpy()
    statistics = frame["statistic"].astype("float64").abs().to_numpy()
    thresholds = frame["threshold"].astype("float64").to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        raw = np.where(by_p_value, -np.log10(p_values), statistics)
        line = np.where(by_p_value, -np.log10(thresholds), thresholds)
    cap = np.fmax(np.where(by_p_value, P_CAP, EFFECT_CAP), 2 * line)
    points = frame.assign(
        panel=np.where(by_p_value, P_VALUE, frame["test"]),
        x=_middle(frame),
        y=np.clip(raw, 0.0, cap),
        line=line,
        clipped=raw > cap,
    )
    return points[~np.isnan(raw) & points["x"].notna()].sort_values(["x", "check_id"])


def _middle(frame: pd.DataFrame) -> pd.Series:
    """A window's middle; its one known end; or, with no window, the time of the check."""
    start, end = frame["window_start"], frame["window_end"]
    middle = start + (end - start) / 2
    return middle.fillna(start).fillna(end).fillna(frame["checked_at"])


def _trace(rows: pd.DataFrame, feature: str, color: str, *, legend: bool) -> go.Scatter:
    drifted = rows["drifted"].to_numpy(dtype=bool)
    return go.Scatter(
        x=rows["x"],
        y=rows["y"],
        mode="lines+markers",
        name=feature,
        legendgroup=feature,
        showlegend=legend,
        line={"color": color, "width": 3 if color == OUTPUT_COLOR else 1.5},
        marker={
            "color": color,
            "symbol": np.where(drifted, "x", "circle").tolist(),
            "size": np.where(drifted, 12, 6).tolist(),
        },
        text=[_hover(feature, values) for values in rows.to_dict("records")],
        hovertemplate="%{text}<extra></extra>",
    )


def _hover(feature: str, values: dict[Any, Any]) -> str:
    found = f"{values['test']} {values['statistic']:.4g}"
    if pd.notna(values["p_value"]):
        found += f", p {values['p_value']:.3g}"
    verdict = "DRIFT" if values["drifted"] else "ok"
    scale = " (off the scale)" if values["clipped"] else ""
    return (
        f"{feature}, {values['window']}<br>{found}{scale}, threshold {values['threshold']:g}: "
        f"{verdict}"
    )


def _threshold_lines(figure: go.Figure, rows: pd.DataFrame, *, row: int, p_values: bool) -> None:
    """A dashed line at each threshold the panel's points were judged by."""
    drawn = rows[np.isfinite(rows["line"])].drop_duplicates("threshold")
    for threshold, height in zip(drawn["threshold"], drawn["line"], strict=True):
        figure.add_hline(
            y=height,
            row=row,
            col=1,
            line_dash="dash",
            line_color="gray",
            annotation_text=f"{'alpha' if p_values else 'threshold'} {threshold:g}",
            annotation_position="top left",
        )


def _colors(features: list[str], output: str) -> dict[str, str]:
    palette = qualitative.Dark24
    inputs = [name for name in features if name != output]
    colors = {name: palette[index % len(palette)] for index, name in enumerate(inputs)}
    return colors | {output: OUTPUT_COLOR}


def _empty(history: DriftHistory, title: str) -> go.Figure:
    figure = go.Figure()
    figure.add_annotation(
        text=f"no drift checks of {history.model} recorded yet",
        showarrow=False,
        xref="paper",
        yref="paper",
        x=0.5,
        y=0.5,
    )
    figure.update_layout(title=title, xaxis_visible=False, yaxis_visible=False)
    return figure


def metric_history_figure(history: pd.DataFrame, *, title: str = "") -> go.Figure:
    """Each metric per window, realised as solid lines and estimated as dotted ones, with
    their 95% intervals as bands."""
    figure = go.Figure()
    for (metric, estimated), rows in history.groupby(["metric", "estimated"], sort=True):
        rows = rows.sort_values(["window_start", "block"] if "block" in rows else "window_start")
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
