"""Refreshing on its own: a timer in the browser that asks the kernel for a refresh only
while the dashboard is on screen, and never asks again before the last one is answered.

The timer lives in the front end because only it knows whether the output is visible (an
`IntersectionObserver` on the widget, the page's visibility). The kernel reads a request
when it is idle (a comm message waits behind a running cell), and answers by counting
`answered` up once the refresh is done; until then the timer sends nothing more, so a
long-running cell or a slow registry never finds a pile of refreshes waiting.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anywidget
import traitlets

_ESM = """
export default {
  render({ model, el }) {
    let visible = false;
    let waiting = false;
    const seen = new IntersectionObserver((entries) => {
      visible = entries.some((entry) => entry.isIntersecting);
    });
    seen.observe(el);
    const label = document.createElement("span");
    label.className = "jp-mlops-ticker";
    el.appendChild(label);
    const tick = () => {
      if (!visible || document.visibilityState !== "visible" || waiting) return;
      waiting = true;
      model.send({ refresh: model.get("answered") });
    };
    let timer = null;
    const start = () => {
      clearInterval(timer);
      const seconds = model.get("seconds");
      label.textContent = seconds > 0 ? `refreshes every ${seconds} s while shown` : "";
      timer = seconds > 0 ? setInterval(tick, seconds * 1000) : null;
    };
    model.on("change:seconds", start);
    model.on("change:answered", () => { waiting = false; });
    start();
    return () => { clearInterval(timer); seen.disconnect(); };
  }
};
"""


class Ticker(anywidget.AnyWidget):
    """Calls `refresh` every `seconds` while shown (0: never), one call at a time."""

    _esm = traitlets.Unicode(_ESM).tag(sync=True)
    seconds = traitlets.Float(0).tag(sync=True)
    answered = traitlets.Int(0).tag(sync=True)

    def __init__(self, refresh: Callable[[], Any], *, seconds: float = 0) -> None:
        super().__init__(seconds=seconds)
        self._refresh = refresh
        self.on_msg(self._asked)

    def _asked(self, widget: Any, content: Any, buffers: Any) -> None:
        if isinstance(content, dict) and "refresh" in content:
            self._refresh().add_done_callback(lambda _: self._answer())

    def _answer(self) -> None:
        self.answered += 1
