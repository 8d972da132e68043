"""What checking data against a version found: `DataCheck`, a list of `Finding`s."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from jupyter_mlops.jsonable import fields_of
from jupyter_mlops.registry.display import counted, html_table, text_table

ERROR = "error"  # scoring would refuse the data, or read it wrong
WARNING = "warning"  # the data differs from the reference as drift would show
COLUMNS = ["severity", "column", "check", "share", "detail"]


@dataclass(frozen=True)
class Finding:
    """One thing wrong with the data: which column, which check, how bad, in words."""

    column: str
    check: str
    severity: str
    detail: str
    share: float | None = None  # of the column's rows, where the check counts them


@dataclass(frozen=True)
class DataCheck:
    """Data checked against a version's signature and reference profile: `passed` unless
    an error was found (or, `strict`, a warning)."""

    ref: str  # the version checked against, `churn:3`
    named: str  # as the user named it, `churn@champion`
    source: str  # the files, or `the given rows`
    rows: int
    columns: int
    findings: list[Finding] = field(default_factory=list)
    strict: bool = False
    ignored: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == WARNING]

    @property
    def passed(self) -> bool:
        return not self.errors and not (self.strict and self.warnings)

    def to_dict(self) -> dict[str, Any]:
        """Its fields, every finding, and `passed`, `errors` and `warnings` counted."""
        counts = {"errors": len(self.errors), "warnings": len(self.warnings)}
        return {**fields_of(self), "passed": self.passed, **counts}

    def _headline(self) -> str:
        named = self.ref if self.named == self.ref else f"{self.named} ({self.ref})"
        what = f"{self.source}, {counted(self.rows, 'row')}, {counted(self.columns, 'column')}"
        found = [counted(len(self.errors), "error"), counted(len(self.warnings), "warning")]
        if not self.findings:
            verdict = "passed: columns, types and values match the version"
        elif self.passed:
            verdict = f"passed with {found[1]}"
        else:
            strict = " (strict: warnings fail too)" if self.strict and not self.errors else ""
            verdict = f"refused{strict}: {', '.join(found)}"
        return f"data checked against {named}: {what}; {verdict}"

    def _rows(self) -> list[list[Any]]:
        ordered = sorted(self.findings, key=lambda f: (f.severity != ERROR, f.column))
        return [
            [f.severity, f.column, f.check, "" if f.share is None else f"{f.share:.1%}", f.detail]
            for f in ordered
        ]

    def __str__(self) -> str:
        if not self.findings:
            return self._headline()
        return f"{self._headline()}\n{text_table(COLUMNS, self._rows())}"

    __repr__ = __str__

    def _repr_html_(self) -> str:
        import html

        if not self.findings:
            return f"<p>{html.escape(self._headline())}</p>"
        marked = [row[0] == ERROR for row in self._rows()]
        return html_table(COLUMNS, self._rows(), marked=marked, caption=self._headline())
