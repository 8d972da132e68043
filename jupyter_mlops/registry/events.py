"""The audit trail of a model: every move of an alias (who, when, why, from which version
to which), and every change to a stored version (its archiving, its monitoring reference),
read together, oldest first. Both kinds of entry share the keys of an alias move in JSON
(`kind` tells them apart), so a client lists them in one table."""

from __future__ import annotations

import html
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from jupyter_mlops.jsonable import fields_of, jsonable
from jupyter_mlops.registry.records import RecordTable


@dataclass(frozen=True, repr=False)
class AliasEvent:
    """One move of an alias: who moved it, when, why, from which version to which."""

    id: int
    model: str
    alias: str
    from_version: int | None
    to_version: int | None
    action: str
    reason: str
    moved_at: datetime
    moved_by: str
    evidence: dict[str, Any] | None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> AliasEvent:
        values = dict(row)
        values["evidence"] = json.loads(values["evidence"]) if values["evidence"] else None
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "alias", **fields_of(self)}

    def __str__(self) -> str:
        before = "-" if self.from_version is None else self.from_version
        after = "-" if self.to_version is None else self.to_version
        return (
            f"{self.model}@{self.alias}: {before} -> {after} "
            f"({self.action} by {self.moved_by}: {self.reason or 'no reason given'})"
        )

    __repr__ = __str__

    def _repr_html_(self) -> str:
        return History([self])._repr_html_()


@dataclass(frozen=True)
class Unmoved:
    """A promote (or rollback) to the version its alias points at already: nothing moved,
    so the audit trail, which records moves, records nothing."""

    model: str
    alias: str
    version: int | None
    action: str

    @property
    def from_version(self) -> int | None:
        return self.version

    @property
    def to_version(self) -> int | None:
        return self.version

    def to_dict(self) -> dict[str, Any]:
        """An alias move's keys that apply (from and to the same version), `kind`
        "unchanged", `changes` false and the `note` saying so."""
        return {
            "kind": "unchanged",
            **fields_of(self, leave_out=("version",)),
            "from_version": self.version,
            "to_version": self.version,
            "changes": False,
            "note": str(self),
        }

    def __str__(self) -> str:
        return (
            f"{self.model}@{self.alias} points at version {self.version} already; nothing "
            "changed, so no move was recorded."
        )

    __repr__ = __str__

    def _repr_html_(self) -> str:
        return f"<p>{html.escape(str(self))}</p>"


@dataclass(frozen=True)
class VersionEvent:
    """A change to a stored version (its monitoring reference), shown in the audit trail
    beside the alias moves."""

    id: int
    model: str
    version: int
    action: str
    changed_at: datetime
    changed_by: str
    reason: str | None
    detail: str

    alias = ""

    @property
    def moved_at(self) -> datetime:
        return self.changed_at

    @property
    def moved_by(self) -> str:
        return self.changed_by

    # a version event moves no alias: no version it went from or to
    from_version = to_version = None

    def to_dict(self) -> dict[str, Any]:
        """An alias move's keys (no alias, no version moved from or to), with `kind`
        "version", the version changed and its change (`detail`, decoded)."""
        return {
            "kind": "version",
            **fields_of(self, leave_out=("changed_at", "changed_by", "detail")),
            "alias": self.alias,
            "from_version": None,
            "to_version": None,
            "moved_at": jsonable(self.moved_at),
            "moved_by": self.moved_by,
            "detail": jsonable(json.loads(self.detail)),
            "summary": self.summary,
        }

    @property
    def summary(self) -> str:
        """The event in words: `archived version 1`, `version 1 reference: ... (was ...)`."""
        if self.action == "archive":
            return f"archived version {self.version}"
        changed = json.loads(self.detail)
        return (
            f"version {self.version} {self.action}: {changed.get('to')} (was {changed.get('from')})"
        )


class History(RecordTable[AliasEvent]):
    """The audit trail of alias moves (and of changes to versions), oldest first."""

    columns: ClassVar[list[str]] = ["at (UTC)", "alias", "action", "from", "to", "by", "reason"]
    optional_integers = ("from", "to")
    empty = "no alias moves yet"

    def _rows(self) -> list[list[Any]]:
        return [
            [e.moved_at, e.alias, _action(e), e.from_version, e.to_version, e.moved_by, e.reason]
            for e in self
        ]


def _action(event: AliasEvent | VersionEvent) -> str:
    return event.summary if isinstance(event, VersionEvent) else event.action


class AuditTrail(History):
    """A model's audit trail newest first, as a dashboard lists it: who, when, why, from
    which version to which, and what was done; the latest `limit` entries (None: all)."""

    def __init__(self, events: Iterable[Any], *, model: str, limit: int | None) -> None:
        super().__init__(events)
        self.model = model
        self.limit = limit

    def _empty(self) -> str:
        return f"{self.model}: no alias moves yet"

    def __str__(self) -> str:
        latest = "" if self.limit is None else f", the latest {self.limit}"
        title = f"audit trail of {self.model}, newest first{latest}"
        return f"{title}\n{super().__str__()}" if self else self._empty()

    __repr__ = __str__

    def to_dict(self) -> dict[str, Any]:
        """`rows`: each entry as JSON data, newest first (`kind` tells an alias move from a
        change to a version), with the model and the `limit` asked for."""
        return {"model": self.model, "limit": self.limit, **super().to_dict()}
