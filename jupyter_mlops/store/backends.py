"""What the code above the store asks of a registry's database, whichever it is: a registry
file (`connection.Database`) or a shared catalog (`lake.LakeDatabase`)."""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol

import duckdb


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

    def exists(self) -> bool: ...

    def generation(self) -> object:
        """What changes whenever a write is saved (compared, never read)."""
