"""The one clock: times are stored as naive UTC (DuckDB TIMESTAMP), everywhere."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    """Now, in UTC, without a time zone attached."""
    return datetime.now(UTC).replace(tzinfo=None)
