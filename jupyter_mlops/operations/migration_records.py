"""What a migration copied and verified, as every face shows it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from jupyter_mlops.registry.display import counted, html_table, text_table

if TYPE_CHECKING:
    from jupyter_mlops.monitoring.log_copies import LogDay

VERIFIED = (
    "verified: every table's rows (count and hash; none the source changed or removed left as "
    "it was), every artifact's sha256, every logged row there once"
)
_HEADERS = ["what", "in source", "added", "updated", "removed", "kept", "hash"]


@dataclass(frozen=True)
class TableCopy:
    """One table: the source's rows, and how many the target took (new to it, or changed in
    the source since the last copy) and deleted (removed from the source since)."""

    name: str
    rows: int  # the source's rows, those the target kept as it has them among them
    copied: int  # rows added
    digest: str  # an order-independent hash of its rows (but those kept), the same in both
    updated: int = 0
    removed: int = 0
    kept: int = 0  # rows the target changed (or removed) on its own, kept as it has them


@dataclass(frozen=True)
class LogCopy:
    """One kind of log (predictions, labels, shadows): its rows and how many were added."""

    kind: str
    rows: int
    copied: int

    @classmethod
    def of(cls, days: list[LogDay]) -> list[LogCopy]:
        kinds: dict[str, list[int]] = {}
        for day in days:
            counts = kinds.setdefault(day.kind, [0, 0])
            counts[0] += day.rows
            counts[1] += day.copied
        return [cls(kind, rows, copied) for kind, (rows, copied) in kinds.items()]


@dataclass(frozen=True)
class Migration:
    """A registry copied into another: what each table, the artifacts and the logs took."""

    source: str
    target: str
    tables: list[TableCopy] = field(default_factory=list)
    artifacts: int = 0
    artifacts_copied: int = 0
    logs: list[LogCopy] = field(default_factory=list)
    verified: bool = True

    @property
    def rows_copied(self) -> int:
        """The rows written from the source: added or updated."""
        return sum(table.copied + table.updated for table in self.tables)

    @property
    def rows_added(self) -> int:
        return sum(table.copied for table in self.tables)

    @property
    def rows_updated(self) -> int:
        return sum(table.updated for table in self.tables)

    @property
    def rows_removed(self) -> int:
        return sum(table.removed for table in self.tables)

    @property
    def log_rows_copied(self) -> int:
        return sum(log.copied for log in self.logs)

    @property
    def copied_anything(self) -> bool:
        return bool(
            self.rows_copied or self.rows_removed or self.artifacts_copied or self.log_rows_copied
        )

    @property
    def headline(self) -> str:
        if not self.copied_anything:
            return (
                f"nothing to copy: {self.target} holds every row, artifact and logged row of "
                f"{self.source} already"
            )
        updated = f" ({self.rows_updated:,} updated)" if self.rows_updated else ""
        removed = f", and removed {counted(self.rows_removed, 'row')}," if self.rows_removed else ""
        return (
            f"copied {counted(self.rows_copied, 'row')}{updated}, "
            f"{counted(self.artifacts_copied, 'artifact')} and "
            f"{counted(self.log_rows_copied, 'logged row')}{removed} from {self.source} into "
            f"{self.target}"
        )

    def _rows(self) -> list[list[Any]]:
        rows: list[list[Any]] = [
            [
                f"table {t.name}",
                t.rows,
                t.copied,
                t.updated,
                t.removed,
                t.kept,
                t.digest[:16] if t.rows > t.kept else "",
            ]
            for t in self.tables
        ]
        rows.append(["artifacts", self.artifacts, self.artifacts_copied, "", "", "", ""])
        rows += [
            [f"{log.kind} log rows", log.rows, log.copied, "", "", "", ""] for log in self.logs
        ]
        return rows

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "target": self.target,
            "tables": {
                t.name: {
                    "rows": t.rows,
                    "copied": t.copied,
                    "updated": t.updated,
                    "removed": t.removed,
                    "kept": t.kept,
                    "hash": t.digest,
                }
                for t in self.tables
            },
            "artifacts": {"files": self.artifacts, "copied": self.artifacts_copied},
            "logs": {log.kind: {"rows": log.rows, "copied": log.copied} for log in self.logs},
            "copied": self.copied_anything,
            "verified": self.verified,
        }

    @property
    def kept_note(self) -> str:
        """The rows the target changed on its own since the last copy, kept as it has them."""
        kept = [f"{counted(t.kept, 'row')} of {t.name}" for t in self.tables if t.kept]
        if not kept:
            return ""
        return (
            f"kept as {self.target} has them, changed there only since the last copy: "
            f"{', '.join(kept)}"
        )

    def __str__(self) -> str:
        note = f"\n{self.kept_note}" if self.kept_note else ""
        return f"{self.headline}\n{text_table(_HEADERS, self._rows())}\n{VERIFIED}{note}"

    __repr__ = __str__

    def _repr_html_(self) -> str:
        note = f"; {self.kept_note}" if self.kept_note else ""
        return html_table(_HEADERS, self._rows(), caption=f"{self.headline}; {VERIFIED}{note}")
