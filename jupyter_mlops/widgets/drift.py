"""The Drift tab: the newest drift verdicts per feature, worst first, and each feature's
statistic per check over its threshold; on request, drift of a chosen window measured now.

On open it reads only what checks stored (`drift_history`), never the prediction log;
"Measure" runs a drift report of the chosen window (the newest day or week of the log,
or a DataFrame of the notebook named by its variable) without recording it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import ipywidgets as widgets

from jupyter_mlops import operations
from jupyter_mlops.errors import InvalidArgumentError
from jupyter_mlops.monitoring.history import DriftHistory
from jupyter_mlops.registry import Registry
from jupyter_mlops.registry.display import counted
from jupyter_mlops.widgets.figures import figure_box
from jupyter_mlops.widgets.panel import Panel

WINDOWS = {"the last day": "1d", "the last week": "7d", "the whole log": None, "dates": "dates"}


class DriftTab(Panel):
    """`measure(window=..., variable=...)` is what the Measure button does."""

    def __init__(
        self, registry: Registry, model: str, *, variables: Callable[[str], Any] | None = None
    ) -> None:
        self.model = model
        self.title = f"{model}: drift"
        self.variables = variables
        super().__init__(registry)
        self.window = widgets.Dropdown(options=list(WINDOWS), description="window")
        self.since = widgets.DatePicker(description="from")
        self.until = widgets.DatePicker(description="to (incl.)")
        self.variable = widgets.Text(placeholder="or a DataFrame variable", description="data")
        self.measure_button = widgets.Button(description="Measure", icon="play")
        self.measure_button.on_click(lambda _: self.measure())
        self.report = widgets.HTML()
        self.feature = widgets.Dropdown(description="feature")
        self.feature.observe(lambda change: self.show_feature(change.new), names="value")
        self.figure = widgets.Box()
        self.overlay = widgets.Box()
        self.measured: Any = None  # the DataFrame last measured, which the overlay shows
        self.ref = model  # what Measure judges: read with the history
        self.history = widgets.HTML()
        controls = widgets.VBox([
            widgets.HBox([self.window, self.since, self.until]),
            widgets.HBox([self.variable, self.measure_button]),
        ])  # fmt: skip
        self.body.children = [
            controls, self.report, self.feature, widgets.HBox([self.overlay, self.figure]),
            self.history,
        ]  # fmt: skip

    def read(self) -> tuple[DriftHistory, str]:
        """The stored verdicts, and what Measure judges: the champion, else the newest
        version."""
        versions = operations.versions(self.registry, model=self.model)
        champion = any("champion" in v.aliases for v in versions)
        newest = f"{self.model}:{versions[-1].version}" if versions else self.model
        return operations.drift_history(self.registry, model=self.model), (
            f"{self.model}@champion" if champion else newest
        )

    def show(self, found: tuple[DriftHistory, str]) -> None:
        history, self.ref = found
        self.history.value = history._repr_html_()
        self.feature.options = history.features() if len(history) else []
        self.shown = history

    def done_text(self, found: tuple[DriftHistory, str]) -> str:
        history, ref = found
        if not len(history):
            return (
                f"no drift checks of {self.model} recorded yet; measure one here, or run "
                f"%mlops drift {ref}"
            )
        return f"{counted(len(history), 'drift check')} of {self.model}"

    def _dates(self) -> str | None:
        """The picked dates as a range the operations read, the last day included."""
        since, until = self.since.value, self.until.value
        if since is None or until is None:
            self.status.failed(InvalidArgumentError("pick both dates of the range, from and to."))
            return None
        return f"{since.isoformat()}..{(until + timedelta(days=1)).isoformat()}"

    def show_feature(self, feature: str | None) -> Any:
        """The feature's reference and current distributions overlaid (current: the frame
        last measured, else the chosen window of the log), and its statistic per check over
        its threshold."""
        if not feature:
            self.figure.children, self.overlay.children = [], []
            return None
        window = None if self.measured is not None else WINDOWS.get(self.window.value)
        if window == "dates":
            window = self._dates() if self.since.value and self.until.value else "7d"

        def read() -> tuple[Any, DriftHistory]:
            shares = operations.distributions(
                self.registry,
                ref=self.ref,
                feature=feature,
                current=self.measured,
                window=window,
            )
            return shares, operations.drift_history(
                self.registry, model=self.model, feature=feature
            )

        def show(found: tuple[Any, DriftHistory]) -> None:
            shares, history = found
            self.overlay.children = [figure_box(shares)]
            self.figure.children = [figure_box(history)]
            self.status.done(shares.title)

        return self.loader.submit(read, show)

    def measure(self, *, window: str | None = None, variable: str | None = None) -> Any:
        """Drift of the newest `window` of the log, or of a notebook's DataFrame, now."""
        chosen = self.window.value if window is None else window
        name = (self.variable.value if variable is None else variable).strip()
        self.report.value, self.measured = "", None  # a refusal leaves no older report
        current = None
        if name:
            if self.variables is None:
                self.status.failed(
                    InvalidArgumentError("no notebook variables are reachable here.")
                )
                return None
            try:
                current = self.variables(name)
            except Exception as exc:  # a name that is not defined: said in the status line
                self.status.failed(InvalidArgumentError(str(exc)))
                return None
        ref = self.ref

        span = None if current is not None else WINDOWS.get(chosen, chosen)
        if span == "dates":
            span = self._dates()
            if span is None:
                return None

        def read() -> Any:
            return operations.drift(
                self.registry, ref=ref, current=current, window=span, save=False
            )

        def show(report: Any) -> None:
            self.measured = current
            self.report.value = report._repr_html_()
            drifted = f"{len(report.drifted)} of {len(report.inputs)} features drifted"
            self.status.done(f"drift of {ref} measured, not recorded: {drifted}")

        self.status.loading(f"measuring drift of {ref}")
        return self.loader.submit(read, show)
