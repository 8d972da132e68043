"""Where a stopping server keeps the log rows its registry's disk would not take.

A server stopping while its log cannot be written (a full disk) retries for
`RETRY_SECONDS`, well inside the `stopping.STOP_TIMEOUT` undeploy waits before it
kills, and then, rather than exit with the rows, writes them in the log's own layout
under a directory of this user's in the system's temporary directory (another file
system, as a rule, than the registry's):

    <tmp>/jupyter-mlops-<uid>/unwritten/<tag>/logs/<kind>/<model>/date=YYYY-MM-DD/*.parquet

Copying that `logs` folder into the registry home once its disk has room puts them where
monitoring reads the log (`cp -rn <tag>/logs <home>/`). The server says so on stderr and
in `<tag>/stopped.json`, where undeploy reads it: the server's stderr is a file on the
very disk that is full. A deployed server's tag is the first 16 hex digits of its
nonce's hash, which the server and its deployment record both know; any other server's
is made up at random.

The directory `jupyter-mlops-<uid>` is made private (mode 700) and is used only if it is
this user's own, not a link: prediction inputs are the users' data.
"""

from __future__ import annotations

import json
import os
import tempfile
import uuid
from pathlib import Path

from jupyter_mlops.config import private_subdirectory
from jupyter_mlops.deploying.stopping import STOP_TIMEOUT
from jupyter_mlops.registry.artifacts import write_file

RETRY_SECONDS = STOP_TIMEOUT * 0.4  # then the rows are saved here, long before a SIGKILL
REPORT = "stopped.json"


def directory(tag: str) -> Path:
    """Where a server with this tag saves rows it could not write (not yet created)."""
    return Path(tempfile.gettempdir()) / f"jupyter-mlops-{os.getuid()}" / "unwritten" / tag


def tag_of(nonce_sha256: str | None) -> str:
    """A deployed server's tag, from its nonce's hash; a random one without it."""
    return nonce_sha256[:16] if nonce_sha256 else f"server-{uuid.uuid4().hex[:16]}"


def prepared(target: Path) -> Path:
    """`target` created, inside this user's private directory; OSError when that directory
    is not a directory this user owns and alone may enter."""
    return private_subdirectory(target, private=target.parent.parent)


def write_report(target: Path, notes: list[str]) -> None:
    """Leave `notes` (one sentence each) where undeploy looks; OSError when it cannot."""
    prepared(target)
    write_file(target / REPORT, json.dumps({"notes": notes}).encode())


def report(tag: str) -> list[str]:
    """What the server with this tag left for undeploy: sentences, or none."""
    try:
        notes = json.loads((directory(tag) / REPORT).read_text())["notes"]
    except (OSError, ValueError, KeyError, TypeError):
        return []
    return [str(note) for note in notes] if isinstance(notes, list) else []
