"""What the code above the store asks of a registry's database, whichever it is: a registry
file (`connection.Database`) or a shared catalog (`lake.LakeDatabase`)."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol, TypeVar

import duckdb

from jupyter_mlops.store.alias_books import Book

T = TypeVar("T")


class Store(Protocol):
    lock_timeout: float

    @property
    def shared(self) -> bool:
        """Whether this is a team's shared catalog, not a file."""

    @property
    def path(self) -> Path | None:
        """The registry file (None: a shared catalog)."""

    def read(self) -> AbstractContextManager[duckdb.DuckDBPyConnection]: ...

    def write(self) -> AbstractContextManager[duckdb.DuckDBPyConnection]: ...

    def moving(self) -> AbstractContextManager[Book]:
        """Where an alias move reads and writes, in one write of its own."""

    def stored_as(self, table: str) -> str:
        """The name a copy writes the rows of the registry's `table` to."""

    def exists(self) -> bool: ...

    def generation(self) -> object:
        """What changes whenever a write is saved (compared, never read)."""

    def remembered(self, key: Hashable, compute: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
        """What `compute` reads of the registry as it is now (a result may be reused while
        nothing was written since; `key` names what `compute` reads)."""
