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

import hashlib
import json
import shlex
import time
import uuid
from contextlib import suppress
from dataclasses import dataclass

from jupyter_mlops.config import CATALOG_MARK, DATA_PATH_VARIABLE
from jupyter_mlops.errors import ConflictError, InvalidArgumentError, Spelled, StorageError
from jupyter_mlops.store.lake import LakeDatabase
from jupyter_mlops.store.lake_urls import same_database, shown
from jupyter_mlops.store.objects import Objects

MARK = str(CATALOG_MARK)
ADOPTIONS = ".mlops-adoptions"  # each mark replaced by an adoption: who claimed it
_SETTLING = 5.0  # seconds an adoption that lost waits for the winner's mark
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
    folder. Refused when the mark names another catalog, and when another catalog adopted
    the same mark at the same time (`_replaced`). Returns the mark it replaced."""
    raw, mine = _read(data), db.catalog_id()
    held = marked(data) if raw is not None else None
    if held is not None and held.catalog != mine:
        raise InvalidArgumentError(
            f"the {kind(data)} {data.url()!r} holds the files of shared registry "
            f"{held.registry!r}, another catalog than the {db.shown} and no copy of it, so "
            f"it is not adopted; give the data path this machine reaches the own files of "
            f"the {db.shown} at with {_ITS_OWN}."
        )
    if held is None and _holds_anything(data):
        raise InvalidArgumentError(
            f"the {kind(data)} {data.url()!r} holds files but no mark saying whose they are "
            "(another registry's, or a folder copied without its .mlops-catalog.json), so it "
            f"is not adopted; adopt the {kind(data)} the files of the {db.shown} were copied "
            "or moved to with their mark."
        )
    assert mine is not None, "adopted by a registry that was made"
    if held is not None and held.place == db.place():
        return held  # its own already: nothing to change
    try:
        _replaced(db, data, raw, _content(db, catalog=mine))
    except OSError as exc:
        doing = f"mark {data.url()!r} as the data path of the {db.shown}"
        outcome = "its mark is as it was"
        raise StorageError.of(exc, data.url(), doing=doing, outcome=outcome) from None
    return held


def _read(data: Objects) -> bytes | None:
    """The mark's bytes as they are (None: there is none)."""
    try:
        return data.get(MARK)
    except FileNotFoundError:
        return None


def _replaced(db: LakeDatabase, data: Objects, raw: bytes | None, new: bytes) -> None:
    """Replace the mark `raw` (None: none yet) with `new`, unless another replaced it first.
    Of catalogs adopting one mark at once, one claims it (a file named after its bytes, each
    mark's unique, stored only where none is: `Objects.claim`) and replaces it; the others
    are refused, told which one adopted it."""
    if raw is None:
        if not data.claim(MARK, new):
            raise _lost(db, data, claim=None)
        return
    claim = f"{ADOPTIONS}/{hashlib.sha256(raw).hexdigest()}"
    if not data.claim(claim, new) or _read(data) != raw:
        raise _lost(db, data, claim=claim, raw=raw)
    data.put(MARK, new)


def _lost(
    db: LakeDatabase, data: Objects, *, claim: str | None, raw: bytes | None = None
) -> ConflictError:
    """The refusal of an adoption another catalog's won, or is winning (given a few seconds
    to write its mark, so that it is named as the one that stayed)."""
    now, deadline = _read(data), time.monotonic() + _SETTLING
    while claim is not None and now == raw and time.monotonic() < deadline:
        time.sleep(0.05)
        now = _read(data)
    claimed = None
    if claim is not None and now == raw:
        with suppress(OSError):
            claimed = data.get(claim)
    if claim is not None and claimed is not None:  # its mark not written yet: at work, or died
        by = _registry_of(claimed)
        return ConflictError(
            f"shared registry {by!r} is adopting the {kind(data)} {data.url()!r} at this "
            f"moment, so the {db.shown} did not adopt it; run it again once that one is done "
            f"(or, if that one's process died before it wrote the mark, delete "
            f"{data.url(claim)!r} first)."
        )
    by = _registry_of(now)
    return ConflictError(
        f"shared registry {by!r} adopted the {kind(data)} {data.url()!r} at the same time, "
        f"and its mark is the one that stayed, so the {db.shown} did not adopt it; give this "
        f"one a data path of its own with {_ITS_OWN}, or adopt the {kind(data)} again to take "
        "it from that one."
    )


def _registry_of(raw: bytes | None) -> str:
    """The registry a mark's (or a claim's) bytes name."""
    with suppress(ValueError, TypeError, KeyError, AttributeError):
        return str(json.loads(raw or b"")["registry"])
    return "another"


def _holds_anything(data: Objects) -> bool:
    """Whether `data` holds any file at all (a missing folder holds none)."""
    with suppress(FileNotFoundError, NotADirectoryError):
        return next(iter(data.walk("")), None) is not None
    return False


def kind(data: Objects) -> str:
    return "folder" if data.folder is not None else "bucket folder"


def _write(db: LakeDatabase, data: Objects, *, catalog: str) -> None:
    data.put(MARK, _content(db, catalog=catalog))


def _content(db: LakeDatabase, *, catalog: str) -> bytes:
    """A mark naming `db`'s catalog, its bytes unique to this writing of it (`written`)."""
    held = {
        "catalog": catalog,
        "place": db.place(),
        "registry": shown(db.url),
        "written": uuid.uuid4().hex,
    }
    return (json.dumps(held) + "\n").encode()


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
        f"copy its own data path (a copy of that {kind(data)}, adopted there once) with "
        f"{_ITS_OWN} each time it is opened, since its catalog still records this one, or, if "
        f"the catalog was moved here and the old one is gone, adopt the {kind(data)} with ",
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
