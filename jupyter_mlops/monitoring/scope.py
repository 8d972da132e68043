"""Which logged rows a reference names, in monitoring.

A prediction log holds the rows of every version of a model, each marked with the version
that answered it. Monitoring never pools them by accident:

- `churn:3` is version 3's rows;
- `churn@champion` is the rows of the versions the alias pointed at during the period
  looked at (its audit trail gives when it moved; before its first move it counts as
  pointing where it first pointed, so rows logged with earlier times still count);
- a bare `churn` means `churn@champion` (`registry.lookups.watched_ref`).

Every result says what was resolved and which versions its rows came from (`named`,
`rows_from`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import pandas as pd

from jupyter_mlops.monitoring import logs
from jupyter_mlops.registry.lookups import find_version, watched_ref
from jupyter_mlops.store import catalog

if TYPE_CHECKING:
    from jupyter_mlops.registry import Registry
    from jupyter_mlops.registry.records import Version

# (version, pointed at from, until); None: open-ended
Span = tuple[int, datetime | None, datetime | None]


@dataclass(frozen=True)
class Scope:
    """The versions whose logged rows a reference names, and when each was named."""

    model: str
    named: str
    spans: tuple[Span, ...]

    def versions(self, start: datetime | None = None, end: datetime | None = None) -> list[int]:
        """The versions named at some time in [start, end) (None: unbounded)."""
        found = []
        for number, opened, closed in self.spans:
            if end is not None and opened is not None and opened >= end:
                continue
            if start is not None and closed is not None and closed <= start:
                continue
            found.append(number)
        return sorted(set(found))

    def select(
        self, frame: pd.DataFrame, *, start: datetime | None = None, end: datetime | None = None
    ) -> pd.DataFrame:
        """The logged rows of the versions named during [start, end)."""
        if logs.VERSION not in frame:
            return frame
        wanted = self.versions(start, end)
        return frame[frame[logs.VERSION].isin(wanted)].reset_index(drop=True)


def resolve(registry: Registry, text: str) -> tuple[Version, Scope]:
    """The version a monitoring reference stands for now, and the scope of its rows."""
    with registry.db.read() as conn:
        ref = watched_ref(conn, text)
        version = find_version(conn, ref)
        if ref.alias is None:
            spans: tuple[Span, ...] = ((version.version, None, None),)
            return version, Scope(version.model, version.ref, spans)
        events = catalog.alias_events(conn, ref.model, ref.alias)
    return version, Scope(ref.model, f"{ref.model}@{ref.alias}", _spans(events))


def _spans(events: list[dict[str, object]]) -> tuple[Span, ...]:
    """When the alias pointed at each version, from its moves (oldest first)."""
    spans: list[Span] = []
    for index, event in enumerate(events):
        target = event["to_version"]
        if target is None:
            continue
        opened = None if not spans and index == 0 else event["moved_at"]
        closed = events[index + 1]["moved_at"] if index + 1 < len(events) else None
        spans.append((int(target), opened, closed))  # type: ignore[call-overload,arg-type]
    return tuple(spans)


def named(text: str, version: Version) -> str:
    """`churn@champion (version 2)`, or `churn:2` when that is what was named."""
    return text if text == version.ref else f"{text} (version {version.version})"


def rows_from(frame: pd.DataFrame | None) -> str:
    """`rows of version 2` or `rows of versions 1 (45) and 2 (45)`; "" without versions."""
    if frame is None or logs.VERSION not in frame or frame.empty:
        return ""
    counts = frame[logs.VERSION].value_counts().sort_index()
    numbers = [int(number) for number in counts.index.to_numpy()]
    if len(numbers) == 1:
        return f"rows of version {numbers[0]}"
    parts = [f"{number} ({int(rows):,})" for number, rows in zip(numbers, counts, strict=True)]
    return f"rows of versions {', '.join(parts[:-1])} and {parts[-1]}"
