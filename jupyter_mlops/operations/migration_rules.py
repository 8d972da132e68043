"""What catching a copy up must not leave in it across rows: an alias on an archived version.

Each row is caught up on its own (`store/catch_up.py`): a row only the copy changed is kept,
one only the source changed is taken. An alias the copy moved to a version the source
archived since (or the reverse) would end on an archived version, which no command makes:
archiving refuses a version an alias points at, and promoting refuses an archived one. Such
a copy is refused before anything is written, naming which registry moved the alias.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from jupyter_mlops.errors import ConflictError
from jupyter_mlops.registry.archiving import ARCHIVED
from jupyter_mlops.store import catch_up, copying
from jupyter_mlops.store.backends import Store

if TYPE_CHECKING:
    import pyarrow as pa

    from jupyter_mlops.store.table_copies import Plan, Snapshot

_TAKEN = (catch_up.LACKING, catch_up.REPLACED)  # the source's change, taken


def refuse_aliases_on_archived(
    snapshot: Snapshot, target: Store, planned: Plan, *, source_named: str, target_named: str
) -> None:
    """Raise, in one sentence, if the copy `planned` would leave an alias of `target` on a
    version archived there."""
    found = planned.steps
    chosen = {table.name: table for table in snapshot.tables}
    if found is None or not {"aliases", "versions"} <= set(chosen):
        return
    with target.read() as conn:
        held = {name: copying.rows(conn, chosen[name].shape) for name in ("aliases", "versions")}
    after: dict[str, pa.Table] = {
        name: catch_up.merged(found, name, source=chosen[name].rows, target=held[name])
        for name in held
    }
    versions = after["versions"].select(["model", "version", "status", copying.KEY]).to_pylist()
    statuses = {(row["model"], row["version"]): row for row in versions}
    for alias in after["aliases"].select(["model", "alias", "version", copying.KEY]).to_pylist():
        version = statuses.get((alias["model"], alias["version"]))
        if version is None or version["status"] != ARCHIVED:
            continue
        moved = catch_up.step_of(found, "aliases", alias[copying.KEY])
        archived = catch_up.step_of(found, "versions", version[copying.KEY])
        moved_in = source_named if moved in _TAKEN else target_named
        archived_in = source_named if archived in _TAKEN else target_named
        raise ConflictError(
            f"{moved_in} moved {alias['model']}'s alias {alias['alias']!r} to version "
            f"{alias['version']}, which {archived_in} archived, so the copy would leave the "
            f"alias on an archived version and nothing was copied; point it at another version "
            f"in {moved_in} (`jupyter-mlops promote {alias['model']} N {alias['alias']}`), "
            "then run the same migrate again."
        )
