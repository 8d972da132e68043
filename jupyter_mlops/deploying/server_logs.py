"""Where a model server writes what it prints: `logs/servers/` of the registry's home, one
file per ref and port, opened to append. A shared registry's data folder is mounted by
every machine of its team, so there a file's name holds this machine's name too: two
machines serving the same alias on the same port each keep a log of their own.
"""

from __future__ import annotations

import errno
import re
from pathlib import Path
from typing import IO

from jupyter_mlops.config import machine
from jupyter_mlops.deploying import processes
from jupyter_mlops.errors import InvalidArgumentError, StorageError
from jupyter_mlops.registry import Registry

# the most of a ref a server log's name keeps: a name may have 255 bytes, and beside it go
# a machine's name (at most config.HOSTNAME_LENGTH) and the port
LOG_STEM = 128
REFUSED_WRITES = (errno.EROFS, errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EPERM)


def log_file(registry: Registry, ref: str, port: int) -> Path:
    """The log of a server for `ref` on `port` started from this machine."""
    return registry.home / "logs" / "servers" / _name(ref, port, shared=registry.db.shared)


def _name(ref: str, port: int, *, shared: bool) -> str:
    """A server log's file name: its ref (`@` and `:` as `-`), this machine's name when the
    registry is shared, and its port; a ref longer than LOG_STEM keeps the start of its name
    and alias (or version), then a hash of the whole."""
    parts = re.split("[@:]", ref)
    if len(ref) > LOG_STEM:
        parts = [*(part[: LOG_STEM // 2 - 7] for part in parts), processes.digest(ref)[:12]]
    return "-".join([*parts, *([machine()] if shared else []), f"{port}.log"])


def opened(log_file: Path) -> IO[bytes]:
    """The server's log file, opened to append; a home that cannot take it is the user's
    to fix (read-only, full, or a file where the directory goes)."""
    try:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        return open(log_file, "ab")  # the caller closes it
    except OSError as exc:
        said = (
            f"cannot write the server's log file {log_file} ({exc.strerror or exc}); make "
            f"{log_file.parent} a writable directory with space and deploy again."
        )
        if exc.errno in REFUSED_WRITES:  # unavailable (exit 9), as any write the disk refuses
            raise StorageError(exc.errno, said) from None
        raise InvalidArgumentError(said) from None  # a file where the directory goes
