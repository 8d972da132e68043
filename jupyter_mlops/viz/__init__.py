"""Plotly figure builders: data in, Figure out (reused by the dashboards)."""
