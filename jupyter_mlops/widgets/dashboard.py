"""`dashboard()`: the fleet, or one model's dashboard, refreshing on its own if asked."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from jupyter_mlops.errors import InvalidArgumentError, Option
from jupyter_mlops.registry import Registry
from jupyter_mlops.widgets.fleet import FleetDashboard
from jupyter_mlops.widgets.model import ModelDashboard

_EVERY = re.compile(r"([0-9]+(?:\.[0-9]+)?)\s*(s|m|h|d)?")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, None: 1}


def dashboard(
    registry: Registry | None = None,
    model: str | None = None,
    *,
    refresh: str | float | None = None,
    variables: Callable[[str], Any] | None = None,
) -> FleetDashboard | ModelDashboard:
    """The fleet (no `model`) or one model's dashboard; `refresh` ("30s", "5m", seconds)
    refreshes it on its own while it is on screen; `variables` reads a notebook's
    DataFrame by name (the Drift tab's "data")."""
    registry = registry if registry is not None else Registry()
    seconds = every(refresh)
    if model is not None:
        from jupyter_mlops.registry.refs import parse_ref

        found = parse_ref(model)
        if found.model != model:
            raise InvalidArgumentError(
                f"a dashboard shows a whole model, all its versions and aliases; give its name "
                f"alone ({found.model!r}, not {model!r})."
            )  # an unknown name is said in its status line: no read blocks the kernel here
        return ModelDashboard(registry, found.model, refresh=seconds, variables=variables)

    def opened(name: str) -> ModelDashboard:
        return ModelDashboard(registry, name, refresh=seconds, variables=variables)

    return FleetDashboard(registry, refresh=seconds, opened=opened)


def every(text: str | float | None) -> float:
    """`30s`, `5m`, `1h` or a number of seconds (at least 5), as seconds; None: 0, never."""
    if text is None:
        return 0
    match = _EVERY.fullmatch(str(text).strip())
    seconds = float(match[1]) * _SECONDS[match[2]] if match else None
    if seconds is None or not 5 <= seconds <= 86_400:
        raise InvalidArgumentError(
            f"cannot refresh every {text!r}; give a span from 5 s to a day, e.g. ",
            Option("refresh", python="'30s'", typed="30s"),
            ".",
        )
    return seconds
