"""Two versions side by side: metrics, params, the model file, training data and schema,
differences marked."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from jupyter_mlops.jsonable import jsonable
from jupyter_mlops.registry.display import counted, html_table, text_table
from jupyter_mlops.registry.records import Version

COLUMNS = ["section", "name", "a", "b", "delta"]

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True, repr=False)
class Comparison:
    a: Version
    b: Version
    rows: list[tuple[str, str, Any, Any, Any]]

    @property
    def differences(self) -> list[tuple[str, str, Any, Any, Any]]:
        return [row for row in self.rows if row[2] != row[3]]

    def to_frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(self.rows, columns=COLUMNS)

    def to_dict(self) -> dict[str, Any]:
        """The model, the two version numbers, and each row by column, marked `differs`."""
        return {
            "model": self.a.model,
            "a": self.a.version,
            "b": self.b.version,
            "rows": [
                {
                    **dict(zip(COLUMNS, jsonable(list(row)), strict=True)),
                    "differs": row[2] != row[3],
                }
                for row in self.rows
            ],
        }

    def _headers(self) -> list[str]:
        return ["section", "name", f"v{self.a.version}", f"v{self.b.version}", "delta"]

    def _marked(self) -> list[bool]:
        return [row[2] != row[3] for row in self.rows]

    def _caption(self, marking: str) -> str:
        return (
            f"{self.a.model}: v{self.a.version} vs v{self.b.version} "
            f"({counted(len(self.differences), 'difference')} {marking})"
        )

    def __str__(self) -> str:
        table = text_table(self._headers(), self.rows, marked=self._marked())
        return f"{self._caption('marked *')}\n{table}"

    __repr__ = __str__

    def _repr_html_(self) -> str:
        caption = self._caption("highlighted")
        return html_table(self._headers(), self.rows, marked=self._marked(), caption=caption)


def compare_versions(a: Version, b: Version) -> Comparison:
    rows: list[tuple[str, str, Any, Any, Any]] = []
    for key in sorted(set(a.metrics) | set(b.metrics)):
        left, right = a.metrics.get(key), b.metrics.get(key)
        delta = right - left if left is not None and right is not None else None
        rows.append(("metric", key, left, right, delta))
    for key in sorted(set(a.params) | set(b.params)):
        rows.append(("param", key, _plain(a.params.get(key)), _plain(b.params.get(key)), None))
    rows.append(("model", "class", a.model_class, b.model_class, None))
    # the model itself: the same model is written as the same bytes (`canonical.py`), so
    # two fitted apart (on other labels, another seed) differ here when nothing else does
    rows.append(("model", "file", _file(a), _file(b), None))
    rows.append(("data", "rows", a.data_rows, b.data_rows, _difference(a.data_rows, b.data_rows)))
    rows.append(
        ("data", "fingerprint", _prefix(a.data_fingerprint), _prefix(b.data_fingerprint), None)
    )
    rows += _schema_rows(a, b)
    rows.append(("provenance", "git commit", a.git_commit, b.git_commit, None))
    rows.append(("provenance", "created by", a.created_by, b.created_by, None))
    return Comparison(a, b, rows)


def _schema_rows(a: Version, b: Version) -> list[tuple[str, str, Any, Any, Any]]:
    """One row when the input columns agree, else a row per column that differs."""
    columns_a = {c["name"]: c["dtype"] for c in a.schema or []}
    columns_b = {c["name"]: c["dtype"] for c in b.schema or []}
    if columns_a == columns_b:
        return [("schema", "columns", len(columns_a), len(columns_b), None)]
    return [
        ("schema", name, columns_a.get(name), columns_b.get(name), None)
        for name in sorted(set(columns_a) | set(columns_b))
        if columns_a.get(name) != columns_b.get(name)
    ]


def _plain(value: Any) -> Any:
    """A param as it compares and shows: whole (a difference past the 80th character of a
    pipeline's steps is still one), objects by their repr."""
    return value if isinstance(value, str | int | float | bool | type(None)) else repr(value)


def _file(version: Version) -> str:
    return f"sha256:{version.artifact_sha256[:16]}"


def _prefix(digest: str | None) -> str | None:
    return digest[:16] if digest else None


def _difference(left: int | None, right: int | None) -> int | None:
    return right - left if left is not None and right is not None else None
