"""DuckDB access: connect-per-operation with retry, ordered migrations, and all the SQL."""

from jupyter_mlops.store.connection import Database

__all__ = ["Database"]
