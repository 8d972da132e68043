"""A figure told as text, for a shell that cannot draw one (IPython in a terminal): plotly
would try to open a web browser there, and fail where there is none."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from jupyter_mlops.jsonable import jsonable
from jupyter_mlops.registry.display import text_table

COLUMNS = ["trace", "points", "first x", "last x", "min y", "max y", "last y"]
KEYS = [column.replace(" ", "_") for column in COLUMNS]


class FigureSummary:
    """What each trace of a figure holds, as a table; `.figure` is the figure itself
    (`.figure.write_html("figure.html")` to open it in a browser)."""

    def __init__(self, figure: go.Figure) -> None:
        self.figure = figure

    def _rows(self) -> list[list[Any]]:
        rows = []
        for trace in self.figure.data:
            xs = _points(trace, "x")
            ys = [y for y in _points(trace, "y") if y is not None and y == y]
            rows.append(
                [
                    trace.name or trace.type,
                    len(xs),
                    xs[0] if xs else None,
                    xs[-1] if xs else None,
                    min(ys) if ys else None,
                    max(ys) if ys else None,
                    ys[-1] if ys else None,
                ]
            )
        return rows

    def to_dict(self) -> dict[str, Any]:
        """The figure's title and axis titles, and what each trace holds (`.figure.to_json()`
        is the whole figure, as plotly writes it)."""
        layout = self.figure.layout
        return {
            "title": layout.title.text,
            "x": layout.xaxis.title.text,
            "y": layout.yaxis.title.text,
            "traces": [dict(zip(KEYS, jsonable(row), strict=True)) for row in self._rows()],
        }

    def __repr__(self) -> str:
        layout = self.figure.layout
        lines = [f"figure: {layout.title.text or 'untitled'}"]
        lines.append(f"x: {layout.xaxis.title.text or 'x'}; y: {layout.yaxis.title.text or 'y'}")
        lines.append(text_table(COLUMNS, self._rows()) if self.figure.data else "no data")
        lines.append('(.figure is the plotly figure: .figure.write_html("figure.html") to view it)')
        return "\n".join(lines)


def _points(trace: Any, axis: str) -> list[Any]:
    """A trace's values on an axis: a tuple, or the array plotly keeps a Series or an index
    as (whose truth is ambiguous, so never asked)."""
    values = getattr(trace, axis, None)
    return [] if values is None else list(values)


def shown(figure: go.Figure, *, html: bool) -> go.Figure | FigureSummary:
    """The figure where the shell can show HTML (a notebook), else its summary."""
    return figure if html else FigureSummary(figure)
