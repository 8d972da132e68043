"""Monitoring: drift, performance over time, estimated performance, alert rules and delivery."""

from __future__ import annotations

from typing import Any

__all__ = ["Monitor"]


def __getattr__(name: str) -> Any:
    # imported on first use: Monitor pulls in pandas and NumPy
    if name == "Monitor":
        from jupyter_mlops.monitoring.monitor import Monitor

        return Monitor
    raise AttributeError(name)
