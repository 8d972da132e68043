"""What every dashboard view is made of: a status line, a body its reads fill, a loader
that reads off the main thread, and a static form for front ends without widgets.

A view's `read()` calls operations (no SQL, statistics or registry logic here) and
returns what `show()` puts on screen; `refresh()` runs both through the loader and returns
a future (done when the view shows what it read). In a front end with no widget manager
(papermill, nbconvert, GitHub) the view's output holds `static_html()` as well, the same
tables and figures as plain HTML, so a saved notebook reads without "Loading widget...".
"""

from __future__ import annotations

import contextlib
import html
from concurrent.futures import Future
from typing import Any

import ipywidgets as widgets

from jupyter_mlops.errors import MlopsError
from jupyter_mlops.registry import Registry
from jupyter_mlops.widgets.loading import Loader
from jupyter_mlops.widgets.status import NotDone, StatusLine
from jupyter_mlops.widgets.style import STYLE

# how long showing a new dashboard waits for its first read, so that a front end without
# widgets (papermill's output) saves it whole; a slower read (a registry busy with another
# process) goes on in the background, and the saved form says it was still reading
STATIC_WAIT = 5.0


def with_static(view: Any, bundle: dict[str, Any] | None) -> dict[str, Any]:
    """`bundle` (the widget's view) with `text/html`, the view as plain HTML, beside it."""
    opening = getattr(view, "opening", None)
    if opening is not None:
        with contextlib.suppress(TimeoutError):
            opening.result(timeout=STATIC_WAIT)
    return {**(bundle or {}), "text/html": view.static_html()}


class Panel(widgets.VBox):
    """A view of the registry that reads in the background and shows what it read."""

    title = "dashboard"

    def __init__(self, registry: Registry, **kwargs: Any) -> None:
        self.registry = registry
        self.status = StatusLine()
        self.body = widgets.VBox()
        self.loader = Loader(failed=self.status.failed)
        self.shown: Any = None  # what the last read returned, as shown
        super().__init__(children=[widgets.HTML(STYLE), self.status, self.body], **kwargs)
        self.add_class("jp-mlops-dashboard")

    def read(self) -> Any:
        """What the view shows, from operations: runs on the loader's thread."""
        raise NotImplementedError

    def show(self, found: Any) -> None:
        """Put what `read` returned on screen."""
        raise NotImplementedError

    def refresh(self) -> Future[None]:
        """Read again (a change by another process shows now) and show it."""
        self.status.loading(f"reading {self.title}")
        return self.loader.submit(self.read, self._shown, key="refresh")

    def _shown(self, found: Any) -> None:
        self.shown = found
        self.show(found)
        self.status.done(self.done_text(found))

    def done_text(self, found: Any) -> str:
        return f"{self.title}, up to date"

    def wait(self, timeout: float = 60) -> None:
        """Return once the work asked of this view so far (reads, actions) is done."""
        self.loader.submit(lambda: None, lambda _: None).result(timeout=timeout)

    def act(self, what: str, action: Any, then: Any = None) -> Future[None]:
        """Run `action` (a change to the registry) on the loader's thread, then refresh; its
        refusal goes to the status line."""
        self.status.loading(what)

        def attempt() -> Any:
            try:
                return action()
            except MlopsError as exc:  # said as what was not done, and why
                raise NotDone(what, exc) from exc

        def done(result: Any) -> None:
            if then is not None:
                then(result)
            self.refresh()
            self.loader.submit(lambda: None, lambda _: self.status.done(f"{what}: done"))

        return self.loader.submit(attempt, done)

    def static_html(self) -> str:
        """The view as plain HTML, for a front end that shows no widgets."""
        body = getattr(self.shown, "_repr_html_", None)
        shown = body() if callable(body) else html.escape(str(self.shown or ""))
        if self.shown is None:
            said = self.status.text or "still reading the registry when this output was saved"
            shown = f"<p>{html.escape(said)}</p>"
        title = f"<h4>{html.escape(self.title)}</h4>"
        return f"{STYLE}<div class='jp-mlops-dashboard'>{title}{shown}</div>"

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        return with_static(self, super()._repr_mimebundle_(**kwargs))

    def close(self) -> None:
        self.loader.close()
        super().close()
