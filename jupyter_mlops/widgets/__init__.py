"""Dashboards in the notebook: the fleet, and one model's versions, drift, performance and
controls, as live widgets that read the registry through the operations."""

from jupyter_mlops.widgets.dashboard import dashboard

__all__ = ["dashboard"]
