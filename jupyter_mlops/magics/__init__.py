"""`%mlops`: the notebook adapter over the core (parse, call, display)."""

from __future__ import annotations

from typing import Any

from jupyter_mlops.magics.completion import matcher
from jupyter_mlops.magics.mlops import MlopsMagics

__all__ = ["MlopsMagics", "load_ipython_extension"]


def load_ipython_extension(ipython: Any) -> None:
    magics = MlopsMagics(ipython)
    ipython.register_magics(magics)
    completer = ipython.Completer
    completer.custom_matchers = [
        m for m in completer.custom_matchers if getattr(m, "__name__", "") != "complete_mlops"
    ]
    completer.custom_matchers.append(matcher(magics))
