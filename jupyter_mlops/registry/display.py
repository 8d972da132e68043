"""Small HTML and text renderers shared by the records' rich reprs (no Jupyter imports)."""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

STYLE = (
    "<style>.jp-mlops-table td,.jp-mlops-table th{text-align:left;padding:2px 8px}"
    ".jp-mlops-diff{background:rgba(255,200,0,.25)}</style>"
)


def cell(value: Any) -> str:
    """A value as short plain text for a table cell."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, dict):
        return ", ".join(f"{k}={cell(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(cell(v) for v in value)
    return str(value)


def html_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    marked: Sequence[bool] | None = None,
    caption: str = "",
) -> str:
    """An HTML table; rows whose `marked` flag is set are highlighted."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = []
    for index, row in enumerate(rows):
        css = ' class="jp-mlops-diff"' if marked and marked[index] else ""
        cells = "".join(f"<td>{html.escape(cell(v))}</td>" for v in row)
        body.append(f"<tr{css}>{cells}</tr>")
    title = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return (
        f'{STYLE}<table class="jp-mlops-table">{title}<thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def text_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A fixed-width text table for terminals and plain reprs."""
    cells = [[cell(v) for v in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines += [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells
    ]
    return "\n".join(lines)


def details(summary: str, body_html: str) -> str:
    return f"<details><summary>{html.escape(summary)}</summary>{body_html}</details>"


def pre(text: str) -> str:
    return f"<pre>{html.escape(text)}</pre>"


def pretty_json(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, default=str)
