"""The registry as the server reaches it: every call runs in one of the extension's own
bounded thread pools, never on the event loop, and a read never creates a registry.

A write waiting for another process's lock blocks a thread for up to `lock_timeout`
seconds; the event loop keeps answering meanwhile (a busy registry then answers 503,
naming the server's own setting, `c.MlopsExtension.lock_timeout`). Reads take no lock,
so they have a pool of their own: a read never queues behind writes waiting for a lock.
`Registry(home)` creates its directory and file (a shared registry: its catalog's tables),
which a write wants and a read must not: a read of a home without `registry.duckdb`, or of
a catalog no registry was made in, reads an empty registry of the server's own instead
(made once, in a temporary directory removed at stop), so a list answers exactly as an
empty registry does, and a named model is not found in a sentence saying how to create the
registry. A home that is a file, or a `registry.duckdb` that is no file, is no missing
registry: it is opened, and answers the registry's own error; whether it exists is
answered by reading it, so a file damaged while the server runs is reported there too. A
location the server cannot take at all (a URL that is no shared registry's, a data path on
object storage) is answered by every route, in the sentence saying how to fix it.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from collections.abc import Callable
from concurrent.futures import CancelledError, ThreadPoolExecutor
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from tornado.ioloop import IOLoop

from jupyter_mlops.config import REGISTRY_FILE, Location
from jupyter_mlops.errors import (
    Command,
    Face,
    MlopsError,
    NotFoundError,
    RegistryBusyError,
    UnavailableError,
)
from jupyter_mlops.registry.locations import identity
from jupyter_mlops.store.lake import LakeDatabase

if TYPE_CHECKING:
    from jupyter_mlops.registry import Registry

T = TypeVar("T")
STOPPING = "the Jupyter server is stopping; start it again and repeat the request."
LOCK_TIMEOUT = "c.MlopsExtension.lock_timeout"  # what bounds the server's wait for a lock


class RegistryAccess:
    """The registry at `place` (a directory, or a shared registry's URL and data path),
    reached through two pools of `workers` threads, one for reads and one for writes; each
    write waits at most `lock_timeout` seconds for another process's lock. `refused`: why
    the place the server was given can hold no registry, what every call answers."""

    def __init__(
        self,
        place: Location,
        *,
        lock_timeout: float,
        workers: int = 4,
        refused: MlopsError | None = None,
    ) -> None:
        self.place = place
        self.shown = identity(place)  # a URL without its password
        self.lock_timeout = lock_timeout
        self.refused = refused
        self.readers = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="mlops-read")
        self.writers = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="mlops-write")
        self._empty: Path | None = None
        self._making_empty = threading.Lock()
        self._made = False  # a shared registry seen made: a catalog stays made
        self._role: str | None = None  # a shared registry's PostgreSQL role, once asked
        self.stopped = False

    @property
    def missing(self) -> bool:
        """Whether the home holds no registry at all (a home that is a file holds a wrong one);
        on a shared registry, whether none was made in its catalog yet (asked there)."""
        if self.place.url is not None:
            if not self._made:
                self._made = LakeDatabase(self.place.url, self.place.data_path).exists()
            return not self._made
        assert self.place.home is not None
        file = self.place.home / REGISTRY_FILE
        return not file.exists() and not (self.place.home.exists() and not self.place.home.is_dir())

    async def read(self, operation: str, *, named: str | None = None, **arguments: Any) -> Any:
        """`operations.<operation>(registry, **arguments)` off the event loop, as JSON data;
        with no registry yet, on an empty one, or (`named`: the model the request is about)
        a not-found error saying how to create it."""
        return await self._off_loop(self.readers, self._read, operation, named, arguments)

    async def write(self, operation: str, **arguments: Any) -> Any:
        """`operations.<operation>(registry, **arguments)` off the event loop, as JSON data,
        on the registry, which must exist already: a model is changed where it is held."""
        return await self._off_loop(self.writers, self._write, operation, None, arguments)

    async def _off_loop(self, pool: ThreadPoolExecutor, step: Callable[..., T], *args: Any) -> T:
        if self.stopped:
            raise UnavailableError(STOPPING)
        if self.refused is not None:
            raise self.refused
        try:
            return await IOLoop.current().run_in_executor(pool, step, *args)
        except RegistryBusyError as busy:
            raise busy.naming(LOCK_TIMEOUT) from None
        except (RuntimeError, CancelledError):
            if self.stopped:  # the pool refused or dropped the call as it shut down
                raise UnavailableError(STOPPING) from None
            raise

    async def describe(self) -> dict[str, Any]:
        """What GET /mlops/api/registry answers; a registry that cannot be opened raises
        its own error rather than read as one not made yet."""
        return {
            **await self._off_loop(self.readers, self._described),
            "version": metadata.version("jupyter-mlops"),
        }

    def stop(self) -> None:
        self.stopped = True
        for pool in (self.readers, self.writers):
            pool.shutdown(wait=False, cancel_futures=True)
        if self._empty is not None:
            shutil.rmtree(self._empty, ignore_errors=True)

    def _described(self) -> dict[str, Any]:
        """Where the registry is (a shared one: its URL without its password, its data path,
        the PostgreSQL role its changes are recorded as), and whether it exists."""
        found: dict[str, Any] = {"home": self.shown, "shared": self.place.shared}
        found |= {"exists": not self.missing, "data_path": None, "role": None}
        if found["exists"]:
            registry = self._open()
            registry.model_names()  # read: a file, a damaged file raise their error
            if isinstance(registry.db, LakeDatabase):
                found |= {"data_path": registry.data_path, "role": self._role_of(registry.db)}
        elif self.place.url is not None:
            lake = LakeDatabase(self.place.url, self.place.data_path)
            found |= {"data_path": self.place.data_path}
            found |= {"role": self._role_of(lake)}
        return found

    def _role_of(self, lake: LakeDatabase) -> str:
        """The PostgreSQL role this server's changes are recorded as, asked once. PostgreSQL
        answers it on this process's writer session, which a write waiting for another
        process's lock holds: asked again then, a read would queue behind that write."""
        if self._role is None:
            self._role = lake.role()
        return self._role

    def _read(self, operation: str, named: str | None, arguments: dict[str, Any]) -> Any:
        if not self.missing:
            return _called(operation, self._open(), arguments)
        if named is not None:
            raise self._missing()
        return _called(operation, self._empty_registry(), arguments)

    def _write(self, operation: str, _: None, arguments: dict[str, Any]) -> Any:
        if self.missing:
            raise self._missing()
        registry = self._open()
        if isinstance(registry.db, LakeDatabase):
            self._role_of(registry.db)  # known before this write can wait for the lock
        return _called(operation, registry, arguments)

    def _open(self, home: Path | None = None) -> Registry:
        """The registry served (`home`: a registry file's directory instead)."""
        from jupyter_mlops.registry import Registry

        if home is None and self.place.url is not None:
            place = self.place
            return Registry(place.url, data_path=place.data_path, lock_timeout=self.lock_timeout)
        return Registry(home or self.place.home, lock_timeout=self.lock_timeout)

    def _empty_registry(self) -> Registry:
        with self._making_empty:  # made and migrated once, by one thread
            if self._empty is None:
                made = Path(tempfile.mkdtemp(prefix="mlops-empty-"))
                self._open(made)
                self._empty = made
            return self._open(self._empty)

    def _missing(self) -> NotFoundError:
        return NotFoundError(
            f"there is no registry at {self.shown} yet; register a model in a notebook of this "
            "server (",
            Command("register", "NAME MODEL --data X y"),
            ") to create it.",
        )


def _called(operation: str, registry: Registry, arguments: dict[str, Any]) -> Any:
    """What `operations.<operation>` gives, as JSON data with its notes spelled as a notebook
    user types them. The operations are imported at the first call (about 0.8 s), in a
    thread of the pool, so loading the extension stays cheap and the event loop free."""
    from jupyter_mlops import operations
    from jupyter_mlops.shown import shown_in

    result = getattr(operations, operation)(registry, **arguments)
    return shown_in(result, Face.NOTEBOOK).to_dict()
