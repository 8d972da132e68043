"""The model's output as a drift column of its own (`__prediction__`).

A prediction log already holds the output: its positive-class scores where the profile of
the output is numeric (a probabilistic classifier), else its predictions. For other data
the model scores a uniform sample of up to `PREDICTED_ROWS` rows, measured as a column set
of its own, so a model that refuses the data costs a note, not the drift report. A
classifier's classes are categories, compared by their frequencies (chi-squared, or
Jensen-Shannon on large windows), never as numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from jupyter_mlops.errors import InvalidArgumentError
from jupyter_mlops.monitoring import logs
from jupyter_mlops.monitoring.columns import Columns
from jupyter_mlops.registry.dtypes import as_trained
from jupyter_mlops.registry.outputs import PREDICTION, output_of

PREDICTED_ROWS = 100_000


def with_output(
    model: Callable[[], Any],
    columns: Columns,
    entries: list[dict[str, Any]],
    *,
    wanted: bool,
    notes: list[str],
    positive: Any = None,
    schema: list[dict[str, Any]] | None = None,
) -> tuple[Columns, Columns | None]:
    """The current data, and the model's output when it can be had (`model()` loads it;
    a binary classifier's output is the probability of its `positive` class), asked in the
    dtypes of the version's `schema`."""
    profiled = next((e for e in entries if e["feature"] == PREDICTION), None)
    frame, label = columns.frame, columns.label
    without = Columns(frame.drop(columns=[PREDICTION], errors="ignore"), label=label)
    if not wanted or profiled is None:
        return without, None
    numeric = profiled["kind"] == "numeric" and "edges" in profiled["stats"]
    if logs.SCORE in frame and numeric and frame[logs.SCORE].notna().any():
        return Columns(frame.assign(**{PREDICTION: frame[logs.SCORE]}), label=label), None
    if PREDICTION in frame:
        return columns, None
    names = [e["feature"] for e in entries if e["feature"] != PREDICTION]
    rows = as_trained(columns.sample(PREDICTED_ROWS)[names].reset_index(drop=True), schema)
    try:
        # a version registered before classes were profiled as text has them as numbers
        text = profiled["kind"] != "numeric"
        output = output_of(model(), rows, labels_as_text=text, positive=positive)
    except (
        InvalidArgumentError
    ) as exc:  # the model refuses this data: its output cannot be compared
        notes.append(f"prediction drift not measured: {str(exc).split(';')[0]}")
        return without, None
    return without, Columns(pd.DataFrame({PREDICTION: output}), label=label)


def own_rows(columns: Columns, version: int, notes: list[str]) -> Columns:
    """The logged rows `version` answered, when the log holds other versions' rows too."""
    frame = columns.frame
    if logs.VERSION not in frame or frame[logs.VERSION].nunique() <= 1:
        return columns
    mine = frame[frame[logs.VERSION] == version].reset_index(drop=True)
    notes.append(
        f"prediction drift from the {len(mine):,} rows version {version} answered, "
        f"input drift from all {len(frame):,}"
    )
    return Columns(mine, label=columns.label)
