"""One feature's reference and current distributions, side by side, for a reader to see
what a drift verdict is about.

The reference side is the version's profile (every reference row, counted in the bins its
drift statistics use, see shares.py); the current side is the data given, or the newest
window of the prediction log, read as a drift check reads it (types conformed to the
registered ones, the model's output taken from the log or scored). The verdict shown is
the one stored by the newest drift check of the version that measured the feature, with
the check it came from: reading it costs one query, where measuring it again would not
be the check's verdict (p-values are adjusted across every feature of a check).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from jupyter_mlops.errors import Face, InvalidArgumentError, did_you_mean, reference_command
from jupyter_mlops.jsonable import fields_of, jsonable
from jupyter_mlops.monitoring.columns import check_columns
from jupyter_mlops.monitoring.conform import conform
from jupyter_mlops.monitoring.history import OUTPUT, window_label
from jupyter_mlops.monitoring.outputs import own_rows, with_output
from jupyter_mlops.monitoring.scope import named, resolve
from jupyter_mlops.monitoring.shares import Bin, category_bins, numeric_bins
from jupyter_mlops.monitoring.sources import Current, current_data
from jupyter_mlops.registry.display import html_table, text_table
from jupyter_mlops.registry.outputs import PREDICTION, TARGET
from jupyter_mlops.shown import spelled
from jupyter_mlops.store import monitoring as sql

if TYPE_CHECKING:
    import pandas as pd

    from jupyter_mlops.monitoring.columns import Columns
    from jupyter_mlops.monitoring.versions import Versions
    from jupyter_mlops.registry.records import Version

OWN_ROWS = ("missing", "infinite", "unseen")  # tests beside a feature's deciding one
HEADERS = ["bin", "reference", "current", "change", "reference rows", "current rows"]


@dataclass(frozen=True)
class Verdict:
    """A stored drift verdict of the feature, and the check that made it."""

    test: str
    statistic: float | None
    p_value: float | None
    threshold: float | None
    drifted: bool
    check_id: int
    checked_at: datetime
    window: str

    @property
    def text(self) -> str:
        """`psi 0.31, threshold 0.1: DRIFT (check 4, 2026-11-25)`."""
        found = "no value" if self.statistic is None else f"{self.statistic:.4g}"
        if self.p_value is not None:
            found += f", p {self.p_value:.3g}"
        threshold = "" if self.threshold is None else f", threshold {self.threshold:g}"
        verdict = "DRIFT" if self.drifted else "ok"
        return f"{self.test} {found}{threshold}: {verdict} (check {self.check_id}, {self.window})"


@dataclass
class Distributions:
    """A feature's reference and current shares per bin (numbers) or category, with the
    drift verdicts stored for it; `verdict` is the deciding one (None: no drift check of
    this version measured the feature)."""

    model: str
    version: int
    feature: str
    kind: str
    bins: list[Bin]
    reference_rows: int
    current_rows: int
    source: str
    verdicts: list[Verdict] = field(default_factory=list)
    window_start: datetime | None = None
    window_end: datetime | None = None
    named: str = ""
    reference: str = ""
    notes: list[str] = field(default_factory=list)
    face: Face = field(default=Face.PYTHON, repr=False, compare=False, metadata={"json": False})

    @property
    def verdict(self) -> Verdict | None:
        deciding = [v for v in self.verdicts if v.test not in OWN_ROWS]
        return next(iter(deciding or self.verdicts), None)

    @property
    def missing_reference(self) -> float:
        return sum(b.reference for b in self.bins if b.part == "missing")

    @property
    def missing_current(self) -> float:
        return sum(b.current for b in self.bins if b.part == "missing")

    @property
    def infinite_reference(self) -> float:
        return sum(b.reference for b in self.bins if b.part == "infinite")

    @property
    def infinite_current(self) -> float:
        return sum(b.current for b in self.bins if b.part == "infinite")

    @property
    def unseen(self) -> list[str]:
        """The categories shown that the reference never had."""
        return [b.label for b in self.bins if b.unseen]

    @property
    def title(self) -> str:
        verdict = self.verdict
        judged = verdict.text if verdict else "no drift check has measured it"
        return f"{self.named or self.model}, {self.feature}: {judged}"

    def to_frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame([fields_of(b) for b in self.bins])

    def to_dict(self) -> dict[str, Any]:
        """Its fields, each bin with its label, shares, counts, part, ends and `unseen`;
        `verdict`: the deciding verdict or None; notes spelled as its face types them."""
        return fields_of(self, leave_out=("notes",)) | {
            "verdict": jsonable(self.verdict),
            "missing_reference": self.missing_reference,
            "missing_current": self.missing_current,
            "infinite_reference": self.infinite_reference,
            "infinite_current": self.infinite_current,
            "notes": spelled(self.notes, self.face),
        }

    def _headline(self) -> str:
        rows = f"{self.reference_rows:,} reference rows ({self.reference or 'the reference'})"
        return f"{self.title}\n{rows}; {self.current_rows:,} current rows from {self.source}"

    def _rows(self) -> list[list[Any]]:
        return [
            [
                f"{b.label} (unseen)" if b.unseen else b.label,
                f"{b.reference:.1%}",
                f"{b.current:.1%}",
                f"{b.change:+.1%}",
                f"{b.reference_rows:,}",
                f"{b.current_rows:,}",
            ]
            for b in self.bins
        ]

    def __repr__(self) -> str:
        lines = [self._headline(), text_table(HEADERS, self._rows())]
        lines += [f"note: {note}" for note in spelled(self.notes, self.face)]
        return "\n".join(lines)

    __str__ = __repr__

    def _repr_html_(self) -> str:
        marked = [b.unseen for b in self.bins]
        table = html_table(HEADERS, self._rows(), marked=marked, caption=self._headline())
        notes = "".join(f"<p>note: {note}</p>" for note in spelled(self.notes, self.face))
        return table + notes


def distributions_of(
    versions: Versions,
    ref: str,
    feature: str,
    current: Current = None,
    *,
    window: str | int | None = None,
    time_column: str | None = None,
) -> Distributions:
    """`feature`'s distributions (the model's output: `prediction`) in `ref`'s reference
    and in `current`, or in the last `window` of the prediction log."""
    registry = versions.registry
    version, scope = resolve(registry, ref)
    entries = [e for e in registry.profile(version.ref) if e["feature"] != TARGET]
    entry = _entry(version, entries, feature)
    data = current_data(
        registry, version, current, window=window, time_column=time_column, scope=scope
    )
    notes = list(data.notes)
    if entry["feature"] == PREDICTION:
        columns = _outputs(versions, version, data.columns, entries, notes)
    else:
        what = f"{version.model} version {version.version}"
        check_columns([entry], data.columns, what=what)
        columns, _ = conform([entry], data.columns, version.schema)
    bins = _bins(entry, columns)
    shown = _shown_name(entry["feature"], entries)
    return Distributions(
        version.model,
        version.version,
        shown,
        entry["kind"],
        bins,
        int(entry["stats"].get("count", 0)),
        columns.rows,
        data.source,
        verdicts=_verdicts(versions, version, entry["feature"]),
        window_start=data.start,
        window_end=data.end,
        named=named(scope.named, version),
        reference=version.reference_text,
        notes=notes,
    )


def _shown_name(name: str, entries: list[dict[str, Any]]) -> str:
    if name != PREDICTION:
        return name
    inputs = {e["feature"] for e in entries}
    return OUTPUT if OUTPUT not in inputs else f"{OUTPUT} (model output)"


def _entry(version: Version, entries: list[dict[str, Any]], feature: str) -> dict[str, Any]:
    """The profile entry of `feature`; `prediction` is the output unless an input has
    that name."""
    by_name = {e["feature"]: e for e in entries}
    wanted = PREDICTION if feature == OUTPUT and OUTPUT not in by_name else feature
    if wanted in by_name:
        return by_name[wanted]
    names = [name for name in by_name if name != PREDICTION]
    if wanted == PREDICTION:
        raise InvalidArgumentError(
            f"{version.ref} has no profile of its output: it was registered without held-out "
            "reference data; add it with `",
            reference_command(version.model, version.version),
            "`.",
        )
    if not names:
        raise InvalidArgumentError(
            f"{version.ref} was registered without training data, so it has no reference "
            "distributions; register a version with X."
        )
    shown = names + ([OUTPUT] if PREDICTION in by_name else [])
    raise InvalidArgumentError(
        f"{version.ref} has no feature {feature!r}{did_you_mean(feature, shown)}; name one of "
        f"its features ({_listed(shown)})."
    )


def _listed(names: list[str]) -> str:
    return ", ".join(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")


def _outputs(
    versions: Versions,
    version: Version,
    columns: Columns,
    entries: list[dict[str, Any]],
    notes: list[str],
) -> Columns:
    """The model's outputs on the current rows it answered (from the log, or scored)."""
    rows = own_rows(columns, version.version, notes)
    found, output = with_output(
        lambda: versions.model(version),
        rows,
        entries,
        wanted=True,
        notes=notes,
        positive=version.positive_label,
        schema=version.schema,
    )
    for part in (found, output):
        if part is not None and PREDICTION in part.names:
            return part
    why = "; ".join(note.removeprefix("prediction drift not measured: ") for note in notes)
    raise InvalidArgumentError(
        f"{version.ref} could not score {columns.label}, so its output cannot be shown "
        f"({why}); pass rows the model can score."
    )


def _bins(entry: dict[str, Any], columns: Columns) -> list[Bin]:
    name = entry["feature"]
    if entry["kind"] in ("numeric", "datetime"):
        return numeric_bins(entry, columns.numeric(name))
    counts, nulls = columns.categories(name)
    return category_bins(entry, counts, nulls)


def _verdicts(versions: Versions, version: Version, feature: str) -> list[Verdict]:
    with versions.registry.db.read() as conn:
        stored = sql.latest_verdicts(conn, version.model, version.version, feature)
    return [
        Verdict(
            row["test"],
            row["statistic"],
            row["p_value"],
            row["threshold"],
            bool(row["drifted"]),
            int(row["check_id"]),
            row["started_at"],
            window_label(
                row["window_start"],
                row["window_end"],
                checked=row["started_at"],
                source=str(row["source"]),
            ),
        )
        for row in stored
    ]
