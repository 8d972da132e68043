"""A PostgreSQL server of the benchmark's own: `initdb` and `pg_ctl` in a temporary folder,
listening on a free loopback port, stopped and deleted at the end.

The same recipe as the tests' server (tests/postgres.py), kept apart so the benchmarks never
import the tests. As root the server runs as the `postgres` user, since PostgreSQL refuses
root; `make postgres` installs Debian's postgresql where it is missing. Unlike the tests'
server this one keeps fsync on: the benchmark times writes as a team's server would do them.
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
from collections.abc import Iterator
from pathlib import Path

SUPERUSER = "postgres"


class Server:
    """One running PostgreSQL server."""

    def __init__(self, folder: Path, port: int) -> None:
        self.folder, self.port = folder, port

    def conninfo(self, dbname: str = "postgres") -> str:
        return f"dbname={dbname} host=127.0.0.1 port={self.port} user={SUPERUSER}"

    def create_database(self, name: str) -> None:
        import psycopg

        with psycopg.connect(self.conninfo(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')

    def ducklake_url(self, dbname: str) -> str:
        """A shared registry's URL whose catalog is database `dbname`."""
        return f"ducklake:postgres:{self.conninfo(dbname)}"

    def sqlalchemy_url(self, dbname: str) -> str:
        """The same database as SQLAlchemy (MLflow's tracking URI) names it."""
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{dbname}"


def binaries() -> Path:
    """The folder holding initdb and pg_ctl: on PATH, else Debian's newest."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(os.path.realpath(found)).parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version)
    if not versions:
        raise SystemExit("PostgreSQL is not installed: run `make postgres` (as root)")
    return Path(versions[-1]).parent


def _version(path: str) -> float:
    try:
        return float(Path(path).parent.parent.name)
    except ValueError:
        return 0.0


@contextlib.contextmanager
def server() -> Iterator[Server]:
    """A new PostgreSQL server for as long as this runs."""
    folder = binaries()
    root = Path(tempfile.mkdtemp(prefix="mlops-bench-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        owner = pwd.getpwnam(SUPERUSER)
        os.chown(root, owner.pw_uid, owner.pw_gid)
        as_user = ["runuser", "-u", SUPERUSER, "--"]
    data = root / "data"
    port = _free_port()
    initdb = [*as_user, str(folder / "initdb"), "-D", str(data), "-U", SUPERUSER, "-A", "trust"]
    subprocess.run(initdb, check=True, capture_output=True)
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c max_connections=200"
    pg_ctl = [*as_user, str(folder / "pg_ctl"), "-D", str(data)]
    subprocess.run(
        [*pg_ctl, "-o", options, "-l", str(root / "log"), "-w", "start"],
        check=True,
        capture_output=True,
    )
    try:
        yield Server(root, port)
    finally:
        subprocess.run([*pg_ctl, "-m", "fast", "stop"], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
