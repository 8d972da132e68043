"""`migrate`: copy a whole registry into another (a folder, a shared registry), verified.

Every step can run again, and a copy killed at any point completes when run again; run
again after the source changed, it catches the target up (a live registry moves in two
passes: copy the bulk, keep working, catch up, switch):

1. The source is read once: every table its schema lists, in one snapshot, and the files
   its rows refer to.
2. The target remembers the digest of each row (with a key) a copy from this source left
   (`store/catch_up.py`). A row the source changed or removed since, which the target
   still holds as the copy left it, is replaced or deleted; one only the target changed is
   kept. A row changed on both sides, or one the target holds under the same key that never
   came from this source (another registry), is refused before anything is copied: ids are
   kept, so evidence such as `{"check": 12}` still names the right row, and two
   registries' ids cannot mix. So is a copy that would leave an alias on a version archived
   on the other side (`migration_rules.py`).
3. The artifacts the target lacks are copied (each read checked against its sha256), then
   the rows (in batches, under its writer lock, user columns as the source recorded them;
   rows the source removed deleted, rows it changed deleted and added in the same write,
   each write remembering what it wrote), then the logged rows it lacks. Files come before
   the rows that refer to them, as in every write of a registry.
4. The target is read back: per table the count and order-independent hash of the
   source's rows (but those the target changed on its own), no row the source changed or
   removed left as it was, every artifact's sha256, every logged row there exactly once.
   Anything else raises `VerificationError`.

Tables without a key (check and metric results, run metrics and artifacts: rows only ever
added) take the rows they lack; a version's profile, replaced whole with its reference, is
known by its feature's position (`copying.ROW_KEYS`).
"""

from __future__ import annotations

import json
import os

from jupyter_mlops.clock import utc_now
from jupyter_mlops.config import REGISTRY_FILE, resolve_location
from jupyter_mlops.errors import (
    ConflictError,
    IntegrityError,
    InvalidArgumentError,
    NotFoundError,
    VerificationError,
)
from jupyter_mlops.monitoring import log_copies
from jupyter_mlops.operations import migration_rules
from jupyter_mlops.operations.migration_records import LogCopy, Migration, TableCopy
from jupyter_mlops.registry import Registry
from jupyter_mlops.registry.display import counted
from jupyter_mlops.registry.locations import catalog_key
from jupyter_mlops.store import deployments as deployments_sql
from jupyter_mlops.store import table_copies
from jupyter_mlops.store.lake import LakeDatabase
from jupyter_mlops.store.lake_urls import shown
from jupyter_mlops.store.table_copies import Clashes, Snapshot

SHOWN_PROBLEMS = 3


def migrate(source: Registry, target: Registry) -> Migration:
    """Copy every table, artifact, logged row and job notebook of `source` that `target`
    lacks into `target`, ids and recorded users kept, then verify the target holds all of
    it. Run again, it copies only what is missing, and takes what the source changed or
    removed since (`store/catch_up.py`)."""
    _refuse_same(source, target)
    if isinstance(target.db, LakeDatabase):
        target.db.require_writable()
    snapshot = table_copies.snapshot(source.db)
    planned = _planned(source, target, snapshot)
    _mark_copied_deployments(source, target, snapshot)
    owners = {row["sha256"]: row["owner"] for row in reversed(snapshot.references)}
    with target.artifacts.in_use():
        files, damaged = _copy_artifacts(source, target, owners)
        rows = table_copies.copy(
            snapshot,
            target.db,
            planned,
            refuse=lambda found: _clash(source, target, found, first=False),
        )
    days = log_copies.copy_logs(source.data, target.data)
    checked = table_copies.check(snapshot, target.db, planned, rows)
    problems = _problems(checked, target, owners, damaged, days)
    if problems:
        raise _unverified(source, target, problems)
    return Migration(
        source=_named(source),
        target=_named(target),
        tables=[
            TableCopy(
                name,
                tally.rows + checked.kept[name],
                rows[name].added,
                tally.digest,
                updated=rows[name].updated,
                removed=rows[name].removed,
                kept=checked.kept[name],
            )
            for name, tally in checked.tallies.items()
        ],
        artifacts=len(owners),
        artifacts_copied=files,
        logs=LogCopy.of(days),
    )


def registry_at(
    location: str | os.PathLike[str] | None, *, data_path: str | os.PathLike[str] | None = None
) -> Registry:
    """The registry that is at `location` already (a folder or a shared registry's URL; None:
    the one in use): what a migration copies from, never made by opening it."""
    require_there(location, data_path=data_path)
    return Registry(location, data_path=data_path)


def require_there(
    location: str | os.PathLike[str] | None, *, data_path: str | os.PathLike[str] | None = None
) -> None:
    """Refuse, in one sentence, a `location` that holds no registry to copy from, without
    opening (or making) one."""
    place = resolve_location(location, data_path=data_path)
    if place.url is not None:
        found = LakeDatabase(place.url, place.data_path).exists()
        where = f"shared registry {shown(place.url)!r}"
    else:
        assert place.home is not None
        found = (place.home / REGISTRY_FILE).exists()
        where = f"{str(place.home)!r}"
    if not found:
        raise NotFoundError(
            f"there is no registry at {where} to copy from; give the folder holding its "
            f"{REGISTRY_FILE}, or a shared registry's URL."
        )


def _mark_copied_deployments(source: Registry, target: Registry, snapshot: Snapshot) -> None:
    """Record in the target, before the rows themselves, that the deployments it takes are
    the source's (or those of the registry the source had them from): their servers serve
    that registry, so the target lists them as copied and never asks or stops them."""
    ids = [row for table in snapshot.tables if table.name == "deployments" for row in table.ids]
    with source.db.read() as conn:
        earlier = deployments_sql.copied_sources(conn)
    with target.db.read() as conn:
        marked = deployments_sql.copied_sources(conn)
    sources = {found: earlier.get(found, source.shown) for found in ids if found not in marked}
    if sources:
        with target.db.write() as conn:
            deployments_sql.mark_copied(conn, sources, at=utc_now())


def _copy_artifacts(
    source: Registry, target: Registry, owners: dict[str, str]
) -> tuple[int, dict[str, str]]:
    """Copy each file the target lacks (or holds damaged); how many, and the source's
    files that do not match their sha256 (not copied), with why."""
    copied, damaged = 0, {}
    for digest, owner in owners.items():
        if target.artifacts.holds(digest):
            continue
        try:
            data = source.artifacts.get(digest, label=owner)
        except IntegrityError:
            found = source.artifacts.exists(digest)
            state = "does not match its sha256" if found else "is missing"
            damaged[digest] = f"{owner}: its artifact file in {_named(source)} {state}"
            continue
        target.artifacts.put(data)
        copied += 1
    return copied, damaged


def _problems(
    checked: table_copies.Checked,
    target: Registry,
    owners: dict[str, str],
    damaged: dict[str, str],
    days: list[log_copies.LogDay],
) -> list[str]:
    """What the target, read back, does not hold as the source did."""
    problems = [
        f"table {name} holds {_holding(tally)}"
        for name, tally in checked.tallies.items()
        if not tally.equal
    ]
    problems += [
        f"table {name} still holds {counted(stale, 'row')} the source changed or removed"
        for name, stale in checked.stale.items()
        if stale
    ]
    for digest, owner in owners.items():
        if not target.artifacts.holds(digest):
            problems.append(damaged.get(digest) or f"{owner}: its artifact is not whole there")
    for day, tally in log_copies.check_logs(target.data, days):
        if not tally.equal:
            problems.append(f"{day.title} holds {_holding(tally)}")
    return problems


def _unverified(source: Registry, target: Registry, problems: list[str]) -> VerificationError:
    listed = "; ".join(problems[:SHOWN_PROBLEMS])
    more = len(problems) - SHOWN_PROBLEMS
    return VerificationError(
        f"copying {_named(source)} into {_named(target)} did not verify ({listed}"
        f"{f'; and {more} more' if more > 0 else ''}); restore what the source has damaged "
        "from a backup, then run the same migrate again (it copies only what is missing or "
        "changed)."
    )


def _holding(tally: table_copies.Tally) -> str:
    parts = [f"{tally.held:,} of the source's {counted(tally.rows, 'row')}"]
    if tally.lacking:
        parts.append(f"{tally.lacking:,} missing")
    if tally.extra:
        parts.append(f"{tally.extra:,} there twice")
    return ", ".join(parts)


def _refuse_same(source: Registry, target: Registry) -> None:
    if _identity(source) == _identity(target) or _same_file(source, target):
        also = "" if _named(target) == _named(source) else f", reached also as {_named(target)}"
        raise InvalidArgumentError(
            f"the registry to copy from and the one to copy into are both {_named(source)}"
            f"{also}; give another registry to copy into."
        )


def _same_file(source: Registry, target: Registry) -> bool:
    """Whether two folder registries are one file reached by two paths (a bind mount, one
    export mounted twice), which their paths cannot tell."""
    if source.shared or target.shared:
        return False
    try:
        return os.path.samefile(source.home / REGISTRY_FILE, target.home / REGISTRY_FILE)
    except OSError:  # the target's file is not made yet
        return False


def _identity(registry: Registry) -> str:
    if isinstance(registry.db, LakeDatabase):  # however its URL is spelt; a copy is another
        return catalog_key(registry.db)
    return str(registry.home.resolve())


def _planned(source: Registry, target: Registry, snapshot: Snapshot) -> table_copies.Plan:
    """What the copy will add; a target it cannot take is refused before anything is copied."""
    found = table_copies.plan(snapshot, target.db, origin=_identity(source))
    if found.unmatched:
        raise ConflictError(
            f"{_named(target)} lacks {', '.join(found.unmatched[:SHOWN_PROBLEMS])} of "
            f"{_named(source)}, so nothing was copied; open both with the same jupyter-mlops."
        )
    if found.clashes:
        raise _clash(source, target, found.clashes, first=True)
    migration_rules.refuse_aliases_on_archived(
        snapshot, target.db, found, source_named=_named(source), target_named=_named(target)
    )
    return found


def _clash(source: Registry, target: Registry, clashes: Clashes, *, first: bool) -> ConflictError:
    examples = "; ".join(
        f"{table} {_key(keys[0])}" for table, keys in list(clashes.items())[:SHOWN_PROBLEMS]
    )
    return ConflictError(
        f"{_named(target)} holds rows changed both there and in {_named(source)} since the "
        f"last copy, never copied from it, or gone from it though nothing deletes them (a "
        f"source restored from an older backup) ({examples}), so nothing "
        f"{'was' if first else 'more was'} copied; make those rows in {_named(target)} the same "
        f"as in {_named(source)} where a command can (an alias moved back, a tag set again), or "
        "copy into a new, empty registry (rows both made since the last copy, such as two "
        "audit events of one id, never merge)."
    )


def _key(key: str) -> str:
    """A row's key (JSON) as `model='churn', version=3`."""
    return ", ".join(f"{name}={value!r}" for name, value in json.loads(key).items())


def _named(registry: Registry) -> str:
    return f"shared registry {registry.shown!r}" if registry.shared else repr(registry.shown)
