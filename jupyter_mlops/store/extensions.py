"""The DuckDB extensions a shared registry needs, loaded without a network where possible.

`pip install 'jupyter-mlops[team]'` brings DuckLake, the PostgreSQL scanner and httpfs (a
data path in a bucket) as Python packages (`duckdb-extension-ducklake`,
`duckdb-extension-postgres`, `duckdb-extension-httpfs`) built for the DuckDB
version this package pins. Each is installed from the file inside its package (DuckDB copies
it into its extension directory once) and loaded; where a package is missing, DuckDB's own
`INSTALL` fetches the extension from its repository, which needs a network.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import duckdb

from jupyter_mlops.errors import UnavailableError

# extension name -> (the Python package that carries it, its file's name in that package)
PACKAGES = {
    "postgres_scanner": ("duckdb_extension_postgres", "postgres"),
    "ducklake": ("duckdb_extension_ducklake", "ducklake"),
    "httpfs": ("duckdb_extension_httpfs", "httpfs"),  # a data path in a bucket (s3://)
}
TEAM_EXTRA = "pip install 'jupyter-mlops[team]'"


def load(conn: duckdb.DuckDBPyConnection, *names: str) -> None:
    """Load each extension in `names` into `conn`, installing it first where needed."""
    installed = {
        name: (loaded, bool(done))
        for name, loaded, done in conn.execute(
            "SELECT extension_name, loaded, installed FROM duckdb_extensions()"
        ).fetchall()
    }
    for name in names:
        loaded, done = installed.get(name, (False, False))
        if loaded:
            continue
        try:
            if not done:
                found = packaged(name)
                conn.execute(f"INSTALL '{_quoted(found)}'" if found else f"INSTALL {name}")
            conn.execute(f"LOAD {name}")
        except duckdb.Error as exc:
            reason = str(exc).splitlines()[0]
            if "find the home directory" in reason:  # where DuckDB keeps its extensions
                raise UnavailableError(
                    f"DuckDB's {name} extension, which a shared registry needs, goes in a folder "
                    f"under your home directory, and HOME ({os.environ.get('HOME', '')!r}) is "
                    "not a folder; set HOME to your home folder and run this again."
                ) from None
            raise UnavailableError(
                f"DuckDB's {name} extension, which a shared registry needs, could not be "
                f"loaded ({reason}); install it with {TEAM_EXTRA}."
            ) from None


def packaged(name: str) -> str:
    """The extension's file inside its pip package, or '' when that package is missing."""
    package, stem = PACKAGES[name]
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return ""
    for folder in spec.submodule_search_locations:
        for found in sorted(Path(folder).glob(f"extensions/*/{stem}.duckdb_extension")):
            return str(found)
    return ""


def _quoted(text: str) -> str:
    return text.replace("'", "''")
