"""Content-addressed artifact files: `artifacts/sha256/<2 hex>/<62 hex>`.

A file is written to a temporary name, fsynced and renamed into place before any
row refers to it, so a crash leaves either a whole file or none; every read
checks the bytes against their name.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from jupyter_mlops.errors import IntegrityError


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class ArtifactStore:
    """The artifact directory of one registry."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, digest: str) -> Path:
        return self.root / "sha256" / digest[:2] / digest[2:]

    def put(self, data: bytes) -> str:
        """Store `data` (once: equal bytes share one file) and return its sha256."""
        digest = sha256(data)
        target = self.path(digest)
        if target.exists() and target.stat().st_size == len(data):
            return digest
        write_file(target, data)
        return digest

    def get(self, digest: str, *, label: str) -> bytes:
        """The bytes stored under `digest`, verified; `label` names their owner in errors."""
        target = self.path(digest)
        try:
            data = target.read_bytes()
        except FileNotFoundError:
            raise IntegrityError(
                f"{label}: artifact file {str(target)!r} is missing; restore it from a backup "
                "or register the model again."
            ) from None
        if sha256(data) != digest:
            raise IntegrityError(
                f"{label}: artifact file {str(target)!r} does not match its sha256 (it was "
                "changed or corrupted on disk); restore it from a backup or register again."
            )
        return data

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
        self, referenced: set[str], *, older_than: float, dry_run: bool = False
    ) -> list[str]:
        """Delete files no row refers to, and abandoned temporary files, if older than
        `older_than` seconds (younger ones may belong to a registration still committing).
        Returns the names of what was (or, with `dry_run`, would be) deleted."""
        base = self.root / "sha256"
        if not base.is_dir():
            return []
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


def fsync_path(path: Path) -> None:
    """Flush a file's, or a directory's entries', writes to the disk."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
