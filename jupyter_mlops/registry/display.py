"""Small HTML and text renderers shared by the records' rich reprs (no Jupyter imports).

Every HTML table is `html_table`'s, inside a `div.jp-mlops` that scrolls sideways when the
table is wider than the output, under the one style sheet below. JupyterLab's own rules for
rendered HTML (`:not(.jp-RenderedMarkdown).jp-RenderedHTMLCommon td` aligns right,
`.jp-RenderedHTMLCommon tbody tr:nth-child(odd)` paints rows white) are more specific than a
plain class, so each selector here starts `div.jp-mlops table.jp-mlops-table`, which outranks
them without `!important`; and a marked row's cells are painted with a translucent mix of the
theme's warning colour, readable under the theme's own text colour in light and dark themes,
and in frontends without JupyterLab's variables (classic Notebook, VS Code) through the
fallbacks.

Text is shown as stored but for what a terminal would act on rather than show (an escape, a
carriage return, a NUL) or show in another order (a bidirectional control): `plain` writes
those as Python writes them in a string (`\\x1b`), so text stored before it was checked, or
that no check covers (a param's name, a cell's code), can neither paint nor hide a line.
"""

from __future__ import annotations

import html
import json
import re
import textwrap
from collections.abc import Sequence
from datetime import datetime
from typing import Any

TABLE = "div.jp-mlops table.jp-mlops-table"
STYLE = (
    "<style>"
    "div.jp-mlops{overflow-x:auto;max-width:100%}"
    f"{TABLE}{{border-collapse:collapse;table-layout:auto;width:auto;margin:0 0 .5em 0;"
    "color:var(--jp-ui-font-color1,inherit)}"
    f"{TABLE} caption{{text-align:left;caption-side:top;padding:2px 0;"
    "color:var(--jp-ui-font-color1,inherit)}"
    f"{TABLE} th,{TABLE} td{{text-align:left;vertical-align:top;padding:2px 8px;"
    "white-space:pre-wrap;overflow-wrap:break-word;max-width:none;border:none}"
    f"{TABLE} thead th{{border-bottom:1px solid var(--jp-border-color1,#bdbdbd)}}"
    f"{TABLE} tr.jp-mlops-diff>td{{background:rgba(255,152,0,.3);"
    "background:color-mix(in srgb,var(--jp-warn-color1,#ff9800) 32%,transparent)}"
    "</style>"
)
# a text table wider than LINE_WIDTH wraps its widest columns (none below NARROWEST) at
# spaces, so a long value (a pipeline's steps) is shown whole without pushing the other
# columns off the screen; a word longer than its column (a digest, a path) is kept whole
LINE_WIDTH = 120
NARROWEST = 24
MARK = "*"
# all control characters but newline and tab; line and paragraph separators; bidi controls
_UNSHOWN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


class Markup(str):
    """A table cell already written as HTML (a link): `html_table` puts it in unescaped.
    Made by this package only, from escaped parts."""


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


def plain(text: str) -> str:
    """`text` with each character a terminal would act on, or show text around in another
    order, written as an escape (`\\x1b`, `\\u202e`); newlines and tabs kept."""
    return _UNSHOWN.sub(_escaped, text)


def _escaped(found: re.Match[str]) -> str:
    code = ord(found[0])
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def counted(number: int, noun: str, plural: str = "") -> str:
    """`number` and the noun in its form for it: 1 category, 2 categories, 0 files."""
    return f"{number:,} {noun if number == 1 else plural or noun + 's'}"


def html_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    marked: Sequence[bool] | None = None,
    caption: str = "",
) -> str:
    """An HTML table, styled and scrolled as the module says; rows whose `marked` flag is set
    are highlighted."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = []
    for index, row in enumerate(rows):
        css = ' class="jp-mlops-diff"' if marked and marked[index] else ""
        cells = "".join(
            f"<td>{v if isinstance(v, Markup) else html.escape(cell(v))}</td>" for v in row
        )
        body.append(f"<tr{css}>{cells}</tr>")
    title = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return (
        f'<div class="jp-mlops">{STYLE}<table class="jp-mlops-table">{title}'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
    )


def text_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    marked: Sequence[bool] | None = None,
) -> str:
    """A fixed-width text table for terminals and plain reprs. A cell holding line breaks,
    or too wide for the table to fit LINE_WIDTH, takes several lines; rows whose `marked`
    flag is set start with MARK."""
    headers = [plain(h) for h in headers]
    texts = [[plain(cell(v)) for v in row] for row in rows]
    limits = _limits([len(h) for h in headers], texts)
    cells = [
        [_wrapped(text, limit) for text, limit in zip(row, limits, strict=True)] for row in texts
    ]
    widths = [len(h) for h in headers]
    for row in cells:
        widths = [max(w, *map(len, c)) for w, c in zip(widths, row, strict=True)]
    indent = "  " if marked else ""
    lines = [indent + _joined(list(headers), widths)]
    for index, row in enumerate(cells):
        flagged = bool(marked and marked[index])
        for depth in range(max(map(len, row))):
            parts = [c[depth] if depth < len(c) else "" for c in row]
            start = f"{MARK} " if flagged and depth == 0 else indent
            lines.append(start + _joined(parts, widths))
    return "\n".join(lines)


def _limits(widths: list[int], texts: list[list[str]]) -> list[int]:
    """Each column's width: while the table is wider than LINE_WIDTH, the widest column that
    can be narrowed (to NARROWEST, or to its longest word) loses a character."""
    words = list(widths)
    for row in texts:
        widths = [max(w, len(t)) for w, t in zip(widths, row, strict=True)]
        words = [max(w, _longest_word(t)) for w, t in zip(words, row, strict=True)]
    floors = [min(w, max(NARROWEST, word)) for w, word in zip(widths, words, strict=True)]
    excess = sum(widths) + 2 * (len(widths) - 1) - LINE_WIDTH
    while excess > 0:
        narrowable = [i for i, w in enumerate(widths) if w > floors[i]]
        if not narrowable:
            break
        widest = max(narrowable, key=widths.__getitem__)
        widths[widest] -= 1
        excess -= 1
    return widths


def _longest_word(text: str) -> int:
    """The longest run without a space; a short text is never narrowed, so its length."""
    return max(map(len, text.split()), default=0) if len(text) > NARROWEST else len(text)


def _wrapped(text: str, limit: int) -> list[str]:
    if len(text) <= limit and text.isprintable():
        return [text]  # most cells: nothing to wrap
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        lines += textwrap.wrap(
            paragraph, limit, break_long_words=False, break_on_hyphens=False
        ) or [""]
    return lines


def _joined(parts: list[str], widths: list[int]) -> str:
    return "  ".join(p.ljust(w) for p, w in zip(parts, widths, strict=True)).rstrip()


def text_section(title: str, body: str) -> str:
    """A titled block of text, its body indented under the title."""
    return f"{title}\n{textwrap.indent(plain(body), '  ')}"


def details(summary: str, body_html: str) -> str:
    return f"<details><summary>{html.escape(summary)}</summary>{body_html}</details>"


def pre(text: str) -> str:
    return f"<pre>{html.escape(text)}</pre>"


def pretty_json(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, default=str)
