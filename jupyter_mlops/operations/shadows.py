"""Challengers in shadow: the served version and its shadow compared on live requests."""

from __future__ import annotations

from jupyter_mlops.monitoring import live
from jupyter_mlops.monitoring.live import LiveComparison
from jupyter_mlops.registry import Registry


def compare_live(
    registry: Registry,
    *,
    model: str,
    window: str | int | None = "7d",
    champion: str | int = "champion",
    challenger: str | int = "challenger",
) -> LiveComparison:
    """Champion and challenger on the same logged requests (a deployment with the
    challenger in shadow logs both): rows paired and labelled, each side's metrics on the
    labelled paired rows, their difference, and how often the two predict the same.
    `champion` and `challenger` name versions as aliases, numbers or refs of `model`."""
    return live.compare_live(
        registry, model=model, window=window, champion=champion, challenger=challenger
    )
