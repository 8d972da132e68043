"""`%mlops`: the notebook adapter over the core (parse, call, display)."""

from __future__ import annotations

from typing import Any

from jupyter_mlops.config import use_session_home
from jupyter_mlops.magics.completion import matcher
from jupyter_mlops.magics.mlops import MlopsMagics

__all__ = ["MlopsMagics", "load_ipython_extension", "unload_ipython_extension"]


def load_ipython_extension(ipython: Any) -> None:
    # `%config MlopsMagics` reads the shell's configurables: the instance that answers
    # `%mlops` (a Magics adds itself there), not one a `%reload_ext` replaced
    ipython.configurables[:] = [c for c in ipython.configurables if type(c) is not MlopsMagics]
    magics = MlopsMagics(ipython)
    ipython.register_magics(magics)
    completer = ipython.Completer
    completer.custom_matchers = [
        m for m in completer.custom_matchers if getattr(m, "__name__", "") != "complete_mlops"
    ]
    completer.custom_matchers.append(matcher(magics))


def unload_ipython_extension(ipython: Any) -> None:
    """`%unload_ext jupyter_mlops`: what opens a registry without naming one goes back to
    $MLOPS_HOME."""
    use_session_home(None)
