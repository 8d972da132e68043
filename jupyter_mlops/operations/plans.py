"""What an alias move or an archive would change, before it happens: what a dialog shows
beside its confirming button, and the audit trail shown beside it.

A plan reads the registry and changes nothing. It is worked out by the very rules the
action applies (`Registry.plan_promote` and the others are the first half of `promote`,
`rollback` and `archive`), so a plan that is allowed is an action that succeeds, and a
refused plan carries the error the action would raise (and changes nothing). Between
the plan and the click another process may move the alias: an action given what the
plan showed (`expect`, the version the alias points at; a rollback's `to`, where it
returns) is refused then, rather than carried out to a version nobody looked at.

The running deployments a plan names are asked for their health, as the fleet asks
them, so a plan says which version each serves now (or that it did not say).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from jupyter_mlops.deploying import Deployment
from jupyter_mlops.deploying.control import recorded, with_health
from jupyter_mlops.errors import Face, Kind, MlopsError, Note
from jupyter_mlops.jsonable import fields_of
from jupyter_mlops.registry import Registry, team
from jupyter_mlops.registry.aliases import Move
from jupyter_mlops.registry.events import AuditTrail

# what a plan reports as refused; a busy registry or a broken disk is raised as it is
REFUSED = frozenset({Kind.USAGE, Kind.NOT_FOUND, Kind.CONFLICT, Kind.FORBIDDEN})


@dataclass(frozen=True)
class Plan:
    """What an action would change: the alias it moves from which version to which (an
    archive moves none: `version` is the one archived), the running deployments it
    affects, and whether it is allowed now or the `refusal` the action would raise."""

    action: str
    model: str
    alias: str | None
    version: int | None
    from_version: int | None
    to_version: int | None
    changes: bool  # False: allowed, but nothing would change
    deployments: list[Deployment]
    allowed: bool
    refusal: Note | None = None
    refusal_kind: str | None = None  # "conflict", "not_found", "usage", "forbidden"
    # where it is shown, which spells the fixes its refusal names; no part of its data
    face: Face = field(default=Face.PYTHON, repr=False, compare=False, metadata={"json": False})

    def to_dict(self) -> dict[str, Any]:
        """Its fields, the refusal as this face spells it, and `summary`: the sentence a
        dialog shows."""
        refusal = None if self.refusal is None else self.refusal.render(self.face)
        return {**fields_of(self), "refusal": refusal, "summary": str(self)}

    def __str__(self) -> str:
        if self.refusal is not None:
            return f"{self._head()} is refused: {self.refusal.render(self.face)}"
        return f"{self._head()}; {self._effect()}."

    __repr__ = __str__

    def _repr_html_(self) -> str:
        if self.refusal is None:
            return f'<p class="jp-mlops-plan">{html.escape(str(self))}</p>'
        return (
            f'<p class="jp-mlops-plan">{html.escape(self._head())} is <strong>refused</strong>: '
            f"{html.escape(self.refusal.render(self.face))}</p>"
        )

    def _head(self) -> str:
        """`promote churn@champion: 7 -> 6`, `archive churn version 3`."""
        if self.alias is None:
            named = "" if self.version is None else f" version {self.version}"
            return f"{self.action} {self.model}{named}"
        head = f"{self.action} {self.model}@{self.alias}"
        if self.to_version is None:
            return head
        return f"{head}: {_shown(self.from_version)} -> {self.to_version}"

    def _effect(self) -> str:
        """What changes for the servers: who follows the alias, who keeps a version."""
        if not self.changes:
            return _unchanged(self)
        listed = ", ".join(_deployment(d) for d in self.deployments)
        noun = "deployment" if len(self.deployments) == 1 else "deployments"
        if self.alias is None:
            kept = "it is kept, but no longer promoted nor served by a new deployment"
            serving = f"; {noun} {listed} keep serving it until undeployed" if listed else ""
            return kept + serving
        if not listed:
            return f"no running deployment follows {self.model}@{self.alias}"
        return f"{noun} {listed} will follow within a few seconds"


def plan_promote(
    registry: Registry, *, model: str, version: int | str, alias: str = "champion"
) -> Plan:
    """What pointing `alias` at `version` would change, or why it would be refused."""
    return _plan(
        registry, lambda: registry.plan_promote(model, version, alias), "promote", model, alias
    )


def plan_rollback(registry: Registry, *, model: str, alias: str = "champion") -> Plan:
    """Where a rollback would return `alias` to, what follows it, or why it would be refused."""
    return _plan(registry, lambda: registry.plan_rollback(model, alias), "rollback", model, alias)


def plan_archive(registry: Registry, *, model: str, version: int | str) -> Plan:
    """What archiving `version` would change, or why it would be refused."""
    asked = version if isinstance(version, int) else None
    return _plan(
        registry, lambda: registry.plan_archive(model, version), "archive", model, None, asked
    )


def audit(registry: Registry, *, model: str, limit: int | None = None) -> AuditTrail:
    """The audit trail of `model` newest first (the latest `limit` entries): who moved which
    alias, when, why, from which version to which, and each version archived or changed."""
    events = registry.history(model, limit=limit)
    return AuditTrail(reversed(events), model=model, limit=limit)


def _plan(
    registry: Registry,
    read: Callable[[], Move],
    action: str,
    model: str,
    alias: str | None,
    version: int | None = None,
) -> Plan:
    """The plan `read()` gives, with the deployments it affects; an error the action would
    raise for the same words (an unknown model, version or alias), as its refusal (of
    `version`, the version asked for, when one was)."""
    try:
        team.require_writable(registry.db)  # a role that may only read is refused the action
        move = read()
    except MlopsError as refused:
        if refused.kind not in REFUSED:
            raise
        return Plan(action, model, alias, version, None, None, False, [], False, *_refusal(refused))
    return Plan(
        move.action,
        model,
        move.alias,
        move.version,
        move.before,
        move.after,
        move.changes and move.refusal is None,
        _affected(registry, move),
        move.refusal is None,
        *((None, None) if move.refusal is None else _refusal(move.refusal)),
    )


def _refusal(error: MlopsError) -> tuple[Note, str]:
    """The error's message, its fixes kept as data for each face to spell, and its kind."""
    return Note(*(error.parts or (str(error),))), error.kind.value


def _affected(registry: Registry, move: Move) -> list[Deployment]:
    """The running deployments the move changes what they serve of: those following its
    alias (an archive: those serving that very version), as the registry records them."""
    ref = f"{move.model}:{move.version}" if move.alias is None else f"{move.model}@{move.alias}"
    found = recorded(registry, model=move.model, running_only=True)
    return with_health([d for d in found if d.ref == ref and d.status == "running"])


def _shown(version: int | None) -> str:
    return "none" if version is None else str(version)


def _deployment(found: Deployment) -> str:
    serving = "its version unknown" if found.version is None else f"serving v{found.version}"
    return f"{found.ref} (pid {found.pid}, {found.status}, {serving}, {found.url})"


def _unchanged(plan: Plan) -> str:
    if plan.alias is None:
        return "it is archived already: nothing changes"
    return f"it points there already: deployments keep serving version {plan.to_version}"
