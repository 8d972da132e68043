"""A shared data path's logs: merged files beside their sources, and the journals that name
the sources each one replaces.

On a folder many machines mount (NFS and the like) file locks cannot be trusted, and a
bucket of object storage has none, so where `logs/.shared` marks a shared registry's data
path no reader or writer of a log takes one,
and one compaction of a model at a time is had by a lease in the catalog
(`shared_compaction.py`, which merges; `logs.segments` lists a day as readers read it).
Files are only ever added, and deleted long after anyone could still be reading them:

1. A merge copies its sources into a temporary file (a name no reader lists), then writes
   its journal `.merged-<key>.json` whole (temporary file, fsync, rename; in a bucket one
   PUT) naming the sources and the merged file, and only then gives the merged file its
   name (a rename; in a bucket a server-side copy, then the temporary object deleted).
2. A reader lists a day's segments, then its journals, and leaves out the sources of every
   merged file it listed, and in turn their sources when they were merged files themselves.
   It lists a merged file only once its journal is in place, so it reads every row once:
   in a merged file it listed, or in the sources of one it did not.
3. What a reader listed stays a while. Sources are deleted only once their merged file has
   had its name for `grace` (15 minutes), so a reader that listed them without it has that
   long to read them; a merged file that was merged again only after its own sources, so
   that whatever of them a reader meets, a chain of journals from the newer merge leaves
   out; a journal only `grace` after its sources (its `.merged-<key>.done` says when), so
   a reader that listed one of them just before still finds it.
4. A journal whose merged file has no name, and never had (it was not merged again, its
   sources are all there), is a compaction's that died, or lost its lease, before the
   rename. The next compaction deletes its temporary file first, so the file can no longer
   take its name, then the journal, unless the file took its name meanwhile.

Only the lease's holder deletes anything (`settle`), and a day is settled before it is
merged, so the deletions that a merge makes possible are the next compaction's.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import timedelta

from jupyter_mlops.store.objects import Objects

GRACE = timedelta(minutes=15)
PREFIX = ".merged-"
INCOMING = ".incoming-"  # a file `write_file` writes, before it takes its name
ABANDONED = timedelta(hours=1)  # no write of a segment or journal takes that long


@dataclass(frozen=True)
class Journal:
    """One merge of a day (the key of its `date=` folder): the sources it replaces and the
    merged file they became."""

    day: str
    key: str
    sources: tuple[str, ...]
    target: str

    @property
    def path(self) -> str:
        return f"{self.day}/{PREFIX}{self.key}.json"

    @property
    def done(self) -> str:
        """Written once the sources are deleted; its age is how long ago."""
        return f"{self.day}/{PREFIX}{self.key}.done"

    @property
    def temporary(self) -> str:
        return f"{self.day}/{PREFIX}{self.key}.tmp"

    @property
    def merged(self) -> str:
        return f"{self.day}/{self.target}"


def day_files(data: Objects, day: str) -> list[str]:
    """The day's segments, less those a merged file listed with them replaces."""
    names = _segments(data, day)
    journals = read_journals(data, day)  # after the segments: see the module's docstring
    return [f"{day}/{name}" for name in sorted(names - replaced(names, journals))]


def replaced(names: set[str], journals: list[Journal]) -> set[str]:
    """The sources of the merged files among `names`, and of those among the sources."""
    by_target = {journal.target: journal for journal in journals}
    gone: set[str] = set()
    waiting = [name for name in names if name in by_target]
    while waiting:
        journal = by_target.get(waiting.pop())
        for source in journal.sources if journal is not None else ():
            if source not in gone:
                gone.add(source)
                waiting.append(source)
    return gone


def read_journals(data: Objects, day: str) -> list[Journal]:
    """The journals of the day's merges, in no order."""
    found = []
    for name in data.names(day):
        if name.startswith(PREFIX) and name.endswith(".json"):
            try:
                entry = json.loads(data.get(f"{day}/{name}"))
            except FileNotFoundError:  # forgotten meanwhile: its sources went long ago
                continue
            key = name.removeprefix(PREFIX).removesuffix(".json")
            found.append(Journal(day, key, tuple(entry["sources"]), entry["target"]))
    return found


def record(data: Objects, journal: Journal) -> None:
    """Write `journal` whole: step 1 above, before the merged file may take its name."""
    entry = {"sources": journal.sources, "target": journal.target}
    data.put(journal.path, json.dumps(entry).encode())


def settle(data: Objects, day: str, *, grace: timedelta) -> None:
    """Undo the day's merges that never took place, delete the sources of those that did
    `grace` ago (sources' own sources first), and forget journals settled `grace` ago.

    Only the holder of the model's compaction lease may: nobody else deletes a file."""
    journals = _took_place(data, day)
    _clear_debris(data, day, {journal.key for journal in journals})
    settled = [journal for journal in journals if data.exists(journal.done)]
    pending = [journal for journal in journals if journal not in settled]
    while ready := [j for j in pending if _settles(data, j, pending, grace=grace)]:
        for journal in ready:
            data.delete(f"{day}/{source}" for source in journal.sources)
            data.put(journal.done, b"")
            pending.remove(journal)
    for journal in settled:  # by an earlier compaction
        if _age(data, journal.done) >= grace.total_seconds():
            data.delete([journal.path])
            data.delete([journal.done])


def _took_place(data: Objects, day: str) -> list[Journal]:
    """The day's journals of merges that took place; the others are undone. A merge took
    place when its file has its name, or had it: its sources are gone (it is settled), or
    a later merge took it as a source."""
    journals = read_journals(data, day)
    named = _segments(data, day) | {source for journal in journals for source in journal.sources}
    return [
        journal
        for journal in journals
        if journal.target in named or data.exists(journal.done) or not _undone(data, journal)
    ]


def _undone(data: Objects, journal: Journal) -> bool:
    """Undo a merge whose file has no name: its temporary file first, so that it never can
    take one, then the journal; False when the file took its name just before."""
    data.delete([journal.temporary])
    if data.exists(journal.merged):
        return False
    data.delete([journal.path])
    return True


def _clear_debris(data: Objects, day: str, keys: set[str]) -> None:
    """Delete what compactions left that no journal of `keys` owns (a temporary file or a
    `.done` of one that died) and the temporary files of writes abandoned long ago."""
    for name in data.names(day):
        key = name.removeprefix(PREFIX).rsplit(".", 1)[0]
        if name.startswith(PREFIX) and not name.endswith(".json") and key not in keys:
            data.delete([f"{day}/{name}"])
        elif name.startswith(INCOMING):
            try:  # a write that finished meanwhile is gone
                if _age(data, f"{day}/{name}") > ABANDONED.total_seconds():
                    data.delete([f"{day}/{name}"])
            except FileNotFoundError:
                pass


def _settles(data: Objects, journal: Journal, pending: list[Journal], *, grace: timedelta) -> bool:
    """Whether `journal`'s sources may go now: its merged file has had its name for
    `grace`, and no source of it waits for its own sources to go first."""
    waiting = {other.target for other in pending if other is not journal}
    if waiting.intersection(journal.sources):
        return False
    try:
        return _age(data, journal.merged) >= grace.total_seconds()
    except FileNotFoundError:  # merged again, and that merge settled: long enough ago
        return True


def _age(data: Objects, key: str) -> float:
    return time.time() - data.entry(key).modified


def _segments(data: Objects, day: str) -> set[str]:
    return {name for name in data.names(day) if name.endswith(".parquet") and name[0] != "."}
