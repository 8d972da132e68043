"""Archiving a version: it is kept (it loads, for a look), but it is never `latest`, never
promoted and never served. The archiving is a version event in the model's audit trail
(who, when, why), which is how a later archive of the same version, or a load of it, can
say since when it has been archived.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb

from jupyter_mlops.clock import utc_now
from jupyter_mlops.errors import ConflictError, promote_command
from jupyter_mlops.registry.aliases import Move
from jupyter_mlops.registry.capture import current_user
from jupyter_mlops.registry.display import cell, pre
from jupyter_mlops.registry.lookups import find_version, version_ref
from jupyter_mlops.registry.records import Version
from jupyter_mlops.registry.refs import ModelRef
from jupyter_mlops.store import catalog
from jupyter_mlops.store.references import insert_version_event, version_events

ARCHIVED = "archived"


def planned_archive(conn: duckdb.DuckDBPyConnection, name: str, version: int | str) -> Move:
    """What archiving `version` would do: refused while an alias points at it, a change of
    nothing when it is archived already; an unknown model or version raises."""
    target = find_version(conn, version_ref(name, version))
    refusal = None
    if target.status != ARCHIVED and (holders := sorted(target.aliases)):
        refusal = _held(name, target.version, holders)
    changes = target.status != ARCHIVED
    return Move(name, "archive", None, target.version, refusal=refusal, changes=changes)


def _held(name: str, version: int, holders: list[str]) -> ConflictError:
    """The refusal to archive a version aliases point at, naming them and how to free it."""
    alias = holders[0] if len(holders) == 1 else "ALIAS"
    named = (
        f"alias {holders[0]} points"
        if len(holders) == 1
        else f"aliases {', '.join(holders[:-1])} and {holders[-1]} point"
    )
    return ConflictError(
        f"{named} at {name} version {version}, so it cannot be archived; point "
        f"{'it' if len(holders) == 1 else 'each'} at another version first (`",
        promote_command(name, alias),
        "`).",
    )


def archive(conn: duckdb.DuckDBPyConnection, name: str, version: int | str, reason: str) -> Version:
    """Archive a version no alias points at; one archived already is returned unchanged,
    with a note saying since when."""
    move = planned_archive(conn, name, version)
    if move.refusal is not None:
        raise move.refusal
    assert move.version is not None
    target = find_version(conn, ModelRef(name, version=move.version))
    if not move.changes:
        note = f"{name} version {target.version} was already archived{since(conn, target)}"
        return dataclasses.replace(target, note=f"{note}; nothing changed.")
    catalog.set_version_status(conn, name, target.version, ARCHIVED)
    insert_version_event(
        conn,
        {
            "model": name,
            "version": target.version,
            "action": "archive",
            "changed_at": utc_now(),
            "changed_by": current_user(),
            "reason": reason,
            "detail": json.dumps({"from": target.status, "to": ARCHIVED}),
        },
    )
    archived = find_version(conn, ModelRef(name, version=target.version))
    why = f": {reason}" if reason else ""
    note = f"{name} version {target.version} archived{since(conn, archived)}{why}"
    return dataclasses.replace(archived, note=note.rstrip(".") + ".")


@dataclass(frozen=True)
class Archived:
    """What an archive did, in one line: the version, since when and by whom, and why (or
    that it was archived already); what `archive` shows from a shell or a notebook."""

    version: Version

    def to_dict(self) -> dict[str, Any]:
        """The version as archived: its status and the `note` saying since when and why."""
        return self.version.to_dict()

    def __str__(self) -> str:
        return self.version.note

    __repr__ = __str__

    def _repr_html_(self) -> str:
        return pre(self.version.note)


def since(conn: duckdb.DuckDBPyConnection, version: Version) -> str:
    """` (since 2026-03-01 09:30 UTC, by ana)`, from the version's last archive event; ''
    for a version archived before archiving was recorded."""
    events = [
        e for e in version_events(conn, version.model, version.version) if e["action"] == "archive"
    ]
    if not events:
        return ""
    when: datetime = events[-1]["changed_at"]
    return f" (since {cell(when)} UTC, by {events[-1]['changed_by']})"


def archived_warning(conn: duckdb.DuckDBPyConnection, version: Version) -> str:
    """One sentence for loading an archived version: since when, which version is live,
    and how to serve this one again."""
    aliases = catalog.model_aliases(conn, version.model)
    latest = catalog.latest_version(conn, version.model)
    if aliases:
        alias = "champion" if "champion" in aliases else next(iter(aliases))
        live = f"{version.model}@{alias} is version {aliases[alias]}"
    elif latest is not None:
        live = f"the latest live version is {latest}"
    else:
        live = f"{version.model} has no live version"
    return (
        f"{version.model} version {version.version} is archived{since(conn, version)} and loads "
        f"only for a look: {live}; to serve it again, register it again as a new version."
    )
