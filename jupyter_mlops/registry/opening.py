"""Opening a registry: where it lives (a directory with its file, or a shared catalog and
its data path: a folder, or a bucket of object storage), the folder made where missing,
and the schema brought up to date once per process."""

from __future__ import annotations

import hashlib
import os
from contextlib import suppress
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from jupyter_mlops.config import (
    ARTIFACTS_DIR,
    REGISTRY_FILE,
    Location,
    Settings,
    resolve_location,
    working_folder,
)
from jupyter_mlops.errors import (
    CONNECT,
    Command,
    ForbiddenError,
    InvalidArgumentError,
    NotFoundError,
)
from jupyter_mlops.registry import marks, team
from jupyter_mlops.registry.locations import catalog_key
from jupyter_mlops.store import Database, lake_aliases
from jupyter_mlops.store.backends import Store
from jupyter_mlops.store.lake import LakeDatabase
from jupyter_mlops.store.migrations import LATEST
from jupyter_mlops.store.objects import Folder, Objects
from jupyter_mlops.store.upgrading import applied, migrate

_migrated: set[Path | str] = set()


@dataclass(frozen=True)
class Opened:
    db: Store
    # this machine's folder of the registry: a registry file's directory, a shared
    # registry's data folder, or, for one whose data path is a bucket, its working folder
    home: Path
    location: str  # that directory, or the shared catalog's URL
    data: Objects  # where its artifacts and logs are: that folder, or the bucket


def opened(
    location: str | os.PathLike[str] | None,
    *,
    data_path: str | os.PathLike[str] | None,
    lock_timeout: float | None,
) -> Opened:
    """The registry `location` names (see `config.resolve_location`), ready to use."""
    settings = Settings.from_env()
    timeout = settings.lock_timeout if lock_timeout is None else lock_timeout
    place = resolve_location(location, data_path=data_path)
    db: Store
    if place.url is not None:
        db, given = _catalog(place, lock_timeout=timeout)
        made = db.exists()  # one query of the catalog, which each answer below reuses
        if not made:
            team.require_makeable(db)
        data = team.data_folder(db, given, made=made)
        if not made:  # attached only now: attaching makes the catalog, with this data path
            try:
                with db.read():
                    pass
            except BaseException:
                team.withdraw(db, data)
                raise
        found = Opened(db, data.folder or _working_folder(db), place.url, data)
    else:
        assert place.home is not None
        db = Database(place.home / REGISTRY_FILE, lock_timeout=timeout)
        made = db.exists()
        if not made:
            team.refuse_shared_folder(place.home)
        found = Opened(db, place.home, str(place.home), Folder(place.home))
    try:
        found.home.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InvalidArgumentError(
            f"cannot create the registry directory {str(found.home)!r} ({exc.strerror}); "
            "choose a writable location with MLOPS_HOME or ",
            CONNECT,
            ".",
        ) from None
    if db.shared:
        found.data.mark_shared()  # so that every process treats its logs alike
        if found.data.folder is not None:  # what tells its data folder apart
            (found.data.folder / ARTIFACTS_DIR).mkdir(exist_ok=True)
    key = db.path or found.location
    if key not in _migrated or not made:  # (made again)
        _upgrade(db, made=made)
        _migrated.add(key)
    if isinstance(db, LakeDatabase):
        marks.mark(db, found.data)
    return found


def adopt(
    location: str | os.PathLike[str] | None, *, data_path: str | os.PathLike[str] | None
) -> tuple[LakeDatabase, Objects, marks.Mark | None]:
    """Make the data path of the shared registry `location` names (`data_path`, else the one
    it was made with) its own, whichever place of its catalog the mark there names
    (`marks.adopt`): the catalog, the data path, and the mark replaced."""
    place = resolve_location(location, data_path=data_path)
    if place.url is None:
        raise InvalidArgumentError(
            f"{str(place.home)!r} is a registry directory, whose files no other registry "
            "takes, so there is nothing to adopt; give the URL of the shared registry "
            "(ducklake:postgres:...) whose data path it is to be."
        )
    db, given = _catalog(place, lock_timeout=Settings.from_env().lock_timeout)
    if not db.exists():
        raise NotFoundError(
            f"there is no registry in the {db.shown}, so there is nothing to adopt a data path "
            "for; check schema= and dbname= in the URL."
        )
    db.require_writable()  # a role that may only read changes no registry's files
    data = team.holding_folder(db, given)
    return db, data, marks.adopt(db, data)


def _catalog(place: Location, *, lock_timeout: float) -> tuple[LakeDatabase, Objects | None]:
    """The shared registry's catalog at `place` and the data path given for it, if any. A
    bucket is checked before the catalog is touched: a missing one makes nothing."""
    assert place.url is not None
    given: Objects | None = team.bucket(place.bucket) if place.bucket else None
    if place.home is not None:
        given = Folder(place.home)
    return LakeDatabase(place.url, place.data_path, lock_timeout=lock_timeout), given


def _working_folder(db: LakeDatabase) -> Path:
    """This machine's folder of a shared registry whose data path is a bucket, named after
    its `catalog_key`: one catalog reached through two spellings of its URL, or as two
    roles, has one folder, whose lock files then hold for both; a copy of the catalog has
    another. The folder older versions named after the URL is moved there where it is
    alone."""
    digest = hashlib.sha256(catalog_key(db).encode()).hexdigest()[:16]
    folder = working_folder(f"lake_{digest}")
    older = working_folder(db.name)
    if older.is_dir() and not folder.exists():
        with suppress(OSError):  # another process moved it, or made the new one, first
            older.rename(folder)
    return folder


def _upgrade(db: Store, *, made: bool) -> None:
    """Apply missing migrations; a current registry is only read (no write lock). One
    made meanwhile by another process is found by `migrate`, under the writer lock."""
    if made:
        with db.read() as conn:
            if len(applied(conn)) == LATEST:
                return
        if isinstance(db, LakeDatabase) and db.missing_rights():
            raise _older_for_a_reader(db)
    moved = partial(lake_aliases.move_in, db) if isinstance(db, LakeDatabase) else None
    with db.write() as conn:
        migrate(conn, shared=db.shared, aliases_moved=moved)


def _older_for_a_reader(db: LakeDatabase) -> ForbiddenError:
    """A catalog an older jupyter-mlops made, opened by a role that may only read: it must
    be upgraded first, which only a role that may write does (by opening it)."""
    return ForbiddenError(
        f"the {db.shown} was made by an older jupyter-mlops and must be upgraded before this "
        f"one can read it, which PostgreSQL role {db.role()!r} may not do as it may only read; "
        "have a role that may write open it once with this version, which upgrades it (",
        Command("models", python="Registry(URL)"),
        " as that role), then open it again.",
    )
