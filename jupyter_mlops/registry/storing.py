"""Writing a drafted version: its files first, then its row, numbered under the lock.

A row never refers to a file that is not whole on disk, so the artifact and the reference
sample are stored (and kept from garbage collection) before the write transaction that
numbers the version and inserts it with its profile and tags. A draft that repeats a
stored version (`repeats.py`) is looked for before the files are written and again under
the lock, where a registration running at the same time would have left its version; the
stored one is handed back instead of a copy.

A new model's name may not differ only by case, or trailing dots, from another's (`churn`
beside `Churn` or `churn.`): its prediction, label and server logs are kept in folders and
files named after it, which a file system that ignores case (macOS, Windows, most SMB
shares) or drops a name's trailing dots (Windows, SMB) would make one, mixing the two
models' logs; nor may it end in a dot or be a name Windows keeps for a device (`con`,
`nul.v2`), whose folder could not be made there. It is refused before the files are
written, and again under the lock.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from jupyter_mlops.clock import utc_now
from jupyter_mlops.errors import ConflictError, InvalidArgumentError
from jupyter_mlops.registry.lookups import find_version
from jupyter_mlops.registry.records import Version
from jupyter_mlops.registry.refs import ModelRef
from jupyter_mlops.registry.repeats import repeated_version, restore_files, reused, tell_job
from jupyter_mlops.registry.trust import warn_of_notebook_code
from jupyter_mlops.store import actors, catalog

if TYPE_CHECKING:
    import duckdb

    from jupyter_mlops.registry.artifacts import ArtifactStore
    from jupyter_mlops.registry.registration import Draft
    from jupyter_mlops.store.backends import Store


def store_version(
    db: Store, artifacts: ArtifactStore, name: str, draft: Draft, *, repeats: bool
) -> Version:
    """Store `draft` as the next version of `name`; with `repeats`, a stored version it
    repeats is returned instead, with a note."""
    with db.read() as conn:
        _refuse_folder_twin(conn, name)
        same = _same_version(conn, artifacts, name, draft) if repeats else None
    if same is not None:
        restore_files(same, draft, artifacts)
        return tell_job(artifacts.home, reused(same, draft))
    record = draft.record
    with artifacts.in_use():  # no garbage collection until the row refers to them
        record["artifact_sha256"] = artifacts.put(draft.artifact)
        record["reference_sha256"] = artifacts.put(draft.reference) if draft.reference else None
        with db.write() as conn:
            same = _same_version(conn, artifacts, name, draft) if repeats else None
            if same is not None:
                return tell_job(artifacts.home, reused(same, draft))
            _insert_version(conn, name, draft)
    tags = dict(draft.given.tags)
    return warn_of_notebook_code(Version.from_row(record, aliases=[], tags=tags))


def _same_version(
    conn: duckdb.DuckDBPyConnection, artifacts: ArtifactStore, name: str, draft: Draft
) -> Version | None:
    if catalog.get_model(conn, name) is None:
        return None
    rows = catalog.list_versions(conn, name)
    number = repeated_version(rows, draft, artifacts, model=name)
    return None if number is None else find_version(conn, ModelRef(name, version=number))


# the names Windows keeps for devices, whatever follows a dot: no file or folder is so named
_DEVICE = re.compile(r"(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?", re.IGNORECASE)


def _refuse_folder_twin(conn: duckdb.DuckDBPyConnection, name: str) -> None:
    """Refuse a new model `name` whose logs' folder another model's would be on a file
    system that ignores case or trailing dots, or that Windows could not make."""
    if catalog.get_model(conn, name) is not None:
        return
    why = None
    if name.endswith("."):
        why = (
            "ends in a dot, which Windows and SMB shares drop from a folder's name (its logs "
            f"would be kept with those of a model named {name.rstrip('.')!r})"
        )
    elif _DEVICE.fullmatch(name):
        why = "is a name Windows keeps for a device, which no folder of its logs may have there"
    if why is not None:
        raise InvalidArgumentError(
            f"model name {name!r} {why}; choose another name, such as {_renamed(name)!r}."
        )
    twin = catalog.case_twin(conn, name)
    if twin is not None:
        differs = "case" if twin.lower() == name.lower() else "trailing dots"
        raise ConflictError(
            f"model {name!r} differs only by {differs} from model {twin!r}, and a file system "
            "that ignores them (macOS, Windows, SMB shares) would keep both models' logs in one "
            f"folder; register it as {twin!r}, or choose a name that differs in more than that."
        )


def _renamed(name: str) -> str:
    """A name like `name` that a Windows share takes: `con.x` as `con-model.x`."""
    stem, dot, rest = name.rstrip(".").partition(".")
    return f"{stem}-model{dot}{rest}"


def _insert_version(conn: duckdb.DuckDBPyConnection, name: str, draft: Draft) -> None:
    """Number the draft and insert it with its profile and tags (one transaction)."""
    from jupyter_mlops.profiling.profile import to_rows

    record = draft.record
    record["created_at"] = utc_now()
    record["created_by"] = actors.user(conn, record["created_by"])  # as it is recorded
    if catalog.get_model(conn, name) is None:
        _refuse_folder_twin(conn, name)  # made meanwhile by another registration
        catalog.insert_model(
            conn,
            name,
            at=record["created_at"],
            by=record["created_by"],
            description=record["description"],
        )
    record["model"] = name
    record["version"] = catalog.next_version(conn, name)
    catalog.insert_version(conn, record)
    if draft.profile:
        catalog.insert_profiles(conn, to_rows(draft.profile, model=name, version=record["version"]))
    for key, value in draft.given.tags.items():
        catalog.set_tag(conn, name, record["version"], key, value)
