"""The mark of a shared registry's data path (`.mlops-catalog.json`): whose files it holds,
so that no other registry takes them for its own (its `gc` would delete the other's
artifacts as unused).

A catalog is told by its key (`locations.catalog_key`): the id DuckLake gave it as it made
it, the same whatever URL reaches it, and where it is in PostgreSQL (the server, and the
database's and schema's numbers there). A copy of the catalog (a dump restored, a database
made from it as a template, a schema copied) keeps the id and records the same data path,
but is elsewhere. So the mark holds both, and a registry is refused on a data path marked
with another id (another registry's files) or with its id at another place (the files of
its copy, or of the catalog it is a copy of: neither can tell which). The mark changes
hands only by an explicit step (`adopt`): the catalog moved to a new server, the old one
gone, or a copy given a copy of the folder. A mark that names another id is never adopted.

A mark an older version wrote holds the id alone, which the catalog and its copies share.
It is taken as this catalog's, and given its place, only by a registry whose URL names the
same server, database and schema as the URL that wrote it (`lake_urls.same_database`),
whichever role connects: a copy is reached at another. Any other registry with that id is
refused as a copy would be, and adopting the folder settles which catalog it is.
"""

from __future__ import annotations

import json
import shlex
from contextlib import suppress
from dataclasses import dataclass

from jupyter_mlops.config import CATALOG_MARK, DATA_PATH_VARIABLE
from jupyter_mlops.errors import InvalidArgumentError, Spelled, StorageError
from jupyter_mlops.store.lake import LakeDatabase
from jupyter_mlops.store.lake_urls import same_database, shown
from jupyter_mlops.store.objects import Objects

MARK = str(CATALOG_MARK)
_checked: set[tuple[str, str, Mark]] = set()  # (catalog, data path, mark) found its own
_ITS_OWN = f"{DATA_PATH_VARIABLE} (or --data-path)"


@dataclass(frozen=True)
class Mark:
    """A data path's mark: the catalog's id, the registry (as shown) that wrote it, and
    where the catalog is in PostgreSQL (None: an older version wrote it)."""

    catalog: str
    registry: str
    place: str | None = None


def marked(data: Objects) -> Mark | None:
    """The mark in `data`; None without a readable one, or with a new registry's claim."""
    try:
        found = json.loads(data.get(MARK))
        place = found.get("place")
        return Mark(str(found["catalog"]), str(found["registry"]), place and str(place))
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None


def claim_of(held: object) -> str | None:
    """The registry a mark's content claims the folder for, if it names no catalog yet."""
    if not isinstance(held, dict) or "catalog" in held or "registry" not in held:
        return None
    return str(held["registry"])


def mark(db: LakeDatabase, data: Objects) -> None:
    """Mark `data` as the data path of `db`'s catalog where it holds no mark, `db`'s claim
    (the new registry's, made meanwhile) or its catalog's older mark (`_upgradable`); one
    this machine cannot read or write is left as it is (a machine that can marks it)."""
    try:
        held = json.loads(data.get(MARK))  # one read, as many opens as there are
    except FileNotFoundError:
        held = None
    except (OSError, ValueError):
        return
    if held is not None and claim_of(held) != shown(db.url) and not _upgradable(db, held):
        return  # marked by its catalog, or claimed by another registry
    found = db.catalog_id()
    if found is None:
        return
    with suppress(OSError):  # a read-only mount, a bucket this role may only read
        _write(db, data, catalog=found)


def refuse_unless_its(db: LakeDatabase, data: Objects) -> None:
    """Refuse a data path whose mark names another catalog than `db`'s, or its copy."""
    held = marked(data)  # read each time: adopted since by another process, it is not its
    if held is None or (db.name, data.url(), held) in _checked:
        return
    mine = db.catalog_id()
    if mine is None:
        return
    if mine != held.catalog:
        raise InvalidArgumentError(
            f"the {kind(data)} {data.url()!r} holds the files of shared registry "
            f"{held.registry!r}, not of the {db.shown}; give the data path this machine "
            f"reaches its own at with {_ITS_OWN}."
        )
    if held.place is None and not same_database(held.registry, db.url):
        raise _unplaced(db, data, held)
    if held.place is not None and held.place != db.place():
        raise _copied(db, data, held)
    _checked.add((db.name, data.url(), held))


def adopt(db: LakeDatabase, data: Objects) -> Mark | None:
    """Mark `data` as the data path of `db`'s catalog as it is now (its id, at its place),
    whichever place its mark named: the catalog moved, or its copy given a copy of the
    folder. Refused when the mark names another catalog. Returns the mark it replaced."""
    held, mine = marked(data), db.catalog_id()
    if held is not None and held.catalog != mine:
        raise InvalidArgumentError(
            f"the {kind(data)} {data.url()!r} holds the files of shared registry "
            f"{held.registry!r}, another catalog than the {db.shown} and no copy of it, so "
            f"it is not adopted; give the data path this machine reaches the {db.shown}'s "
            f"own files at with {_ITS_OWN}."
        )
    if held is None and _holds_anything(data):
        raise InvalidArgumentError(
            f"the {kind(data)} {data.url()!r} holds files but no mark saying whose they are "
            "(another registry's, or a folder copied without its .mlops-catalog.json), so it "
            f"is not adopted; adopt the {kind(data)} the {db.shown}'s own files were copied "
            "or moved to with their mark."
        )
    assert mine is not None, "adopted by a registry that was made"
    try:
        _write(db, data, catalog=mine)
    except OSError as exc:
        doing = f"mark {data.url()!r} as the data path of the {db.shown}"
        outcome = "its mark is as it was"
        raise StorageError.of(exc, data.url(), doing=doing, outcome=outcome) from None
    return held


def _holds_anything(data: Objects) -> bool:
    """Whether `data` holds any file at all (a missing folder holds none)."""
    with suppress(FileNotFoundError, NotADirectoryError):
        return next(iter(data.walk("")), None) is not None
    return False


def kind(data: Objects) -> str:
    return "folder" if data.folder is not None else "bucket folder"


def _write(db: LakeDatabase, data: Objects, *, catalog: str) -> None:
    held = {"catalog": catalog, "place": db.place(), "registry": shown(db.url)}
    data.put(MARK, (json.dumps(held) + "\n").encode())


def _upgradable(db: LakeDatabase, held: object) -> bool:
    """Whether `held`, an older version's mark (an id, no place), is `db`'s catalog's,
    written by a URL naming the same one: then it is given the catalog's place."""
    if not isinstance(held, dict) or "catalog" not in held or held.get("place") is not None:
        return False
    return str(held["catalog"]) == db.catalog_id() and same_database(
        str(held.get("registry")), db.url
    )


def adopting(data: Objects) -> Spelled:
    """The step that makes `data` the data path of the registry that runs it."""
    return Spelled(
        python=f"operations.adopt_data_path(URL, data_path={data.url()!r})",
        shell=f"jupyter-mlops --home URL --data-path {shlex.quote(data.url())} adopt-data-path",
    )


def _copied(db: LakeDatabase, data: Objects, held: Mark) -> InvalidArgumentError:
    where = f"{kind(data)} {data.url()!r}"
    return InvalidArgumentError(
        f"the {db.shown} is a copy of the catalog of shared registry {held.registry!r}, or "
        "that one a copy of it (the same catalog id elsewhere in PostgreSQL, as a dump "
        "restored or a database made from it as a template has), and the "
        f"{where} holds that one's files, which this one's gc would delete as unused; give the "
        f"copy a data path of its own (a copy of that {kind(data)}, adopted there) with "
        f"{_ITS_OWN}, or, if the catalog was moved here and the old one is gone, adopt the "
        f"{kind(data)} with ",
        adopting(data),
        ".",
    )


def _unplaced(db: LakeDatabase, data: Objects, held: Mark) -> InvalidArgumentError:
    return InvalidArgumentError(
        f"the {kind(data)} {data.url()!r} holds the files of shared registry "
        f"{held.registry!r}, whose catalog id the {db.shown} has, marked by an older "
        "jupyter-mlops without where that catalog is in PostgreSQL, so this one, reached "
        "elsewhere, may be its copy (a dump restored, a database made from it as a template), "
        "whose gc would delete that one's artifacts as unused; if it is that catalog reached "
        f"by another name, adopt the {kind(data)} with ",
        adopting(data),
        f", or else give the copy a data path of its own (a copy of that {kind(data)}, "
        f"adopted there) with {_ITS_OWN}.",
    )
