"""What the registry returns: plain dataclasses with text and HTML reprs."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from jupyter_mlops.errors import Face, spell
from jupyter_mlops.jsonable import fields_of, jsonable
from jupyter_mlops.registry import task
from jupyter_mlops.registry.display import (
    cell,
    details,
    html_table,
    pre,
    pretty_json,
    text_section,
    text_table,
)

if TYPE_CHECKING:
    import pandas as pd

SCHEMA_COLUMNS = ["column", "dtype", "nulls", "min", "max", "categories"]


HELD_OUT = "held-out"
TRAINING = "training"
RAW = {"json": False}  # a field's encoded copy: JSON has it decoded, under its own name
DECODED = ("params", "schema", "env", "trusted_types", "positive_label")


@dataclass(frozen=True, repr=False)
class Version:
    """One immutable registered version of a model and everything captured with it."""

    model: str
    version: int
    created_at: datetime
    created_by: str
    status: str
    description: str
    model_class: str
    artifact_sha256: str
    artifact_bytes: int
    format: str
    metrics: dict[str, float]
    data_fingerprint: str | None
    data_rows: int | None
    code: str | None
    notebook: str | None
    git_commit: str | None
    run_id: str | None
    reference_sha256: str | None
    aliases: list[str] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)
    # the bulky JSON columns, decoded on first use (listing 1,000 versions rarely reads them)
    trusted_types_json: str = field(default="[]", repr=False, metadata=RAW)
    params_json: str = field(default="{}", repr=False, metadata=RAW)
    schema_json: str | None = field(default=None, repr=False, metadata=RAW)
    env_json: str = field(default="{}", repr=False, metadata=RAW)
    # set on a version `register` returned, identical, instead of storing another
    note: str = field(default="", repr=False)
    # what monitoring compares with: "held-out" data, the "training" rows, or none
    reference_source: str | None = None
    reference_rows: int | None = None
    # what the model does ("classifier", "regressor") and the class a binary classifier's
    # scores refer to (JSON), fixed at registration; None: registered before they were kept
    task: str | None = None
    positive_label_json: str | None = field(default=None, repr=False, metadata=RAW)
    # the job whose notebook registered it (a retraining); None: registered outside a job
    job_id: int | None = None
    # where it is shown, which spells the fixes its notes name; no part of its data
    face: Face = field(default=Face.PYTHON, repr=False, compare=False, metadata={"json": False})

    @classmethod
    def from_row(cls, row: dict[str, Any], *, aliases: list[str], tags: dict[str, str]) -> Version:
        values = dict(row)
        for key in ("trusted_types", "params", "schema", "env", "positive_label"):
            values[f"{key}_json"] = values.pop(key)
        values["metrics"] = json.loads(values["metrics"])
        return cls(**values, aliases=aliases, tags=tags)

    @cached_property
    def trusted_types(self) -> list[str]:
        """Types outside skops' defaults that were trusted when the version was stored."""
        return list(json.loads(self.trusted_types_json))

    @cached_property
    def params(self) -> dict[str, Any]:
        return dict(json.loads(self.params_json))

    @cached_property
    def schema(self) -> list[dict[str, Any]] | None:
        """The training data's columns: name, dtype, nulls, min/max or categories."""
        return None if self.schema_json is None else list(json.loads(self.schema_json))

    @cached_property
    def env(self) -> dict[str, Any]:
        """Python, platform and package versions at registration."""
        return dict(json.loads(self.env_json))

    @cached_property
    def positive_label(self) -> Any:
        """The class a binary classifier's scores, F1 and AUC refer to (None: none recorded)."""
        return task.decoded(self.positive_label_json)

    @property
    def ref(self) -> str:
        return f"{self.model}:{self.version}"

    @property
    def reference_text(self) -> str:
        """What monitoring compares this version with, in words."""
        return describe(self.reference_source, self.reference_rows)

    @property
    def held_out(self) -> bool:
        """Whether the version has held-out reference data (outputs can be judged)."""
        return self.reference_source == HELD_OUT

    @property
    def unsafe(self) -> bool:
        return self.format != "skops"

    def to_dict(self) -> dict[str, Any]:
        """Every field, the encoded ones decoded (params, schema, env, trusted_types,
        positive_label), its note as its face spells it, with the version's `ref` and its
        monitoring reference in words."""
        decoded = {name: jsonable(getattr(self, name)) for name in DECODED}
        decoded["note"] = spell((self.note,), self.face)
        return {"ref": self.ref, **fields_of(self), **decoded, "reference": self.reference_text}

    def _facts(self) -> list[tuple[str, Any]]:
        return [
            ("note", spell((self.note,), self.face)),
            ("model", self.model),
            ("version", self.version),
            ("aliases", self.aliases),
            ("status", self.status),
            ("class", self.model_class),
            ("task", task.described(self.task, self.positive_label)),
            ("description", self.description),
            ("metrics", self.metrics),
            ("created", f"{cell(self.created_at)} UTC by {self.created_by}"),
            ("format", self.format + (" (UNSAFE: loading runs code)" if self.unsafe else "")),
            ("artifact", f"sha256:{self.artifact_sha256[:16]}... ({self.artifact_bytes:,} bytes)"),
            ("training data", _data_summary(self)),
            ("monitoring reference", self.reference_text),
            ("notebook", self.notebook),
            ("git commit", self.git_commit),
            ("run", self.run_id),
            ("job", None if self.job_id is None else f"registered by job {self.job_id}"),
            ("tags", self.tags),
        ]

    def _schema_rows(self) -> list[list[Any]]:
        return [
            [
                c["name"],
                c["dtype"],
                c["nulls"],
                c.get("min"),
                c.get("max"),
                c.get("categories", c.get("distinct")),
            ]
            for c in self.schema or []
        ]

    def __str__(self) -> str:
        """Everything the HTML shows, as text: the facts, params, input schema, code and
        environment."""
        parts = [text_table(["field", "value"], [(k, v) for k, v in self._facts() if v])]
        parts.append(text_section("params", pretty_json(self.params)))
        if self.schema:
            table = text_table(SCHEMA_COLUMNS, self._schema_rows())
            parts.append(text_section(f"input schema ({len(self.schema)} columns)", table))
        if self.code:
            parts.append(text_section("code", self.code))
        parts.append(text_section("environment", pretty_json(self.env)))
        return "\n\n".join(parts)

    def __repr__(self) -> str:
        aliases = f" ({', '.join(self.aliases)})" if self.aliases else ""
        return (
            f"<Version {self.model}:{self.version}{aliases} {self.model_class.rsplit('.', 1)[-1]}>"
        )

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """IPython without HTML (a terminal) shows the whole record, as `str` does."""
        printer.text(str(self))

    def _repr_html_(self) -> str:
        facts = html_table(["", ""], [(k, v) for k, v in self._facts() if v])
        parts = [facts, details("params", pre(pretty_json(self.params)))]
        if self.schema:
            title = f"input schema ({len(self.schema)} columns)"
            parts.append(details(title, html_table(SCHEMA_COLUMNS, self._schema_rows())))
        if self.code:
            parts.append(details("code", pre(self.code)))
        parts.append(details("environment", pre(pretty_json(self.env))))
        return "".join(parts)


def describe(source: str | None, rows: int | None) -> str:
    """`held-out reference data (2,000 rows)` or `the training data (100,000 rows)`."""
    counted = f" ({rows:,} rows)" if rows else ""
    if source == HELD_OUT:
        return f"held-out reference data{counted}"
    return f"the training data{counted}" if source else "no reference data"


def _data_summary(version: Version) -> str | None:
    if version.data_fingerprint is None:
        return None
    columns = len(version.schema or [])
    return (
        f"{version.data_rows:,} rows x {columns} columns, sha256:{version.data_fingerprint[:16]}..."
    )


T = TypeVar("T")


class RecordTable(list[T]):
    """A list of records shown as one table: text in a terminal, HTML in a notebook."""

    columns: ClassVar[list[str]]
    # columns of version numbers that may be empty: a nullable integer dtype keeps them
    # whole (1, <NA>) where pandas would turn them into floats (1.0, NaN)
    optional_integers: ClassVar[tuple[str, ...]] = ()
    empty: ClassVar[str] = "nothing to show"

    def _rows(self) -> list[list[Any]]:
        raise NotImplementedError

    def _headers(self) -> list[str]:
        return self.columns

    def to_dict(self) -> dict[str, Any]:
        """`rows`: each record as JSON data (a table with settings of its own adds them)."""
        return {"rows": [jsonable(row) for row in self]}

    def to_frame(self) -> pd.DataFrame:
        import pandas as pd

        frame = pd.DataFrame(self._rows(), columns=self._headers())
        return frame.astype(dict.fromkeys(self.optional_integers, "Int64"))

    def _empty(self) -> str:
        return self.empty

    def __str__(self) -> str:
        return text_table(self._headers(), self._rows()) if self else self._empty()

    __repr__ = __str__

    def _repr_html_(self) -> str:
        return html_table(self._headers(), self._rows()) if self else f"<p>{self._empty()}</p>"


class VersionList(RecordTable[Version]):
    """The versions of a model, oldest first."""

    columns: ClassVar[list[str]] = [
        "version",
        "created",
        "by",
        "class",
        "metrics",
        "aliases",
        "status",
        "lineage",
    ]
    empty = "no versions"

    def _rows(self) -> list[list[Any]]:
        return [
            [
                v.version,
                v.created_at,
                v.created_by,
                v.model_class.rsplit(".", 1)[-1],
                v.metrics,
                v.aliases,
                v.status,
                _lineage(v),
            ]
            for v in self
        ]


def _lineage(version: Version) -> str:
    """Where a version came from: the job and the run that made it, when known."""
    made = [f"job {version.job_id}"] if version.job_id is not None else []
    made += [f"run {version.run_id}"] if version.run_id else []
    return ", ".join(made)


@dataclass(frozen=True)
class ModelSummary:
    name: str
    description: str
    created_at: datetime
    created_by: str
    versions: int
    latest: int | None
    updated_at: datetime | None
    aliases: str | None  # `challenger=3, champion=2`

    def to_dict(self) -> dict[str, Any]:
        """Its fields, `aliases` as a mapping of alias to version: {"champion": 2}."""
        pairs = [pair.split("=") for pair in (self.aliases or "").split(", ") if pair]
        return fields_of(self) | {"aliases": {alias: int(number) for alias, number in pairs}}


class ModelList(RecordTable[ModelSummary]):
    """Every model in the registry."""

    columns: ClassVar[list[str]] = [
        "model",
        "versions",
        "latest",
        "aliases",
        "updated",
        "description",
    ]
    optional_integers = ("latest",)
    empty = "no models registered yet"

    def _rows(self) -> list[list[Any]]:
        return [
            [m.name, m.versions, m.latest, m.aliases, m.updated_at, m.description] for m in self
        ]
