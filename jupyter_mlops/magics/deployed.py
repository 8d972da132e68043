"""What `%mlops deploy` shows: the URL and the token, once, wherever the line is in its cell.

The registry keeps only the token's hash, so this output is the one chance to read it; it
is displayed when the deployment starts, not left to be the cell's last expression (a
statement after the magic used to make it vanish). A saved notebook should not hold it:
in a kernel it is shown by a widget whose saved form is a line without the token
(JupyterLab and Notebook save widget state only when asked to; nbclient and papermill do
by default, so their output files hold it in their widget state). Without a kernel
(terminal IPython) it is printed as text.
"""

from __future__ import annotations

import html
from typing import Any

from IPython.display import display

from jupyter_mlops.deploying import Deployment

_WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def show_deployment(shell: Any, found: Deployment) -> None:
    """Display where `found` answers and its token (once; never saved as plain output)."""
    if getattr(shell, "kernel", None) is None:
        display({"text/plain": found.announce()}, raw=True)
        return
    import ipywidgets

    shown = ipywidgets.HTML(
        value=(
            f"<b>{html.escape(found.ref)}</b> at <code>{html.escape(found.url)}</code> "
            f"(pid {found.pid})<br>token (shown once, not saved with the notebook): "
            f"<code>{html.escape(found.token or '')}</code>"
        )
    )
    saved = (  # what a saved notebook, or a frontend without widgets, shows instead
        f"{found.ref} at {found.url} (pid {found.pid}); its token is shown by a widget in the "
        "live notebook and is not saved with it (d = %mlops deploy ... keeps it in d.token)."
    )
    view = {"version_major": 2, "version_minor": 0, "model_id": shown.model_id}
    display({"text/plain": saved, _WIDGET_VIEW: view}, raw=True)
