"""Shared fixtures: real registries in tmp_path, real data, a real IPython shell."""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import pandas as pd
import pytest
from IPython.core.interactiveshell import InteractiveShell
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression

from jupyter_mlops import Registry, operations
from jupyter_mlops.monitoring import compaction, logs
from jupyter_mlops.store.lake import LakeDatabase
from jupyter_mlops.store.lake_urls import PREFIX
from tests.postgres import Cluster, cluster, copy_catalog

ROOT = Path(__file__).resolve().parent.parent
T = TypeVar("T")
BROWSER = {"lab", "browser"}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A module's `BACKENDS = ("file", "lake")` runs each of its tests that uses the
    `registry` fixture (or one made from it) on a registry file and on a shared registry
    (DuckLake on PostgreSQL); `@pytest.mark.backends(...)` names one test's backends, whatever
    its module's are."""
    marked = metafunc.definition.get_closest_marker("backends")
    backends = marked.args if marked else getattr(metafunc.module, "BACKENDS", None)
    if backends and "backend" in metafunc.fixturenames:
        metafunc.parametrize("backend", backends)


PRIVATE_CRONTAB = """\
#!/bin/sh
# the crontab of this test run: `crontab -l`, `-r`, `-` (from stdin) and `FILE`, on one file
tab="$MLOPS_TESTS_CRONTAB"
case "$1" in
  -l|-r) [ -f "$tab" ] || { echo "no crontab for $(id -un)" >&2; exit 1; }
         if [ "$1" = -l ]; then exec cat "$tab"; else exec rm -f "$tab"; fi ;;
  -) cat > "$tab.new" && mv "$tab.new" "$tab" ;;
  *) cat "$1" > "$tab.new" && mv "$tab.new" "$tab" ;;
esac
"""


def pytest_configure(config: pytest.Config) -> None:
    """Every crontab the tests (and the processes they start) read or write is this run's
    own, a file behind a `crontab` program first on PATH: never the crontab of the user
    running them, whose cron would run the tests' entries. Set before any test module imports
    python-crontab, which looks its program up once."""
    folder = Path(tempfile.mkdtemp(prefix="mlops-crontab-"))
    program = folder / "bin" / "crontab"
    program.parent.mkdir()
    program.write_text(PRIVATE_CRONTAB)
    program.chmod(0o755)
    os.environ["MLOPS_TESTS_CRONTAB"] = str(folder / "tab")
    os.environ["PATH"] = f"{program.parent}{os.pathsep}{os.environ.get('PATH', '')}"
    atexit.register(shutil.rmtree, folder, True)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The files with the most slow tests first: `make test` hands whole files to its two
    workers, so the longest start early instead of ending the run alone. Each file keeps its
    tests in their order. A test in a real lab and browser weighs most."""
    weight: Counter[Path] = Counter()
    for item in items:
        weight[item.path] += 10 if item.get_closest_marker("slow") else 1
        weight[item.path] += 30 if BROWSER & set(getattr(item, "fixturenames", ())) else 0
    items.sort(key=lambda item: -weight[item.path])


@pytest.fixture(scope="session", autouse=True)
def default_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """What opens a registry without naming one (a loaded `%mlops`, `Registry()`, a child
    process) opens this session's, never the user's own ~/.jupyter-mlops."""
    home = tmp_path_factory.mktemp("default") / "registry"
    before = os.environ.get("MLOPS_HOME")
    os.environ["MLOPS_HOME"] = str(home)
    yield home
    if before is None:
        os.environ.pop("MLOPS_HOME", None)
    else:
        os.environ["MLOPS_HOME"] = before


@pytest.fixture(scope="session", autouse=True)
def jupyter_runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Where the running Jupyter servers are looked for (a schedule goes to one that has
    jupyter-scheduler): this session's own empty folder, so no test reaches a server this
    machine's user runs (pytest-jupyter gives each of its servers a folder of its own)."""
    runtime = tmp_path_factory.mktemp("jupyter-runtime")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("JUPYTER_RUNTIME_DIR", str(runtime))
        yield runtime


@pytest.fixture(scope="session")
def dataset() -> tuple[pd.DataFrame, pd.Series]:
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    return X, y


@pytest.fixture(scope="session")
def fitted(dataset: tuple[pd.DataFrame, pd.Series]) -> LogisticRegression:
    X, y = dataset
    return LogisticRegression(max_iter=5000).fit(X, y)


@pytest.fixture(scope="module")
def ipython() -> Iterator[InteractiveShell]:
    """A shell of this test module's own, with the extension loaded: the names, connection,
    display formats and settings one module leaves in a shell never reach another's tests.
    It is also `InteractiveShell.instance()` (what `get_ipython()` gives) while they run."""
    main = sys.modules["__main__"]  # a shell puts its user module there
    InteractiveShell.clear_instance()
    shell = InteractiveShell.instance()
    assert shell.run_cell("%load_ext jupyter_mlops").success
    try:
        yield shell
    finally:
        close_shell(shell)
        InteractiveShell.clear_instance()
        sys.modules["__main__"] = main  # multiprocessing's workers read the real one


def close_shell(shell: InteractiveShell) -> None:
    """End `shell` as leaving IPython does (its history session closed), now, not at exit;
    what opens a registry without naming one goes back to $MLOPS_HOME, as in a new process."""
    shell.run_line_magic("unload_ext", "jupyter_mlops")
    shell.atexit_operations()
    atexit.unregister(shell.atexit_operations)


@pytest.fixture(scope="session")
def postgres() -> Iterator[Cluster]:
    """This worker's own PostgreSQL server, for shared registries."""
    with cluster() as found:
        yield found


@pytest.fixture
def lake_url(postgres: Cluster) -> str:
    """The URL of a new, empty shared registry's catalog (a schema of its own)."""
    return postgres.url(postgres.new_schema())


@pytest.fixture
def backend() -> str:
    """What the `registry` fixture is: a registry file, unless a module's BACKENDS says."""
    return "file"


@pytest.fixture(scope="session")
def lake_template(postgres: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Registry:
    """A new shared registry, made once: each shared `registry` is a copy of it."""
    home = tmp_path_factory.mktemp("lake-template") / "registry"
    return Registry(postgres.url(postgres.new_schema()), data_path=home)


@pytest.fixture
def registry(tmp_path: Path, backend: str, request: pytest.FixtureRequest) -> Iterator[Registry]:
    if backend != "lake":
        yield Registry(tmp_path / "registry")
        return
    made = copied(request.getfixturevalue("lake_template"), tmp_path / "registry")
    yield made
    closed(made)


def copied(registry: Registry, home: Path) -> Registry:
    """A registry of its own holding what `registry` holds, its files under `home`: a
    registry file's folder copied, or a shared registry's catalog copied to a new schema of
    its PostgreSQL database, and its data path to `home`, which the copy adopts."""
    shutil.copytree(registry.home, home)
    if not isinstance(registry.db, LakeDatabase):
        return Registry(home)
    lake = registry.db
    schema = copy_catalog(lake.conninfo, lake.schema, data_path=home)
    url = f"{PREFIX}{lake.conninfo} schema={schema}"
    operations.adopt_data_path(url, data_path=home)  # the copied folder's mark names the original
    return Registry(url, data_path=home)


def closed(registry: Registry) -> None:
    """A shared registry's PostgreSQL connections in this process end (a test's catalog is
    never used again, and a server takes a limited number of connections)."""
    if isinstance(registry.db, LakeDatabase):
        registry.db.close()


def recorded_user(registry: Registry, user: str) -> str:
    """Who a change made as `user` ($MLOPS_USER) is recorded as: on a shared registry, the
    PostgreSQL role that made it, whatever the process claims."""
    if registry.shared:
        return registry.db.role()  # type: ignore[union-attr]
    return user


@pytest.fixture
def subprocess_env(tmp_path: Path) -> dict[str, str]:
    """The environment for child processes: this interpreter's bin first on PATH."""
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env["MLOPS_HOME"] = str(tmp_path / "registry")
    return env


def wait_for(
    condition: Callable[[], T], what: str, *, seconds: float = 60, every: float = 0.01
) -> T:
    """`condition()` once it is true, asked again every `every` seconds; failing after
    `seconds` only so that a broken system fails the test instead of hanging it."""
    deadline = time.monotonic() + seconds
    while not (value := condition()):
        assert time.monotonic() < deadline, f"waited {seconds} s for {what}"
        time.sleep(every)
    return value


@contextlib.contextmanager
def users_crontab(*, written: str = "") -> Iterator[None]:
    """The tests' crontab (`pytest_configure`) to this test alone, holding `written` after
    the lines it had during it. Afterwards the lines the test made go: `written`'s and the
    schedules of registries under pytest's temp folders; what anyone else changed meanwhile
    stays."""
    lock = Path(tempfile.gettempdir()) / f"jupyter-mlops-tests-crontab-{os.getuid()}.lock"
    with open(lock, "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        before = subprocess.run(["crontab", "-l"], capture_output=True, text=True).stdout
        if written:
            subprocess.run(["crontab", "-"], input=before + written, text=True, check=True)
        try:
            yield
        finally:
            _tests_lines_removed(set(written.splitlines()))


def _tests_lines_removed(written: set[str]) -> None:
    temp = str(Path(tempfile.gettempdir()) / "pytest-of-")
    now = subprocess.run(["crontab", "-l"], capture_output=True, text=True).stdout
    kept = [
        line
        for line in now.splitlines(keepends=True)
        if line.rstrip("\n") not in written and not ("jupyter-mlops" in line and temp in line)
    ]
    if kept:
        subprocess.run(["crontab", "-"], input="".join(kept), text=True, check=True)
    else:
        subprocess.run(["crontab", "-r"], capture_output=True)


def free_port() -> int:
    """A loopback port nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def logged_ids(home: Path, model: str, kind: str = logs.PREDICTIONS) -> list[str]:
    """The request ids in a model's log, sorted, read as monitoring reads it."""
    if not logs.has_log(home, kind, model):
        return []
    with compaction.reading(home, model) as held:
        rows = duckdb.execute(
            f"SELECT {logs.REQUEST_ID} FROM read_parquet(?, union_by_name = true)",
            [held.files(kind)],
        ).fetchall()
    return sorted(row[0] for row in rows)


class Disk:
    """A file system of its own (a small tmpfs), to fill up or to make read-only."""

    def __init__(self, mount: Path) -> None:
        self.mount = mount

    def fill(self, *, leave: int) -> None:
        """Take all the free space but `leave` bytes (roughly: tmpfs counts whole pages)."""
        stats = os.statvfs(self.mount)
        free = stats.f_bavail * stats.f_frsize
        with open(self.mount / "ballast", "ab") as ballast:
            ballast.write(b"\0" * max(free - leave, 0))

    def free(self) -> None:
        (self.mount / "ballast").unlink(missing_ok=True)

    def read_only(self) -> None:
        subprocess.run(["mount", "-o", "remount,ro", str(self.mount)], check=True)

    def writable(self) -> None:
        subprocess.run(["mount", "-o", "remount,rw", str(self.mount)], check=True)


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Any]:
    """A real `jupyter lab` on a free loopback port, its registry under tmp_path
    (`tests/lab.py`)."""
    from tests.lab import running_lab

    yield from running_lab(tmp_path)


@pytest.fixture
def browser() -> Iterator[Any]:
    """Debian's chromium through playwright, skipped or failed where it is missing."""
    from tests.lab import chromium

    yield from chromium()


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Disk]:
    """A real 64 MB file system to fill or make read-only (mounting one needs root, which
    `make test` has in CI)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(mount)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip("mounting a small file system needs root")
    try:
        yield Disk(mount)
    finally:
        subprocess.run(["umount", "--lazy", str(mount)], check=False)
