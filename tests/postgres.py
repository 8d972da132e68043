"""A throwaway PostgreSQL cluster for the tests of shared registries: `initdb` and `pg_ctl`
in a temporary folder, listening on a free loopback port, stopped and deleted at the end.

`make test` installs Debian's postgresql where it is missing (as root), so CI never skips
these tests. As root the server runs as the `postgres` user, since PostgreSQL refuses root.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg

SUPERUSER = "postgres"


def binaries() -> Path | None:
    """The folder holding initdb and pg_ctl: on PATH, else Debian's newest."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(os.path.realpath(found)).parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version)
    return Path(versions[-1]).parent if versions else None


def _version(path: str) -> float:
    try:
        return float(Path(path).parent.parent.name)
    except ValueError:
        return 0.0


class Cluster:
    """One running PostgreSQL server of the tests' own."""

    def __init__(self, folder: Path, port: int, pg_ctl: list[str], options: str) -> None:
        self.folder, self.port = folder, port
        self._pg_ctl, self._options = pg_ctl, options

    def start(self) -> None:
        log = str(self.folder / "log")
        command = [*self._pg_ctl, "-o", self._options, "-l", log, "-w", "start"]
        subprocess.run(command, check=True, capture_output=True)

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (`fast`: every session is ended, as a restart of the server does)."""
        subprocess.run([*self._pg_ctl, "-m", mode, "-w", "stop"], capture_output=True)

    def conninfo(self, dbname: str = "postgres", user: str = SUPERUSER, **more: str) -> str:
        words = {"dbname": dbname, "host": "127.0.0.1", "port": str(self.port), "user": user}
        return " ".join(f"{key}={value}" for key, value in (words | more).items())

    def url(self, schema: str, *, dbname: str = "mlops", user: str = SUPERUSER, **more: str) -> str:
        """A shared registry's URL whose catalog is `schema` of database `dbname`."""
        return f"ducklake:postgres:{self.conninfo(dbname, user, **more)} schema={schema}"

    def execute(self, sql: str, *, dbname: str = "mlops") -> list[tuple]:
        with psycopg.connect(self.conninfo(dbname), autocommit=True) as conn:
            cursor = conn.execute(sql)
            return cursor.fetchall() if cursor.description else []

    def new_schema(self, *, dbname: str = "mlops") -> str:
        name = f"t_{uuid.uuid4().hex[:12]}"
        self.execute(f"CREATE SCHEMA {name}", dbname=dbname)
        return name


def respelt(url: str) -> str:
    """The same shared registry's URL written otherwise: its keywords in reverse order, two
    spaces before `schema=`."""
    conninfo, schema = url.removeprefix("ducklake:postgres:").rsplit(" ", 1)
    return f"ducklake:postgres:{' '.join(reversed(conninfo.split()))}  {schema}"


def copy_catalog(conninfo: str, schema: str, *, data_path: Path) -> str:
    """A new schema beside `schema` holding a copy of the DuckLake catalog there (every
    table, every row), its files looked for under `data_path`: a copy of a shared registry,
    made far faster than its migrations run. Copying its files is the caller's part."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(conninfo) as conn:  # one transaction
        conn.execute(f"CREATE SCHEMA {name}")
        tables = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = %s", [schema]
        ).fetchall()
        for (table,) in tables:
            conn.execute(
                f'CREATE TABLE {name}."{table}" (LIKE {schema}."{table}" INCLUDING ALL); '
                f'INSERT INTO {name}."{table}" SELECT * FROM {schema}."{table}"'
            )
        conn.execute(
            f"UPDATE {name}.ducklake_metadata SET value = %s WHERE key = 'data_path'",
            [f"{data_path}/"],
        )
    return name


@contextlib.contextmanager
def cluster() -> Iterator[Cluster]:
    """A new cluster, with a database `mlops`, for as long as this runs."""
    folder_of_binaries = binaries()
    assert folder_of_binaries is not None, "PostgreSQL is not installed: run `make test`"
    root = Path(tempfile.mkdtemp(prefix="mlops-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        owner = pwd.getpwnam("postgres")
        os.chown(root, owner.pw_uid, owner.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    data = root / "data"
    port = _free_port()
    run = [*as_user, str(folder_of_binaries / "initdb"), "-D", str(data), "-U", SUPERUSER]
    subprocess.run([*run, "-A", "trust", "--no-sync"], check=True, capture_output=True)
    options = (
        f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
    )
    pg_ctl = [*as_user, str(folder_of_binaries / "pg_ctl"), "-D", str(data)]
    found = Cluster(root, port, pg_ctl, options)
    found.start()
    try:
        found.execute("CREATE DATABASE mlops", dbname="postgres")
        yield found
    finally:
        found.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
