"""What a shared registry checks before it reads or writes a file: the folder its files are
under, and whether this PostgreSQL role may change anything at all.

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

from jupyter_mlops.config import ARTIFACTS_DIR, DATA_PATH_VARIABLE, REGISTRY_FILE, SHARED_MARK
from jupyter_mlops.errors import InvalidArgumentError
from jupyter_mlops.store.backends import Store
from jupyter_mlops.store.lake import LakeDatabase


def data_folder(db: LakeDatabase, given: Path | None, *, made: bool) -> Path:
    """The folder the shared registry's files are under: `given`, else the one it was made
    with; refused when the registry is new (not `made`) and none is given, or the folder is
    not its."""
    if not made:
        if given is None:
            raise db.needs_data_path()
        _refuse_anothers(db, given)
        return given
    first = str(Path(db.stored_data_path() or "."))
    found = given or Path(first)
    if not (found / ARTIFACTS_DIR).is_dir():
        fix = (
            f"give the folder this machine mounts it at with {DATA_PATH_VARIABLE} (or --data-path)."
        )
        if given is None:
            raise InvalidArgumentError(
                f"the {db.shown} was made with its files in {first!r}, which holds none of them "
                f"here; {fix}"
            )
        raise InvalidArgumentError(
            f"the folder {str(found)!r} holds none of the files of the {db.shown} (it was made "
            f"with them in {first!r}); {fix}"
        )
    return found


def _refuse_anothers(db: LakeDatabase, folder: Path) -> None:
    """A new registry's folder must not hold another registry's files: they would be its
    own as far as it could tell (its `gc` would delete the other's artifacts as unused)."""
    artifacts = folder / ARTIFACTS_DIR / "sha256"
    held = (
        (artifacts.is_dir() and any(artifacts.iterdir()))
        or (folder / SHARED_MARK).exists()
        or (folder / REGISTRY_FILE).exists()
    )
    if held:
        raise InvalidArgumentError(
            f"the folder {str(folder)!r} holds another registry's files, so the new {db.shown} "
            f"cannot keep its own there; give it a new, empty folder with {DATA_PATH_VARIABLE} "
            "(or --data-path)."
        )


def require_writable(db: Store) -> None:
    """Refuse, before anything is written, a shared registry's role that may only read."""
    if isinstance(db, LakeDatabase):
        db.require_writable()
