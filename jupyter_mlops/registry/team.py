"""What a shared registry checks before it reads or writes a file: the folder (or bucket) its
files are under, and whether this PostgreSQL role may change anything at all.

The catalog records the data path it was made with; each machine may mount that folder
elsewhere (`--data-path`, $MLOPS_DATA_PATH), and DuckLake keeps its files' paths relative to
it. A folder with no `artifacts/` in it is not the registry's, whatever it is called: a typo,
a mount that is missing, a folder moved without saying where. It is refused at once, naming
where the registry was made, instead of the first model loaded failing later. A data path
that does hold a registry's files may be another shared registry's: each is marked with the
key of the catalog whose files it holds (`marks`: written when the registry is made, or
first opened since it had no mark), and one marked by another catalog, or by a copy of this
one's, is refused, naming both registries: one registry's `gc` would delete the other's
artifacts as unused. Nor is a registry file made in a shared registry's data folder. A role
that may only read is refused before a registration writes its artifact files, so a refused
change leaves nothing behind; and a schema holding no registry, opened by a role that may
not make one there (a reader who mistyped `schema=`), is refused before its data path is
touched.
"""

from __future__ import annotations

import json
from contextlib import suppress
from functools import partial
from pathlib import Path

from jupyter_mlops.config import (
    ARTIFACTS_DIR,
    BUCKET_SCHEME,
    CATALOG_MARK,
    DATA_PATH_VARIABLE,
    REGISTRY_FILE,
    SHARED_MARK,
    on_object_storage,
)
from jupyter_mlops.errors import InvalidArgumentError, NotFoundError, StorageError
from jupyter_mlops.registry.marks import MARK, claim_of, kind, marked, refuse_unless_its
from jupyter_mlops.store import lake_reads, lake_rights
from jupyter_mlops.store.backends import Store
from jupyter_mlops.store.buckets import Bucket
from jupyter_mlops.store.lake import LakeDatabase
from jupyter_mlops.store.lake_urls import same_database, shown
from jupyter_mlops.store.objects import Folder, Objects


def data_folder(db: LakeDatabase, given: Objects | None, *, made: bool) -> Objects:
    """Where the shared registry's files are: `given`, else the data path it was made with;
    refused when the registry is new (not `made`) and none is given, or the data path is
    not its."""
    if not made:
        if given is None:
            raise db.needs_data_path()
        if given.folder is not None and given.folder.exists() and not given.folder.is_dir():
            raise InvalidArgumentError(
                f"the data path {str(given.folder)!r} of the new {db.shown} is a file, so "
                f"nothing was made; give a folder (or {BUCKET_SCHEME}BUCKET/FOLDER/) with "
                f"{DATA_PATH_VARIABLE} (or --data-path)."
            )
        try:
            _claim(db, given)
        except OSError as exc:  # a read-only or full folder, a bucket refusing this role
            doing = f"make the {db.shown} with its files in {given.url()!r}"
            raise StorageError.of(
                exc, given.url(), doing=doing, outcome="nothing was made"
            ) from None
        return given
    found = holding_folder(db, given)
    refuse_unless_its(db, found)
    _refuse_registry_folder(db, found)
    return found


def _refuse_registry_folder(db: LakeDatabase, data: Objects) -> None:
    """A registry file's folder (its `registry.duckdb` beside `artifacts/`) is never a
    shared registry's data path unless marked as that one's: taken, it would be marked and
    written to as the shared one's, and the shared registry's `gc` would delete the file
    registry's artifacts as unused."""
    if data.folder is None or not (data.folder / REGISTRY_FILE).exists() or marked(data):
        return
    raise InvalidArgumentError(
        f"the folder {data.url()!r} is a registry file's own folder (it holds "
        f"{REGISTRY_FILE}), not the data path of the {db.shown}; give the folder this machine "
        f"mounts that one's files at with {DATA_PATH_VARIABLE} (or --data-path)."
    )


def holding_folder(db: LakeDatabase, given: Objects | None) -> Objects:
    """Where the made registry `db`'s files are, whoever's its mark says they are:
    `given`, else the data path it was made with; refused when it holds no registry's
    files."""
    first = db.stored_data_path() or "."
    if not on_object_storage(first):
        first = str(Path(first))  # as a folder is named: no trailing slash
    found = given or (bucket(first) if on_object_storage(first) else Folder(Path(first)))
    if not _holds_registry(found):
        in_bucket = found.folder is None or on_object_storage(first)  # not a mount to fix
        fix = (
            f"give the bucket folder that holds them ({BUCKET_SCHEME}BUCKET/FOLDER/)"
            if in_bucket
            else "give the folder this machine mounts it at"
        ) + f" with {DATA_PATH_VARIABLE} (or --data-path)."
        if given is None:
            raise InvalidArgumentError(
                f"the {db.shown} was made with its files in {first!r}, which holds none of them"
                f"{'' if in_bucket else ' here'}; {fix}"
            )
        raise InvalidArgumentError(
            f"the {kind(found)} {found.url()!r} holds none of the files of the {db.shown} (it "
            f"was made with them in {first!r}); {fix}"
        )
    return found


def require_makeable(db: LakeDatabase) -> None:
    """Refuse the new registry `db` when its role may not make its catalog: said as the
    schema holding none, before a folder, a file or a table is made (attaching would fail
    only once its data path was claimed, saying PostgreSQL refused the role)."""
    if lake_reads.asking(db, partial(lake_rights.may_make, schema=db.schema)):
        return
    raise NotFoundError(
        f"there is no registry in PostgreSQL schema {db.schema!r} of the {db.shown}, and "
        f"role {db.role()!r} may not make one there, so nothing was made; check schema= and "
        "dbname= in the URL, or have a role that may write open it first to make it."
    )


def refuse_shared_folder(home: Path) -> None:
    """Refuse to make a registry file in a shared registry's data folder, or anywhere
    under it (its `logs/` or `artifacts/`)."""
    absolute = home.absolute()
    folder = next((f for f in (absolute, *absolute.parents) if _is_shared_folder(f)), None)
    if folder is None:
        return
    owner = marked(Folder(folder))
    whose = f"shared registry {owner.registry!r}" if owner else "a shared registry"
    inside = "" if folder == absolute else f" (inside {str(folder)!r})"
    raise InvalidArgumentError(
        f"the folder {str(home)!r} is the data folder of {whose}{inside}, so no registry file "
        "is made in it; give a folder of its own."
    )


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


def _claim(db: LakeDatabase, data: Objects) -> None:
    """Claim an empty data path for the new registry `db` before its catalog is made, by
    storing a mark naming it where none is (`Objects.claim`): of registries made at once
    with one folder, one gets it and the others are refused; processes making the same
    registry at once all take it. Another registry's files, or its claim, are refused."""
    claim = json.dumps({"registry": shown(db.url)}) + "\n"
    _refuse_inside_anothers(db, data)
    _refuse_anothers(db, data)
    if not data.claim(MARK, claim.encode()):
        _refuse_anothers(db, data)  # claimed meanwhile: by this registry (taken), or refused


def _refuse_inside_anothers(db: LakeDatabase, data: Objects) -> None:
    """A new registry's data folder must not lie inside another registry's folder (a shared
    one's data folder, or a registry file's): its files would be among the other's, and
    one's `gc` or copy would see the other's as its own."""
    if data.folder is None:
        return
    for folder in data.folder.absolute().parents:
        marked_here = _is_shared_folder(folder)
        if marked_here or (folder / REGISTRY_FILE).exists():
            owner = marked(Folder(folder)) if marked_here else None
            whose = (
                f"shared registry {owner.registry!r}'s data folder"
                if owner
                else "a shared registry's data folder"
                if marked_here
                else "a registry file's folder"
            )
            raise InvalidArgumentError(
                f"the folder {data.url()!r} lies inside {whose} {str(folder)!r}, so the new "
                f"{db.shown} cannot keep its files there; give it a folder of its own with "
                f"{DATA_PATH_VARIABLE} (or --data-path)."
            )


def _is_shared_folder(folder: Path) -> bool:
    """Whether `folder` is a shared registry's data folder, by the marks it leaves there."""
    return (folder / SHARED_MARK).exists() or (folder / CATALOG_MARK).exists()


def withdraw(db: LakeDatabase, data: Objects) -> None:
    """Take back the claim on `data` of the new registry `db` whose catalog could not be
    made (a role that may not create one, PostgreSQL out of reach): the folder is left to
    whichever registry is made there next, under whatever URL."""
    if _claimed_by(data) == shown(db.url):
        with suppress(OSError):  # left as it is: the sentence for a claim says what to do
            data.delete([MARK])


def _ours(db: LakeDatabase, data: Objects) -> bool:
    """Whether the mark in `data` is `db`'s: its claim, or its catalog's, made meanwhile by
    another process opening it at the same time."""
    claimant = _claimed_by(data)  # the same catalog, whichever role made the claim
    mine = claimant is not None and (claimant == shown(db.url) or same_database(claimant, db.url))
    return mine or _made_meanwhile(db, data)


def _made_meanwhile(db: LakeDatabase, data: Objects) -> bool:
    """Whether another process made `db`'s catalog with `data` since this one found none:
    the folder's mark names the catalog there now."""
    owner = marked(data)
    return owner is not None and db.exists() and db.catalog_id() == owner.catalog


def _claimed_by(data: Objects) -> str | None:
    """The registry (as shown) whose claim is in `data`: a mark that names no catalog yet,
    since the registry claiming the folder has not made it; None without one."""
    try:
        return claim_of(json.loads(data.get(MARK)))
    except (OSError, ValueError):
        return None


def _refuse_anothers(db: LakeDatabase, data: Objects) -> None:
    """A new registry's data path must not hold another registry's files: they would be its
    own as far as it could tell (its `gc` would delete the other's artifacts as unused).
    The folder's mark is read at once: one another process opening `db` made a moment
    ago is its own. Whose the mark is is read after what the folder holds: read before, a
    claim another process opening `db` made in between was taken for another registry's."""
    artifacts = f"{ARTIFACTS_DIR}/sha256"
    held = (
        bool(data.folders(artifacts) or data.names(artifacts))
        or data.exists(str(SHARED_MARK))
        or data.exists(MARK)
        or data.exists(REGISTRY_FILE)
    )
    if not held or _ours(db, data):
        return
    if (owner := marked(data)) is not None:  # a URL mistyped, as often as not
        raise InvalidArgumentError(
            f"the {kind(data)} {data.url()!r} holds the files of shared registry "
            f"{owner.registry!r}, and the {db.shown} holds no registry yet; to open that "
            "one, give its URL (check schema= and dbname=), or to make a new one, give it a "
            f"new, empty {kind(data)} with {DATA_PATH_VARIABLE} (or --data-path)."
        )
    if (claimant := _claimed_by(data)) is not None:  # its maker may have died
        raise InvalidArgumentError(
            f"the {kind(data)} {data.url()!r} is claimed by shared registry {claimant!r}, "
            f"which has not made its catalog there yet, so the new {db.shown} cannot take "
            f"it; give it a new, empty {kind(data)} with {DATA_PATH_VARIABLE} (or "
            f"--data-path), or, if that registry's making was cut off, delete {MARK!r} there."
        )
    raise InvalidArgumentError(
        f"the {kind(data)} {data.url()!r} holds another registry's files, so the new "
        f"{db.shown} cannot keep its own there; give it a new, empty {kind(data)} with "
        f"{DATA_PATH_VARIABLE} (or --data-path)."
    )


def require_writable(db: Store) -> None:
    """Refuse, before anything is written, a shared registry's role that may only read."""
    if isinstance(db, LakeDatabase):
        db.require_writable()
