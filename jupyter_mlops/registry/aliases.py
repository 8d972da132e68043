"""Where a rollback takes an alias, read from its audit trail.

Rollbacks undo moves like an undo stack: after promotes 1 -> 2 -> 3, one rollback
returns to 2 and a second to 1. A promote after a rollback is a new move, which the
next rollback undoes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from jupyter_mlops.errors import ConflictError


def rollback_target(
    events: Sequence[dict[str, Any]], *, name: str, alias: str
) -> tuple[int, int | None]:
    """(id of the move to undo, the version the alias returns to) for `events`, oldest first."""
    moves: list[dict[str, Any]] = []
    for event in events:
        if event["action"] == "rollback" and moves:
            moves.pop()
        elif event["action"] != "rollback":
            moves.append(event)
    if not moves:
        raise ConflictError(
            f"{name}@{alias} has no move left to undo; promote the version you want instead."
        )
    last = moves[-1]
    if last["from_version"] is None:
        raise ConflictError(
            f"{name}@{alias} pointed at nothing before version {last['to_version']} was promoted, "
            f"so there is nothing to roll back to; promote the version you want instead."
        )
    return int(last["id"]), int(last["from_version"])
