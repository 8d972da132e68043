"""Content-addressed artifact files: `artifacts/sha256/<2 hex>/<62 hex>`.

A file is written to a temporary name, fsynced and renamed into place before any
row refers to it, so a crash leaves either a whole file or none; every read
checks the bytes against their name.

Equal bytes share one file. Reusing a file checks it first (a damaged one is written
again) and refreshes its age, so garbage collection's grace period counts from the
last use. Collection and storing also exclude each other: whoever stores files and
then commits the rows that refer to them holds `in_use()` (a shared lock) throughout,
and `remove_unreferenced` holds it exclusively while it decides and deletes, so it
never deletes a file a registration is about to refer to.
"""

from __future__ import annotations

import fcntl
import hashlib
import math
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from jupyter_mlops.errors import IntegrityError, InvalidArgumentError, Option, StorageError
from jupyter_mlops.store.locks import fsync_path

LOCK = ".collecting.lock"
VERSION_FIX = "restore the file from a backup, or archive this version and register the model again"
RUN_FIX = "restore the file from a backup, or log it again in a new run"
# the shared lock each artifact directory holds in this process: [descriptor, users]
_shared: dict[Path, list[int]] = {}
_shared_lock = threading.Lock()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class ArtifactStore:
    """The artifact directory of one registry."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, digest: str) -> Path:
        return self.root / "sha256" / digest[:2] / digest[2:]

    def put(self, data: bytes) -> str:
        """Store `data` (once: equal bytes share one file) and return its sha256.

        Call it inside `in_use()` until the rows that refer to the file are committed."""
        digest = sha256(data)
        target = self.path(digest)
        if _reusable(target, digest, len(data)):
            return digest
        try:
            write_file(target, data)
        except OSError as exc:
            raise StorageError.of(exc, self.root, doing="store an artifact") from None
        return digest

    @contextmanager
    def in_use(self) -> Iterator[None]:
        """Keep garbage collection out while files are stored and the rows referring to them
        are committed (any number of holders at once; nested uses share one lock)."""
        key = self.root.resolve()
        with _shared_lock:
            held = _shared.get(key)
            if held is None:
                descriptor = self._open_lock()
                try:
                    fcntl.flock(descriptor, fcntl.LOCK_SH)
                except BaseException:
                    os.close(descriptor)
                    raise
                held = _shared[key] = [descriptor, 0]
            held[1] += 1
        try:
            yield
        finally:
            with _shared_lock:
                held[1] -= 1
                if held[1] == 0:
                    del _shared[key]
                    os.close(held[0])

    def get(self, digest: str, *, label: str, fix: str = VERSION_FIX) -> bytes:
        """The bytes stored under `digest`, verified; `label` names their owner in errors and
        `fix` says how to repair it (by default: a version's)."""
        target = self.path(digest)
        try:
            data = target.read_bytes()
        except FileNotFoundError:
            raise IntegrityError(
                f"{label}: artifact file {str(target)!r} is missing; {fix}."
            ) from None
        if sha256(data) != digest:
            raise IntegrityError(
                f"{label}: artifact file {str(target)!r} does not match its sha256 (it was "
                f"changed or corrupted on disk); {fix}."
            )
        return data

    def holds(self, digest: str) -> bool:
        """Whether the file of `digest` is present and its bytes match it."""
        try:
            return sha256(self.path(digest).read_bytes()) == digest
        except OSError:
            return False

    def digests(self) -> Iterator[str]:
        """The sha256 of every file present (without reading them)."""
        base = self.root / "sha256"
        if not base.is_dir():
            return
        for folder in sorted(base.iterdir()):
            for item in sorted(folder.iterdir()):
                if not item.name.startswith(".incoming-"):
                    yield folder.name + item.name

    def remove_unreferenced(
        self, referenced: Callable[[], set[str]], *, older_than: float, dry_run: bool = False
    ) -> list[str]:
        """Delete files none of `referenced()` names, and abandoned temporary files, if older
        than `older_than` seconds. No file is stored meanwhile (`in_use` waits), so what
        `referenced()` returns stays true while files are deleted. Returns the names of what
        was (or, with `dry_run`, would be) deleted."""
        plain = isinstance(older_than, int | float) and not isinstance(older_than, bool)
        if not (plain and math.isfinite(older_than) and older_than >= 0):
            raise InvalidArgumentError(
                "",
                Option("older_than", python=repr(older_than), typed=str(older_than)),
                " is not a number of seconds of 0 or more; give e.g. ",
                Option("older_than", python="3600", typed="3600"),
                " (an hour).",
            )
        base = self.root / "sha256"
        if not base.is_dir():
            return []
        with self._collecting():
            return self._remove(base, referenced(), older_than=older_than, dry_run=dry_run)

    def _remove(
        self, base: Path, referenced: set[str], *, older_than: float, dry_run: bool
    ) -> list[str]:
        cutoff = time.time() - older_than
        removed = []
        for item in sorted(base.glob("*/*")):
            digest = item.parent.name + item.name
            abandoned = item.name.startswith(".incoming-")
            if (abandoned or digest not in referenced) and item.stat().st_mtime < cutoff:
                removed.append(item.name if abandoned else digest)
                if not dry_run:
                    item.unlink()
        return removed

    @contextmanager
    def _collecting(self) -> Iterator[None]:
        descriptor = self._open_lock(doing="delete unused artifacts", outcome="nothing was deleted")
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            yield
        finally:
            os.close(descriptor)

    def _open_lock(
        self, *, doing: str = "store an artifact", outcome: str = "nothing was saved"
    ) -> int:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            return os.open(self.root / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise StorageError.of(exc, self.root, doing=doing, outcome=outcome) from None


def _reusable(target: Path, digest: str, size: int) -> bool:
    """Whether the file already stored under `digest` is whole; if so its age restarts."""
    try:
        if target.stat().st_size != size or sha256(target.read_bytes()) != digest:
            return False  # damaged on disk: it is written again
        os.utime(target)
    except OSError:
        return False
    return True


def write_file(target: Path, data: bytes) -> None:
    """Write `data` to `target` whole or not at all: a temporary file, fsync, rename, fsync."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    fsync_path(target.parent)
