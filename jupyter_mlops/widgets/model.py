"""One model's dashboard: its versions, drift, performance, jobs and controls in tabs, each
reading in the background; an action in Controls makes every open dashboard of the model
read again."""

from __future__ import annotations

import html
import weakref
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

import ipywidgets as widgets

from jupyter_mlops.registry import Registry
from jupyter_mlops.widgets.controls import ControlsTab
from jupyter_mlops.widgets.drift import DriftTab
from jupyter_mlops.widgets.jobs import JobsTab
from jupyter_mlops.widgets.panel import Panel, with_static
from jupyter_mlops.widgets.performance import PerformanceTab
from jupyter_mlops.widgets.ticker import Ticker
from jupyter_mlops.widgets.versions import VersionsTab

_OPEN: weakref.WeakSet[ModelDashboard] = weakref.WeakSet()


class ModelDashboard(widgets.VBox):
    """Tabs `versions`, `drift`, `performance`, `jobs`, `controls`; `refresh()` reads them
    all."""

    def __init__(
        self,
        registry: Registry,
        model: str,
        *,
        refresh: float = 0,
        variables: Callable[[str], Any] | None = None,
    ) -> None:
        self.registry, self.model = registry, model
        self.versions = VersionsTab(registry, model)
        self.drift = DriftTab(registry, model, variables=variables)
        self.performance = PerformanceTab(registry, model)
        self.jobs = JobsTab(registry, model)
        self.controls = ControlsTab(registry, model, changed=self._changed)
        self.tabs = widgets.Tab(children=list(self.panels))
        self.tabs.titles = ("Versions", "Drift", "Performance", "Jobs", "Controls")
        self.ticker = Ticker(self.refresh, seconds=refresh)
        heading = widgets.HTML(f"<h3>{model}</h3>")
        super().__init__(children=[heading, self.ticker, self.tabs])
        self.add_class("jp-mlops-model")  # its tab labels read in dark themes too (style.py)
        _OPEN.add(self)
        self.opening = self.refresh()

    @property
    def panels(self) -> tuple[Panel, ...]:
        return (self.versions, self.drift, self.performance, self.jobs, self.controls)

    def refresh(self) -> Future[None]:
        """Read every tab again; the future is done when all show what they read."""
        return _all([panel.refresh() for panel in self.panels])

    def _changed(self) -> None:
        for dashboard in list(_OPEN):
            if dashboard.model == self.model and dashboard.registry.home == self.registry.home:
                dashboard.refresh()

    def static_html(self) -> str:
        heading = f"<h3>{html.escape(self.model)}</h3>"
        return heading + "".join(panel.static_html() for panel in self.panels)

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        return with_static(self, super()._repr_mimebundle_(**kwargs))

    def close(self) -> None:
        _OPEN.discard(self)
        for child in (*self.panels, self.ticker, self.tabs):
            child.close()
        super().close()


def _all(futures: list[Future[None]]) -> Future[None]:
    done: Future[None] = Future()
    left = [len(futures)]

    def one(_: Any) -> None:
        left[0] -= 1
        if left[0] == 0:
            done.set_result(None)

    for future in futures:
        future.add_done_callback(one)
    return done
