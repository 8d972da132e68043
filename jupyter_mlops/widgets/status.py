"""The line at the top of every dashboard saying what it is doing, what it last did, or
what went wrong and how to fix it: an error never escapes as a traceback that would
replace the widget."""

from __future__ import annotations

import html
import logging

import ipywidgets as widgets

from jupyter_mlops.errors import Face, MlopsError, RegistryBusyError

log = logging.getLogger(__name__)

LOADING, DONE, FAILED = "loading", "done", "failed"


class NotDone(Exception):
    """An action the registry refused: `what` was asked, `error` why it was not done."""

    def __init__(self, what: str, error: MlopsError) -> None:
        super().__init__(what)
        self.what, self.error = what, error


class StatusLine(widgets.HTML):
    """One line: `state` is loading, done or failed; `text` what it says in words."""

    def __init__(self) -> None:
        super().__init__(value="")
        self.add_class("jp-mlops-status")
        self.state = DONE
        self.text = ""

    def loading(self, what: str) -> None:
        self._show(LOADING, f"{what}...")

    def done(self, what: str) -> None:
        self._show(DONE, what)

    def failed(self, error: BaseException) -> None:
        """An error of ours in its notebook spelling; a busy registry says it is waiting;
        a bug of ours names itself (its traceback goes to the log, not over the widget)."""
        if isinstance(error, NotDone):
            text = f"{error.what} was not done: {error.error.render(Face.NOTEBOOK)}"
        elif isinstance(error, RegistryBusyError):
            text = f"the registry is busy: {error.render(Face.NOTEBOOK)}"
        elif isinstance(error, MlopsError):
            text = error.render(Face.NOTEBOOK)
        else:
            log.exception("a dashboard failed", exc_info=error)
            text = f"internal error ({type(error).__name__}: {error}); please report it."
        self._show(FAILED, text)

    def _show(self, state: str, text: str) -> None:
        self.state, self.text = state, text
        self.value = f'<span class="jp-mlops-status-{state}">{html.escape(text)}</span>'
