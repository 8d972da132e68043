"""Content-addressed artifact files: `artifacts/sha256/<2 hex>/<62 hex>` under the data path.

A file is stored whole (in a folder: written to a temporary name, fsynced and renamed into
place; in a bucket: one PUT) before any row refers to it, so a crash leaves either a whole
file or none; every read checks the bytes against their name.

Equal bytes share one file. Reusing a file checks it first (a damaged one is written
again) and refreshes its age, so garbage collection's grace period counts from the
last use. Collection and storing also exclude each other: whoever stores files and
then commits the rows that refer to them holds `in_use()` (a shared lock) throughout,
and `remove_unreferenced` holds it exclusively while it decides and deletes, so it
never deletes a file a registration is about to refer to. That lock is a file lock beside
the artifacts; for a bucket it is on this machine, so between machines only the grace
period keeps a file that was just stored or reused: it is never older than `older_than`.
"""

from __future__ import annotations

import fcntl
import hashlib
import math
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from jupyter_mlops.config import ARTIFACTS_DIR
from jupyter_mlops.errors import IntegrityError, InvalidArgumentError, Option, StorageError
from jupyter_mlops.store.objects import Objects, write_file

__all__ = ["ArtifactStore", "sha256", "write_file"]

LOCK = ".collecting.lock"
VERSION_FIX = "restore the file from a backup, or archive this version and register the model again"
RUN_FIX = "restore the file from a backup, or log it again in a new run"
INCOMING = ".incoming-"
# the shared lock each artifact directory holds in this process: [descriptor, users]
_shared: dict[Path, list[int]] = {}
_shared_lock = threading.Lock()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class ArtifactStore:
    """The artifact files of one registry, under its data path (`data`); `home` is the
    registry's folder on this machine."""

    def __init__(self, data: Objects, *, home: Path) -> None:
        self.data, self.home = data, home
        # where its lock file is: beside the files, or for a bucket in this machine's folder
        self.root = data.folder / ARTIFACTS_DIR if data.folder is not None else home / "locks"
        self.shown = data.url(ARTIFACTS_DIR)

    def key(self, digest: str) -> str:
        return f"{ARTIFACTS_DIR}/sha256/{digest[:2]}/{digest[2:]}"

    def path(self, digest: str) -> Path:
        """The file of `digest`, in a registry whose files are in a folder."""
        return Path(self.data.url(self.key(digest)))

    def put(self, data: bytes) -> str:
        """Store `data` (once: equal bytes share one file) and return its sha256.

        Call it inside `in_use()` until the rows that refer to the file are committed."""
        digest = sha256(data)
        if self._reusable(digest, len(data)):
            return digest
        try:
            self.data.put(self.key(digest), data)
        except OSError as exc:
            raise StorageError.of(exc, self.shown, doing="store an artifact") from None
        return digest

    def _reusable(self, digest: str, size: int) -> bool:
        """Whether the file already stored under `digest` is whole; if so its age restarts."""
        key = self.key(digest)
        try:
            if self.data.entry(key).size != size or sha256(self.data.get(key)) != digest:
                return False  # damaged on disk: it is written again
            self.data.touch(key)
        except OSError:
            return False
        return True

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
        target = self.data.url(self.key(digest))
        try:
            data = self.data.get(self.key(digest))
        except FileNotFoundError:
            raise IntegrityError(f"{label}: artifact file {target!r} is missing; {fix}.") from None
        if sha256(data) != digest:
            raise IntegrityError(
                f"{label}: artifact file {target!r} does not match its sha256 (it was "
                f"changed or corrupted on disk); {fix}."
            )
        return data

    def exists(self, digest: str) -> bool:
        """Whether a file of `digest` is present, whole or not."""
        return self.data.exists(self.key(digest))

    def holds(self, digest: str) -> bool:
        """Whether the file of `digest` is present and its bytes match it."""
        try:
            return sha256(self.data.get(self.key(digest))) == digest
        except FileNotFoundError:
            return False
        except OSError as exc:
            if self.data.folder is not None:
                return False
            raise StorageError.of(
                exc, self.shown, doing="read an artifact", outcome="nothing was changed"
            ) from None

    def digests(self) -> Iterator[str]:
        """The sha256 of every file present (without reading them)."""
        for entry in self.data.walk(f"{ARTIFACTS_DIR}/sha256"):
            folder = entry.key.split("/")[-2]
            if not entry.name.startswith(INCOMING):
                yield folder + entry.name

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
        folder = self.data.folder
        if folder is not None and not (folder / ARTIFACTS_DIR / "sha256").is_dir():
            return []
        with self._collecting():
            return self._remove(referenced(), older_than=older_than, dry_run=dry_run)

    def _remove(self, referenced: set[str], *, older_than: float, dry_run: bool) -> list[str]:
        cutoff = time.time() - older_than
        removed, keys = [], []
        for entry in self.data.walk(f"{ARTIFACTS_DIR}/sha256"):
            digest = entry.key.split("/")[-2] + entry.name
            abandoned = entry.name.startswith(INCOMING)
            if (abandoned or digest not in referenced) and entry.modified < cutoff:
                removed.append(entry.name if abandoned else digest)
                keys.append(entry.key)
        if not dry_run:
            try:
                self.data.delete(keys)
            except OSError as exc:
                raise StorageError.of(
                    exc, self.shown, doing="delete unused artifacts", outcome="some may be left"
                ) from None
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
