"""The Versions tab: a model's versions with their metrics, aliases, who and when; any
two side by side with their differences marked; the metrics across versions as a figure,
and the learning curves of the run a version came from."""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

import ipywidgets as widgets

from jupyter_mlops import operations
from jupyter_mlops.registry import Registry
from jupyter_mlops.registry.display import counted
from jupyter_mlops.registry.records import VersionList
from jupyter_mlops.widgets.figures import figure_box
from jupyter_mlops.widgets.panel import Panel


@dataclass
class Found:
    versions: VersionList

    def to_dict(self) -> dict[str, Any]:
        return {"versions": self.versions.to_dict()}

    def _repr_html_(self) -> str:
        return str(self.versions._repr_html_())


class VersionsTab(Panel):
    """`compare(a, b)` shows two versions side by side (what picking them does)."""

    def __init__(self, registry: Registry, model: str) -> None:
        self.model = model
        self.title = f"{model}: versions"
        super().__init__(registry)
        self.table = widgets.HTML()
        self.a = widgets.Dropdown(description="compare")
        self.b = widgets.Dropdown(description="with")
        self.compare_button = widgets.Button(description="Compare", icon="columns")
        self.compare_button.on_click(lambda _: self.compare(self.a.value, self.b.value))
        self.comparison = widgets.HTML()
        self.figure = widgets.Box()
        self.run = widgets.Dropdown(description="run of")
        self.run.observe(lambda change: self.curves(change.new), names="value")
        self.curve = widgets.Box()
        picker = widgets.HBox([self.a, self.b, self.compare_button])
        self.body.children = [
            self.table, picker, self.comparison, self.figure, self.run, self.curve,
        ]  # fmt: skip

    def read(self) -> Found:
        return Found(operations.versions(self.registry, model=self.model))

    def show(self, found: Found) -> None:
        versions = found.versions
        self.table.value = versions._repr_html_()
        numbers = [v.version for v in versions]
        self.a.options, self.b.options = numbers, numbers
        if len(numbers) >= 2:
            self.a.value, self.b.value = numbers[-2], numbers[-1]
        self.figure.children = self._metrics(versions)
        runs = [(f"version {v.version} (run {v.run_id})", v.run_id) for v in versions if v.run_id]
        self.run.options = [("", None), *runs]
        self.run.layout.display = "" if runs else "none"  # no run to pick: no empty picker

    def _metrics(self, versions: VersionList) -> list[widgets.Widget]:
        """The metrics across versions, or why there is no figure (empty axes explain nothing)."""
        if not versions:
            return []
        if any(v.metrics for v in versions):
            return [figure_box(versions)]
        note = (
            f"No version of {html.escape(self.model)} has metrics, so there is nothing to draw "
            "across versions; register with <code>--metrics auc=0.91</code> "
            "(<code>metrics=</code> in Python) to see them here."
        )
        return [widgets.HTML(f'<p class="jp-mlops-note">{note}</p>')]

    def done_text(self, found: Found) -> str:
        if not found.versions:
            return f"{self.model} has no versions yet; register one with %mlops register"
        return f"{counted(len(found.versions), 'version')} of {self.model}"

    def curves(self, run: str | None) -> Any:
        """The learning curves (every metric per step) of the run a version came from."""
        if not run:
            self.curve.children = []
            return None

        def read() -> Any:
            return operations.run_history(self.registry, run=run)

        def show(found: Any) -> None:
            self.curve.children = [figure_box(found)]
            self.status.done(f"{found.title}: {len(found.points)} points")

        return self.loader.submit(read, show)

    def compare(self, a: Any, b: Any) -> Any:
        """Show versions `a` and `b` side by side, differences first and marked."""
        if a is None or b is None:
            self.status.failed(_needs_two(self.model))
            return None
        self.status.loading(f"comparing {self.model} {a} and {b}")

        def read() -> Any:
            return operations.compare(self.registry, model=self.model, a=a, b=b)

        def show(found: Any) -> None:
            self.comparison.value = found._repr_html_()
            self.status.done(f"{self.model} {a} and {b} side by side")

        return self.loader.submit(read, show)


def _needs_two(model: str) -> Exception:
    from jupyter_mlops.errors import InvalidArgumentError

    return InvalidArgumentError(f"pick two versions of {model} to compare.")
