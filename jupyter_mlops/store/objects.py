"""Where a registry's shared files are kept: a folder, or a bucket of object storage.

Artifacts and the prediction, label and shadow logs are objects named by keys relative to
the registry's data path (`artifacts/sha256/ab/cd...`, `logs/predictions/churn/date=.../
x.parquet`). Each is written whole or not at all and never changed in place afterwards,
so a reader sees an object whole or not at all:

- in a folder (`Folder`: a registry file's directory, or a shared registry's data path
  that every machine mounts) by a temporary file, fsync, rename, then fsync of the folder;
- in a bucket (`buckets.Bucket`, a shared registry's `s3://` data path) by one PUT, which
  object storage makes visible whole.

`url` is how DuckDB reads an object (`read_parquet` on a path, or on an `s3://` URL
through its httpfs extension) and how messages name it.
"""

from __future__ import annotations

import os
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from jupyter_mlops.config import mark_shared, shared_data_path
from jupyter_mlops.store.locks import fsync_path


@dataclass(frozen=True)
class Entry:
    """One object: its key, its size in bytes, and when it was last written (or touched),
    in seconds since the epoch."""

    key: str
    size: int
    modified: float

    @property
    def name(self) -> str:
        return self.key.rsplit("/", 1)[-1]


class Objects(ABC):
    """The objects under one data path, by key ('/'-separated, relative to it)."""

    folder: Path | None = None  # the local folder the objects are files in; None: a bucket

    @abstractmethod
    def url(self, key: str = "") -> str:
        """The object (or, with a glob, the objects) as DuckDB reads it and messages show it."""

    @property
    @abstractmethod
    def shared(self) -> bool:
        """Whether these are a shared registry's (marked so by `mark_shared`): their logs
        take no file lock, and their segments are named per machine."""

    @abstractmethod
    def mark_shared(self) -> None:
        """Mark these objects as a shared registry's (nothing where they cannot be written)."""

    @abstractmethod
    def put(self, key: str, data: bytes) -> None:
        """Store `data` under `key`, whole or not at all."""

    def claim(self, key: str, data: bytes) -> bool:
        """Store `data` under `key` unless an object is there already: whether it was stored.
        (Checked, then stored: a bucket's two processes may both store it; the last stays.)"""
        if self.exists(key):
            return False
        self.put(key, data)
        return True

    @abstractmethod
    def get(self, key: str) -> bytes:
        """The bytes under `key`; FileNotFoundError when there is no such object."""

    @abstractmethod
    def entry(self, key: str) -> Entry:
        """The object under `key`; FileNotFoundError when there is none."""

    def exists(self, key: str) -> bool:
        try:
            self.entry(key)
        except FileNotFoundError:
            return False
        return True

    @abstractmethod
    def names(self, prefix: str) -> list[str]:
        """The names of the objects directly under `prefix` (a folder's key), in no order."""

    @abstractmethod
    def folders(self, prefix: str) -> list[str]:
        """The names of the folders directly under `prefix`, in no order."""

    @abstractmethod
    def walk(self, prefix: str) -> Iterator[Entry]:
        """Every object under `prefix`, at any depth, in the order of their keys."""

    @abstractmethod
    def delete(self, keys: Iterable[str]) -> None:
        """Delete the objects under `keys` (those already gone too), durably once it returns."""

    @abstractmethod
    def touch(self, key: str) -> None:
        """Restart the age of the object under `key` (its `modified` becomes now)."""

    @abstractmethod
    def rename(self, source: str, target: str) -> None:
        """Give the object under `source` the key `target` (its age starting now)."""

    @abstractmethod
    def local(self, keys: list[str]) -> AbstractContextManager[list[Path]]:
        """Files on this machine holding the objects of `keys`, in their order, while the
        block runs (a folder's own files; a bucket's downloaded)."""

    @abstractmethod
    def spooled(self, key: str) -> AbstractContextManager[Path]:
        """A path on this machine to write a new file at (it must not exist yet), stored
        under `key` once the block ends without an error."""


def at(place: Path | Objects) -> Objects:
    """The objects `place` holds: a folder's path, or objects already."""
    return place if isinstance(place, Objects) else Folder(place)


class Folder(Objects):
    """Objects as files in a folder: a registry file's directory, or a shared registry's
    data path that every machine mounts."""

    def __init__(self, root: Path) -> None:
        self.root = self.folder = root

    def __repr__(self) -> str:
        return f"Folder({str(self.root)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Folder) and other.root == self.root

    def __hash__(self) -> int:
        return hash(self.root)

    def url(self, key: str = "") -> str:
        return str(self.root / key) if key else str(self.root)

    @property
    def shared(self) -> bool:
        return shared_data_path(self.root)

    def mark_shared(self) -> None:
        mark_shared(self.root)

    def put(self, key: str, data: bytes) -> None:
        write_file(self.root / key, data, team=self.shared)

    def claim(self, key: str, data: bytes) -> bool:
        """Store `data` under `key` unless a file is there: written whole to a temporary
        file, then linked to its name, which fails where one exists (of two processes
        claiming at once, one stores it)."""
        target = self.root / key
        temporary = _written(target, data, team=self.shared)
        try:
            os.link(temporary, target)
        except FileExistsError:
            return False
        finally:
            temporary.unlink(missing_ok=True)
        fsync_path(target.parent)
        return True

    def get(self, key: str) -> bytes:
        return (self.root / key).read_bytes()

    def entry(self, key: str) -> Entry:
        found = (self.root / key).stat()
        return Entry(key, found.st_size, found.st_mtime)

    def names(self, prefix: str) -> list[str]:
        return [entry.name for entry in _scanned(self.root / prefix) if not entry.is_dir()]

    def folders(self, prefix: str) -> list[str]:
        return [entry.name for entry in _scanned(self.root / prefix) if entry.is_dir()]

    def walk(self, prefix: str) -> Iterator[Entry]:
        base = prefix.rstrip("/")
        entries = sorted(_scanned(self.root / base), key=lambda found: found.name)
        for entry in entries:
            key = f"{base}/{entry.name}" if base else entry.name
            if entry.is_dir():
                yield from self.walk(key)
                continue
            with suppress(FileNotFoundError):  # deleted since it was listed
                found = entry.stat()
                yield Entry(key, found.st_size, found.st_mtime)

    def delete(self, keys: Iterable[str]) -> None:
        folders = set()
        for key in keys:
            (self.root / key).unlink(missing_ok=True)
            folders.add((self.root / key).parent)
        for folder in folders:
            with suppress(FileNotFoundError):
                fsync_path(folder)

    def touch(self, key: str) -> None:
        os.utime(self.root / key)

    def rename(self, source: str, target: str) -> None:
        os.rename(self.root / source, self.root / target)
        os.utime(self.root / target)
        fsync_path((self.root / target).parent)

    @contextmanager
    def local(self, keys: list[str]) -> Iterator[list[Path]]:
        yield [self.root / key for key in keys]

    @contextmanager
    def spooled(self, key: str) -> Iterator[Path]:
        (self.root / key).parent.mkdir(parents=True, exist_ok=True)
        yield self.root / key


def _scanned(folder: Path) -> list[os.DirEntry[str]]:
    try:
        return list(os.scandir(folder))
    except (FileNotFoundError, NotADirectoryError):
        return []


def write_file(target: Path, data: bytes, *, team: bool = False) -> None:
    """Write `data` to `target` whole or not at all: a temporary file, fsync, rename, fsync.
    The file is its owner's alone (0600), unless it is a team's (`team`: in a shared data
    path), which the user's umask opens as for any new file (0644, or 0664 with umask 002)
    so that teammates under other Unix users read it."""
    temporary = _written(target, data, team=team)
    try:
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    fsync_path(target.parent)


def _written(target: Path, data: bytes, *, team: bool) -> Path:
    """A temporary file beside `target` holding `data`, synced to disk (modes as for
    `write_file`); removed again if writing it fails."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
    try:
        if team:
            os.fchmod(handle, 0o666 & ~umask())
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return Path(temporary)


def umask() -> int:
    """This process's umask, read without changing it (`os.umask` sets it, for every thread
    at once, while it is read); 022 where the system does not show it."""
    with suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    return 0o022
