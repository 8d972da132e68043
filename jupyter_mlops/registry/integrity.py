"""A whole-registry integrity check: every version's artifacts present and unaltered."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from jupyter_mlops.errors import IntegrityError
from jupyter_mlops.jsonable import fields_of
from jupyter_mlops.registry.artifacts import RUN_FIX, VERSION_FIX, ArtifactStore
from jupyter_mlops.registry.display import counted, html_table, text_table

JOB_FIX = "restore the file from a backup, or run the job's notebook again"
FIXES = {"run": RUN_FIX, "job": JOB_FIX}


@dataclass
class IntegrityReport:
    versions: int = 0
    run_artifacts: int = 0
    job_notebooks: int = 0
    problems: list[str] = field(default_factory=list)
    unreferenced: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, **fields_of(self)}

    def __str__(self) -> str:
        verdict = "ok" if self.ok else counted(len(self.problems), "problem")
        checked = (
            f"{self.versions} versions, {self.run_artifacts} run artifacts and "
            f"{self.job_notebooks} job notebooks checked"
        )
        lines = [f"{checked}: {verdict}"]
        lines += [f"  {problem}" for problem in self.problems]
        if self.unreferenced:
            files = counted(len(self.unreferenced), "artifact file")
            lines.append(f"  {files} no version refers to")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        checked = (
            f"{self.versions} versions, {self.run_artifacts} run artifacts, "
            f"{self.job_notebooks} job notebooks"
        )
        rows = [("checked", checked), *(("problem", p) for p in self.problems)]
        rows.append(("unreferenced files", str(len(self.unreferenced))))
        return html_table(["", ""], rows, marked=[r[0] == "problem" for r in rows])

    __repr__ = __str__


@dataclass
class Collected:
    """The artifact files `gc` deleted or, on a dry run, would delete."""

    names: list[str]
    dry_run: bool = False

    def _headline(self) -> str:
        verb = "would delete" if self.dry_run else "deleted"
        return f"{verb} {counted(len(self.names), 'unreferenced artifact file')}"

    def to_dict(self) -> dict[str, Any]:
        return {"dry_run": self.dry_run, "files": list(self.names)}

    def __str__(self) -> str:
        if not self.names:
            return self._headline()
        return f"{self._headline()}:\n{text_table(['sha256'], [[n] for n in self.names])}"

    __repr__ = __str__

    def _repr_html_(self) -> str:
        rows = [[name] for name in self.names]
        return html_table(["sha256"], rows, caption=self._headline())


def check_integrity(references: Iterable[dict[str, Any]], store: ArtifactStore) -> IntegrityReport:
    report = IntegrityReport()
    wanted: set[str] = set()
    for row in references:
        report.versions += row["kind"] == "version"
        report.run_artifacts += row["kind"] == "run"
        report.job_notebooks += row["kind"] == "job"
        wanted.add(row["sha256"])
        try:
            fix = FIXES.get(row["kind"], VERSION_FIX)
            store.get(row["sha256"], label=row["owner"], fix=fix)
        except IntegrityError as exc:
            report.problems.append(str(exc))
    report.unreferenced = [digest for digest in store.digests() if digest not in wanted]
    return report
