"""What a shared registry checks before it reads or writes a file: the folder (or bucket) its
files are under, and whether this PostgreSQL role may change anything at all.

The catalog records the data path it was made with; each machine may mount that folder
elsewhere (`--data-path`, $MLOPS_DATA_PATH), and DuckLake keeps its files' paths relative to
it. A folder with no `artifacts/` in it is not the registry's, whatever it is called: a typo,
a mount that is missing, a folder moved without saying where. It is refused at once, naming
where the registry was made, instead of the first model loaded failing later. A role that
may only read is refused before a registration writes its artifact files, so a refused
change leaves nothing behind.
"""

from __future__ import annotations

from pathlib import Path

from jupyter_mlops.config import (
    ARTIFACTS_DIR,
    DATA_PATH_VARIABLE,
    REGISTRY_FILE,
    SHARED_MARK,
    on_object_storage,
)
from jupyter_mlops.errors import InvalidArgumentError
from jupyter_mlops.store.backends import Store
from jupyter_mlops.store.buckets import Bucket
from jupyter_mlops.store.lake import LakeDatabase
from jupyter_mlops.store.objects import Folder, Objects


def data_folder(db: LakeDatabase, given: Objects | None, *, made: bool) -> Objects:
    """Where the shared registry's files are: `given`, else the data path it was made with;
    refused when the registry is new (not `made`) and none is given, or the data path is
    not its."""
    if not made:
        if given is None:
            raise db.needs_data_path()
        _refuse_anothers(db, given)
        return given
    first = db.stored_data_path() or "."
    if not on_object_storage(first):
        first = str(Path(first))  # as a folder is named: no trailing slash
    found = given or (bucket(first) if on_object_storage(first) else Folder(Path(first)))
    if not _holds_registry(found):
        fix = (
            f"give the folder this machine mounts it at with {DATA_PATH_VARIABLE} (or --data-path)."
        )
        if given is None:
            raise InvalidArgumentError(
                f"the {db.shown} was made with its files in {first!r}, which holds none of them "
                f"here; {fix}"
            )
        raise InvalidArgumentError(
            f"the {_kind(found)} {found.url()!r} holds none of the files of the {db.shown} (it "
            f"was made with them in {first!r}); {fix}"
        )
    return found


def bucket(url: str) -> Bucket:
    """The bucket of data path `url`, refused in one sentence when it is missing, refuses
    this process's credentials or cannot be reached."""
    found = Bucket(url)
    found.check()
    return found


def _holds_registry(data: Objects) -> bool:
    """Whether `data` holds a shared registry's files: a folder its `artifacts/`, a bucket
    the mark every shared registry leaves there or an artifact."""
    if data.folder is not None:
        return (data.folder / ARTIFACTS_DIR).is_dir()
    return data.exists(str(SHARED_MARK)) or bool(data.folders(f"{ARTIFACTS_DIR}/sha256"))


def _refuse_anothers(db: LakeDatabase, data: Objects) -> None:
    """A new registry's data path must not hold another registry's files: they would be its
    own as far as it could tell (its `gc` would delete the other's artifacts as unused)."""
    artifacts = f"{ARTIFACTS_DIR}/sha256"
    held = (
        bool(data.folders(artifacts) or data.names(artifacts))
        or data.exists(str(SHARED_MARK))
        or data.exists(REGISTRY_FILE)
    )
    if held:
        raise InvalidArgumentError(
            f"the {_kind(data)} {data.url()!r} holds another registry's files, so the new "
            f"{db.shown} cannot keep its own there; give it a new, empty folder with "
            f"{DATA_PATH_VARIABLE} (or --data-path)."
        )


def _kind(data: Objects) -> str:
    return "folder" if data.folder is not None else "data path"


def require_writable(db: Store) -> None:
    """Refuse, before anything is written, a shared registry's role that may only read."""
    if isinstance(db, LakeDatabase):
        db.require_writable()
