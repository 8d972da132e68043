"""Monitoring: reference profiles now; drift, windows and alerts build on them."""
