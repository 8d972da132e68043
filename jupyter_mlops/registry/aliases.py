"""Moving aliases: promote, roll back, remove, each recorded as an audit event; where a
rollback takes an alias, read from its audit trail; the evidence of a move.

Rollbacks undo moves like an undo stack: after promotes 1 -> 2 -> 3, one rollback
returns to 2 and a second to 1. A promote after a rollback is a new move, which the
next rollback undoes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import duckdb

from jupyter_mlops.clock import utc_now
from jupyter_mlops.errors import ConflictError, InvalidArgumentError, promote_command
from jupyter_mlops.registry import capture
from jupyter_mlops.registry.events import AliasEvent
from jupyter_mlops.registry.lookups import find_version, require_alias_known, require_model
from jupyter_mlops.registry.refs import ModelRef, check_key, kind_of
from jupyter_mlops.store import catalog


def rollback_target(events: Sequence[dict[str, Any]], *, name: str, alias: str) -> tuple[int, int]:
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


def evidence_json(evidence: Mapping[str, Any] | None) -> str | None:
    """`evidence` as the JSON text an audit event keeps (None when there is none).

    Only what JSON holds exactly is accepted: text keys; numbers, strings, booleans, None,
    lists and dicts of them. A NaN or an infinity is refused rather than stored as the
    non-standard `NaN` other JSON readers choke on; so is any other object."""
    if not evidence:
        return None
    if not isinstance(evidence, Mapping):
        raise InvalidArgumentError(
            f"evidence is {kind_of(evidence)}, not a dict; pass e.g. "
            "evidence={'auc': 0.91, 'check': 12}."
        )
    for key, value in evidence.items():
        check_key(key, what="evidence")
        try:
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError) as exc:
            shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
            raise InvalidArgumentError(
                f"evidence {key!r}={shown} cannot be stored as JSON ({exc}); give numbers, "
                "text, booleans, None, or lists and dicts of them (a NaN as None)."
            ) from None
    return json.dumps(dict(evidence), allow_nan=False)


def record_move(
    conn: duckdb.DuckDBPyConnection,
    name: str,
    *,
    alias: str,
    before: int | None,
    after: int | None,
    action: str,
    reason: str,
    evidence: str | None,
) -> AliasEvent:
    """Move `alias` from `before` to `after` (None: remove it) and append the audit event,
    in the caller's transaction."""
    at = utc_now()
    if after is None:
        catalog.delete_alias(conn, name, alias)
    elif before is None:
        catalog.insert_alias(conn, name, alias, after, at=at)
    else:
        catalog.update_alias(conn, name, alias, after, at=at)
    event = {
        "model": name,
        "alias": alias,
        "from_version": before,
        "to_version": after,
        "action": action,
        "reason": reason,
        "moved_at": at,
        "moved_by": capture.current_user(),
        "evidence": evidence,
    }
    event_id = catalog.insert_alias_event(conn, event)
    return AliasEvent.from_row({"id": event_id, **event})


def promote(
    conn: duckdb.DuckDBPyConnection,
    ref: ModelRef,
    alias: str,
    *,
    reason: str,
    evidence: str | None,
) -> AliasEvent:
    """Point `alias` at the version `ref` names, in the caller's transaction."""
    name = ref.model
    if ref.version is None:  # promoted through another alias: resolve it first
        ref = ModelRef(name, version=find_version(conn, ref).version)
    assert ref.version is not None
    status, current = catalog.alias_target_state(conn, name, ref.version, alias)
    if status is None:
        find_version(conn, ref)  # raises the model's or the version's not-found error
    if status == "archived":
        raise ConflictError(
            f"{name} version {ref.version} is archived; register a new version or "
            "promote another one."
        )
    return record_move(
        conn,
        name,
        alias=alias,
        before=current,
        after=ref.version,
        action="promote",
        reason=reason,
        evidence=evidence,
    )


def rollback(conn: duckdb.DuckDBPyConnection, name: str, alias: str, *, reason: str) -> AliasEvent:
    """Return `alias` to where its latest move not yet undone took it from, in the caller's
    transaction; never to an archived version."""
    require_model(conn, name)
    require_alias_known(conn, name, alias)
    events = catalog.alias_events(conn, name, alias)
    undone, target = rollback_target(events, name=name, alias=alias)
    row = catalog.get_version(conn, name, target)
    if row is not None and row["status"] == "archived":
        raise ConflictError(
            f"rolling {name}@{alias} back would point it at version {target}, which is "
            "archived; promote the version you want instead (`",
            promote_command(name, alias),
            "`).",
        )
    current = catalog.model_aliases(conn, name).get(alias)
    return record_move(
        conn,
        name,
        alias=alias,
        before=current,
        after=target,
        action="rollback",
        reason=reason,
        evidence=json.dumps({"undoes_event": undone}),
    )


def remove(conn: duckdb.DuckDBPyConnection, name: str, alias: str, *, reason: str) -> AliasEvent:
    """Remove `alias` (its move recorded), in the caller's transaction."""
    require_model(conn, name)
    current = catalog.model_aliases(conn, name).get(alias)
    if current is None:
        require_alias_known(conn, name, alias, current=True)
    return record_move(
        conn,
        name,
        alias=alias,
        before=current,
        after=None,
        action="remove",
        reason=reason,
        evidence=None,
    )
