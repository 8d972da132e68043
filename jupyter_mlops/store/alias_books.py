"""Where an alias move reads and writes: where aliases point, their audit trail, and the
status of the version an alias would point at.

A registry file keeps aliases in its own tables, read and written in the move's DuckDB
transaction (`CatalogBook`). A shared catalog keeps them in PostgreSQL tables beside
DuckLake's, moved in one PostgreSQL transaction of their own (`lake_aliases.LakeBook`).
Either way a move's rules (`registry/aliases.py`) read and write through a `Book`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

import duckdb

from jupyter_mlops.store import actors, catalog

Row = dict[str, Any]


class Book(Protocol):
    """What an alias move reads and writes."""

    @property
    def conn(self) -> duckdb.DuckDBPyConnection:
        """A connection to the rest of the catalog as the move sees it (its lookups)."""

    def target_state(self, model: str, version: int, alias: str) -> tuple[str | None, int | None]:
        """(status of the version or None, where the alias points now or None)."""

    def aliases(self, model: str) -> dict[str, int]: ...

    def events(
        self, model: str, alias: str | None = None, *, limit: int | None = None
    ) -> list[Row]:
        """The alias moves of `model` (of one `alias`), oldest first; the last `limit`."""

    def version_row(self, model: str, version: int) -> Row | None: ...

    def user(self, given: str) -> str:
        """Who the move is recorded as, for the user the process names (`given`)."""

    def point(
        self, model: str, alias: str, *, before: int | None, after: int | None, at: datetime
    ) -> None:
        """Point `alias` at `after` where it pointed at `before` (None: no alias)."""

    def add_event(self, event: Row) -> int:
        """Append the move's audit event; its id."""


class CatalogBook:
    """Aliases kept in the catalog's own tables, moved in the transaction of `conn`."""

    def __init__(self, conn: duckdb.DuckDBPyConnection) -> None:
        self.conn = conn

    def target_state(self, model: str, version: int, alias: str) -> tuple[str | None, int | None]:
        return catalog.alias_target_state(self.conn, model, version, alias)

    def aliases(self, model: str) -> dict[str, int]:
        return catalog.model_aliases(self.conn, model)

    def events(
        self, model: str, alias: str | None = None, *, limit: int | None = None
    ) -> list[Row]:
        return catalog.alias_events(self.conn, model, alias, limit=limit)

    def version_row(self, model: str, version: int) -> Row | None:
        return catalog.get_version(self.conn, model, version)

    def user(self, given: str) -> str:
        return actors.user(self.conn, given)

    def point(
        self, model: str, alias: str, *, before: int | None, after: int | None, at: datetime
    ) -> None:
        if after is None:
            catalog.delete_alias(self.conn, model, alias)
        elif before is None:
            catalog.insert_alias(self.conn, model, alias, after, at=at)
        else:
            catalog.update_alias(self.conn, model, alias, after, at=at)

    def add_event(self, event: Row) -> int:
        return catalog.insert_alias_event(self.conn, event)
