"""Compacting a model's logs on a shared data path: one compaction anywhere at a time.

File locks do not hold across the machines that mount a data path (and a bucket has
none), so a compaction there claims the lease `compaction:<model>` in the registry's
catalog (`store/leases.py`) and does the work `journals.py` describes under it: it
settles each day (undoes merges that never took place, deletes what merges replaced a
grace period ago) and merges the day's small segments beside them. Another compaction of
the model, on any machine, is refused while the lease lives; one that died loses it when
it expires. The holder makes sure the lease is still its own before each day and before
each merged file takes its name, renewing it once half of it has run out, and stops if it
was taken. In a bucket the day's small segments are downloaded to be merged on this
machine, and the merged file is uploaded under a temporary name before its journal is
written.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from contextlib import suppress
from datetime import timedelta
from pathlib import Path

from jupyter_mlops.errors import ConflictError, InvalidArgumentError, MlopsError
from jupyter_mlops.monitoring import journals, logs, merging
from jupyter_mlops.registry.capture import process_gone
from jupyter_mlops.store import leases
from jupyter_mlops.store.backends import Store
from jupyter_mlops.store.objects import Entry, Objects

LEASE_SECONDS = 120.0


class _Held:
    """The lease a compaction holds, kept its own."""

    def __init__(self, catalog: Store, lease: leases.Lease, seconds: float) -> None:
        self.catalog, self.lease, self.seconds = catalog, lease, seconds

    def renew(self) -> None:
        """Make sure the lease is still ours for a while: renewed once half of it is gone;
        ConflictError, and nothing more done, when another compaction took it."""
        left = (self.lease.expires_at - leases.now(self.catalog)).total_seconds()
        if left > self.seconds / 2:
            return
        renewed = leases.renew(self.catalog, self.lease, seconds=self.seconds)
        if renewed is None:
            model = self.lease.name.removeprefix("compaction:")
            raise ConflictError(
                f"the compaction of {model}'s logs stopped: its lease expired and another "
                "compaction took it over (no row was lost); let that one finish."
            )
        self.lease = renewed


def compact_model(
    data: Objects, model: str, *, catalog: Store, grace: timedelta, lease_seconds: float
) -> list[merging.Compaction]:
    """Settle and merge each day of `model`'s logs, holding its compaction lease."""
    owner = leases.new_owner()
    lease = leases.claim(catalog, f"compaction:{model}", owner=owner, seconds=lease_seconds)
    if lease.owner != owner:
        until = f"{lease.expires_at:%H:%M:%S} UTC"
        if process_gone(lease.host, lease.pid):  # this machine's, and it died holding it
            raise InvalidArgumentError(
                f"a compaction of {model}'s logs by process {lease.pid} of this machine ended "
                f"without giving its lease back (killed, or crashed); run it again after {until}, "
                "when the lease expires (no row was lost)."
            )
        raise InvalidArgumentError(
            f"a compaction of {model}'s logs is running on {lease.host} (process {lease.pid}); "
            f"wait for it to end (one that died gives way when its lease expires, at {until})."
        )
    held = _Held(catalog, lease, lease_seconds)
    try:
        return _compact_days(data, model, held, grace=grace)
    finally:
        with suppress(MlopsError):  # an unreachable catalog: the lease expires by itself
            leases.release(catalog, held.lease)


def _compact_days(
    data: Objects, model: str, held: _Held, *, grace: timedelta
) -> list[merging.Compaction]:
    done = []
    for kind in logs.KINDS:
        for day in logs.days(data, kind, model):
            held.renew()
            journals.settle(data, day, grace=grace)
            listed = {entry.key: entry for entry in data.walk(day)}  # with their sizes
            found = [listed[key] for key in logs.segments(data, day) if key in listed]
            small = [entry for entry in found if entry.size < merging.SMALL_BYTES]
            if len(small) < 2:
                continue
            with data.local([entry.key for entry in small]) as files:
                groups = merging.mergeable(files)
                keys = dict(zip(files, small, strict=True))
                merged = [
                    _merge_beside(data, day, group, [keys[path] for path in group], held.renew)
                    for group in groups
                ]
            if groups:
                done.append(merging.summary(model, kind, day, groups, merged))
    return done


def _merge_beside(
    data: Objects, day: str, files: list[Path], sources: list[Entry], renew: Callable[[], None]
) -> tuple[int, int, int]:
    """Merge `sources` (one schema; their `files` on this machine) into a file beside them
    that takes its name after its journal, once `renew` (which raises when the lease was
    lost) has passed; the rows, and bytes before and after. The sources stay until a later
    compaction settles the day."""
    key = uuid.uuid4().hex[:12]
    first = sources[0].name.split("-")[0]  # segment names start with their time: keep the order
    name = f"{first}-{logs.host_part()}-{os.getpid()}-{key}.parquet"
    journal = journals.Journal(day, key, tuple(entry.name for entry in sources), name)
    try:
        with data.spooled(journal.temporary) as temporary:
            rows = merging.copy_rows(files, temporary)
        journals.record(data, journal)
        renew()
        data.rename(journal.temporary, journal.merged)  # its sources' grace starts now
    except BaseException:
        with suppress(OSError):
            data.delete([journal.temporary])
            if not data.exists(journal.merged):
                data.delete([journal.path])
        raise
    return rows, sum(entry.size for entry in sources), data.entry(journal.merged).size
