"""Moving aliases: promote, roll back, remove, each recorded as an audit event; where a
rollback takes an alias, read from its audit trail; the evidence of a move.

A promote or a rollback is first planned (`Move`: from which version to which, and the
error refusing it, if one does), then carried out as planned, so what a dialog shows
before the move is what the move does.

Rollbacks undo moves like an undo stack: after promotes 1 -> 2 -> 3, one rollback
returns to 2 and a second to 1. A promote after a rollback is a new move, which the
next rollback undoes. A promote to the version the alias points at already moves
nothing and records nothing (older registries hold such events: a rollback skips them).

A move chosen from a plan can say what the person saw: `expect`, where the alias
pointed, and for a rollback `to`, where it would return. If either is no longer so, the
move is refused, never carried out to a version nobody looked at.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from jupyter_mlops.clock import utc_now
from jupyter_mlops.errors import ConflictError, InvalidArgumentError, MlopsError, promote_command
from jupyter_mlops.registry import capture
from jupyter_mlops.registry.events import AliasEvent, Unmoved
from jupyter_mlops.registry.lookups import (
    find_version,
    require_alias_known,
    require_model,
    version_ref,
)
from jupyter_mlops.registry.refs import (
    ModelRef,
    check_alias,
    check_key,
    check_text,
    kind_of,
    parse_version,
)
from jupyter_mlops.store.alias_books import Book
from jupyter_mlops.store.backends import Store


def rollback_target(events: Sequence[dict[str, Any]], *, name: str, alias: str) -> tuple[int, int]:
    """(id of the move to undo, the version the alias returns to) for `events`, oldest first."""
    moves: list[dict[str, Any]] = []
    for event in events:
        if event["action"] == "rollback" and moves:
            moves.pop()
        elif event["action"] != "rollback" and event["from_version"] != event["to_version"]:
            moves.append(event)  # a move to where the alias was is none: nothing to undo
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
    book: Book,
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
    book.point(name, alias, before=before, after=after, at=at)
    event = {
        "model": name,
        "alias": alias,
        "from_version": before,
        "to_version": after,
        "action": action,
        "reason": reason,
        "moved_at": at,
        "moved_by": book.user(capture.current_user()),  # as it is recorded
        "evidence": evidence,
    }
    event_id = book.add_event(event)
    return AliasEvent.from_row({"id": event_id, **event})


@dataclass(frozen=True)
class Move:
    """What a change of the catalog would do, read in one transaction: the alias it moves
    from which version to which (an archive moves none), and the error that refuses it now
    (`refusal`, None when it would go ahead). The action itself carries out exactly this:
    a plan shown before it and the action share one set of rules."""

    model: str
    action: str
    alias: str | None
    version: int | None  # the version promoted, rolled back to, or archived
    before: int | None = None
    after: int | None = None
    refusal: MlopsError | None = None
    undoes: int | None = None  # a rollback: the id of the move it undoes
    changes: bool = True  # False: allowed, but nothing would change


def planned_promote(book: Book, name: str, version: int | str, alias: str) -> Move:
    """What pointing `alias` at `version` would do; an unknown model or version raises."""
    check_alias(alias)
    ref = version_ref(name, version)
    if ref.version is None:  # promoted through another alias: resolve it first
        ref = ModelRef(name, version=find_version(book.conn, ref).version)
    assert ref.version is not None
    status, current = book.target_state(name, ref.version, alias)
    if status is None:
        find_version(book.conn, ref)  # raises the model's or the version's not-found error
    refusal = None
    if status == "archived":
        refusal = ConflictError(
            f"{name} version {ref.version} is archived; register a new version or "
            "promote another one."
        )
    return Move(
        name,
        "promote",
        alias,
        ref.version,
        before=current,
        after=ref.version,
        refusal=refusal,
        changes=current != ref.version,
    )


def planned_rollback(book: Book, name: str, alias: str) -> Move:
    """Where undoing `alias`'s latest move not yet undone would take it: never to an
    archived version; an unknown model or alias raises."""
    current = book.aliases(name).get(alias)
    if current is None:
        require_model(book.conn, name)
        require_alias_known(book.conn, name, alias)
    try:
        undone, target = rollback_target(book.events(name, alias), name=name, alias=alias)
    except ConflictError as nothing_to_undo:
        return Move(name, "rollback", alias, None, before=current, refusal=nothing_to_undo)
    row = book.version_row(name, target)
    refusal = None
    if row is not None and row["status"] == "archived":
        refusal = ConflictError(
            f"rolling {name}@{alias} back would point it at version {target}, which is "
            "archived; promote the version you want instead (`",
            promote_command(name, alias),
            "`).",
        )
    return Move(
        name,
        "rollback",
        alias,
        target,
        before=current,
        after=target,
        refusal=refusal,
        undoes=undone,
        changes=current != target,
    )


def make_move(
    db: Store,
    planned: Callable[[Book], Move],
    *,
    reason: str,
    evidence: Mapping[str, Any] | None,
    expect: int | str | None = None,
    to: int | str | None = None,
) -> AliasEvent | Unmoved:
    """Check what the person gave, then plan the move (`planned`) and carry it out in one
    write transaction of `db`, so the plan is the registry's state when it is made."""
    check_text(reason, what="reason")
    evidence_text = evidence_json(evidence)
    expected = None if expect is None else parse_version(expect, what="expect")
    destination = None if to is None else parse_version(to, what="to")
    with db.moving() as book:
        return carry_out(
            book, planned(book), reason=reason, evidence=evidence_text, expect=expected,
            to=destination,
        )  # fmt: skip


def carry_out(
    book: Book,
    move: Move,
    *,
    reason: str,
    evidence: str | None,
    expect: int | None = None,
    to: int | None = None,
) -> AliasEvent | Unmoved:
    """Make the alias move `move` plans, in the caller's transaction; raise its refusal.
    `expect`: the version the person saw the alias point at; `to`: the version they saw
    it would go to. If either is no longer so, the move is refused (a dialog shown before
    another process moved the alias must not act). A move to where the alias points
    already records nothing."""
    if expect is not None:
        require_unmoved(book, move, expect)
    if to is not None and move.after is not None and move.after != to:
        raise ConflictError(
            f"{move.action} of {move.model}@{move.alias} would now go to version {move.after}, "
            f"not to version {to} as planned; look at {move.model} again and choose again."
        )
    if move.refusal is not None:
        raise move.refusal
    assert move.alias is not None
    if not move.changes:
        return Unmoved(move.model, move.alias, move.after, move.action)
    if move.undoes is not None:
        given = json.loads(evidence) if evidence else {}
        evidence = json.dumps({**given, "undoes_event": move.undoes})
    return record_move(
        book,
        move.model,
        alias=move.alias,
        before=move.before,
        after=move.after,
        action=move.action,
        reason=reason,
        evidence=evidence,
    )


def require_unmoved(book: Book, move: Move, expect: int) -> None:
    """Raise a conflict naming the alias's move since, when it no longer points at `expect`."""
    if move.before == expect:
        return
    assert move.alias is not None
    now = "nothing" if move.before is None else f"version {move.before}"
    moved = ""
    for last in book.events(move.model, move.alias, limit=1):
        by = last["moved_by"] or "someone"
        moved = f" ({last['action']} by {by} at {last['moved_at']:%Y-%m-%d %H:%M:%S} UTC)"
    raise ConflictError(
        f"{move.model}@{move.alias} moved since you looked: it points at {now}{moved}, not "
        f"version {expect}; look at {move.model} again and choose again."
    )


def remove(book: Book, name: str, alias: str, *, reason: str) -> AliasEvent:
    """Remove `alias` (its move recorded), in the caller's transaction."""
    current = book.aliases(name).get(alias)
    if current is None:
        require_model(book.conn, name)
        require_alias_known(book.conn, name, alias, current=True)
    return record_move(
        book,
        name,
        alias=alias,
        before=current,
        after=None,
        action="remove",
        reason=reason,
        evidence=None,
    )
