"""What a forked child inherits from its parent's registry work, and must never end.

A process forked after its parent used a registry (multiprocessing's default on Linux)
holds copies of the parent's DuckDB engines and PostgreSQL sessions. It makes its own; the
inherited ones are kept here, unused, for the child's life: a DuckDB engine's end waits
for its threads, which stayed in the parent (the child would hang on its first registry
call), and a PostgreSQL session ended in the child would end the parent's.
"""

from __future__ import annotations

_INHERITED: list[object] = []


def inherited(*found: object) -> None:
    """Keep what a forked child inherited (engines, sessions) alive and unused for good."""
    _INHERITED.extend(found)
