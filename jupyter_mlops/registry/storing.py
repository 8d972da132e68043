"""Writing a drafted version: its files first, then its row, numbered under the lock.

A row never refers to a file that is not whole on disk, so the artifact and the reference
sample are stored (and kept from garbage collection) before the write transaction that
numbers the version and inserts it with its profile and tags. A draft that repeats a
stored version (`repeats.py`) is looked for before the files are written and again under
the lock, where a registration running at the same time would have left its version; the
stored one is handed back instead of a copy.

A new model's name may not differ only by case from another's (`churn` beside `Churn`):
its prediction, label and server logs are kept in folders and files named after it, which a
file system that ignores case (macOS, Windows, most SMB shares) would make one, mixing the
two models' logs. It is refused before the files are written, and again under the lock.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from jupyter_mlops.clock import utc_now
from jupyter_mlops.errors import ConflictError
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
        _refuse_case_twin(conn, name)
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


def _refuse_case_twin(conn: duckdb.DuckDBPyConnection, name: str) -> None:
    """Refuse a new model `name` whose name another model has in other case."""
    if catalog.get_model(conn, name) is not None:
        return
    twin = catalog.case_twin(conn, name)
    if twin is not None:
        raise ConflictError(
            f"model {name!r} differs only by case from model {twin!r}, and a file system that "
            "ignores case (macOS, Windows, SMB shares) would keep both models' logs in one "
            f"folder; register it as {twin!r}, or choose a name that differs in more than case."
        )


def _insert_version(conn: duckdb.DuckDBPyConnection, name: str, draft: Draft) -> None:
    """Number the draft and insert it with its profile and tags (one transaction)."""
    from jupyter_mlops.profiling.profile import to_rows

    record = draft.record
    record["created_at"] = utc_now()
    record["created_by"] = actors.user(conn, record["created_by"])  # as it is recorded
    if catalog.get_model(conn, name) is None:
        _refuse_case_twin(conn, name)  # made meanwhile by another registration
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
