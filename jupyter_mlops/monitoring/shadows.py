"""The served version and its shadow on the same requests, paired from their logs.

A deployment with a shadow logs the served version's outputs in the prediction log and
the shadow's in the shadow log, under the same request ids (serving/shadow.py).
`paired_rows` joins them on the request id, one row per request both scored, with its
latest label where one has arrived.

Which versions are paired: each side names a version as an alias of the model
(`"champion"`, `"challenger"`, resolved to the version it points at now), a version
number (`3`, `"3"`) or a reference of the model (`"churn:3"`, `"churn@challenger"`). Only
rows that version scored count on its side: once the challenger alias moves to a new
version, rows the old one scored in shadow no longer pair with anything, so a comparison
is always of the two versions the aliases name, never a mixture. Give version numbers to
compare versions the aliases no longer point at.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from jupyter_mlops.clock import utc_now
from jupyter_mlops.errors import Command, InvalidArgumentError
from jupyter_mlops.monitoring import compaction, logs
from jupyter_mlops.monitoring.windows import span_or_range
from jupyter_mlops.registry import Registry
from jupyter_mlops.registry.lookups import compared_model, side_ref
from jupyter_mlops.registry.records import Version
from jupyter_mlops.store import analytics
from jupyter_mlops.store.objects import Objects

COLUMNS = [
    "request_id",
    "timestamp",
    "label",
    "champion_version",
    "champion_prediction",
    "champion_score",
    "challenger_version",
    "challenger_prediction",
    "challenger_score",
]


@dataclass(frozen=True)
class Pairs:
    """The paired rows and the two versions whose rows they are."""

    rows: pd.DataFrame
    champion: Version
    challenger: Version
    window: str  # as read: "7d", "all rows", "100 rows", a range


def paired_rows(
    registry: Registry,
    *,
    model: str,
    window: str | int | None = None,
    champion: str | int = "champion",
    challenger: str | int = "challenger",
) -> pd.DataFrame:
    """One row per request both versions scored (in the last `window`: 7d, 1h, '1000
    rows', FROM..TO; None: every row), oldest first, with the columns `COLUMNS`: the
    request's id, time and latest label (None without one), and each side's version,
    prediction and score (the positive class's probability for a binary classifier, else
    NaN). The sides name versions as the module docstring says."""
    return pairs(
        registry, model=model, window=window, champion=champion, challenger=challenger
    ).rows


def pairs(
    registry: Registry,
    *,
    model: str,
    window: str | int | None,
    champion: str | int,
    challenger: str | int,
) -> Pairs:
    """`paired_rows` with the two versions they are of."""
    compared_model(model)
    first = registry.get(side_ref(model, champion))
    shadow = side_ref(model, challenger)
    second = registry.get(shadow)
    if first.version == second.version:
        raise InvalidArgumentError(
            f"the champion ({champion}) and the challenger ({challenger}) are both {model} "
            f"version {first.version}, which pair with nothing; compare two different "
            "versions, e.g. the champion and the challenger in shadow."
        )
    home = registry.data
    _require_logs(home, model, shadow=shadow)
    span = span_or_range(window) if window is not None else None
    start = end = None
    if span is not None and span.every is not None:
        end = utc_now()
        start = end - span.every
    elif span is not None and span.start is not None:
        start, end = span.start, span.end
    with compaction.reading(home, model) as held, analytics.cursor() as conn:
        rows = analytics.shadow_pairs(
            conn,
            held.files(logs.PREDICTIONS),
            held.files(logs.SHADOWS),
            held.files(logs.LABELS) if held.has(logs.LABELS) else None,
            versions=(first.version, second.version),
            start=start,
            end=end,
        )
    if span is not None and span.rows is not None:
        rows = rows.iloc[-span.rows :].reset_index(drop=True)
    rows["label"] = rows["label"].astype(object).where(rows["label"].notna(), None)
    text = "all rows" if span is None else span.text
    return Pairs(rows[COLUMNS], first, second, text)


def _require_logs(home: Objects, model: str, *, shadow: str) -> None:
    """Both logs, or a sentence saying how they come to be written."""
    if not logs.has_log(home, logs.PREDICTIONS, model):
        missing = "no predictions"
    elif not logs.has_log(home, logs.SHADOWS, model):
        missing = "no shadow scores"
    else:
        return
    serving = f"{model}@champion --shadow {shadow}"
    python = f"operations.deploy(registry, ref='{model}@champion', shadow='{shadow}')"
    raise InvalidArgumentError(
        f"{missing} of {model} are logged yet, so nothing pairs the two versions; serve it "
        "with its challenger in shadow (",
        Command("deploy", serving, python=python),
        ") and send it requests.",
    )
