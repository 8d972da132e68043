"""Whether the version's model scores the data: the check of what no profile tells.

A column can hold values of the right type that the model still refuses: an infinity, a
column that is all missing, a missing value in a category, a value its encoder never saw.
Scoring would refuse those rows, so they are errors. The rows scored are every row that
holds a missing or non-finite value (the first `ODD_ROWS` of them) and a seeded sample of
`SAMPLE_ROWS` others, given as scoring gives them (the version's columns, in order and
trained dtypes), to the model loaded the way the registry loads any (verified, nothing
untrusted runs). A model that cannot be loaded here is a warning: the data was not
scored, and the check says why.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from jupyter_mlops.automation.datacheck_records import ERROR, WARNING, Finding
from jupyter_mlops.errors import MlopsError
from jupyter_mlops.registry.dtypes import as_trained
from jupyter_mlops.registry.outputs import predictions_and_probabilities
from jupyter_mlops.registry.signature import scoring_rows

if TYPE_CHECKING:
    from jupyter_mlops.registry import Version

ODD_ROWS = 10_000  # rows holding a missing or non-finite value, scored first
SAMPLE_ROWS = 1_000  # other rows, a seeded sample
SEED = 0


def scored(frame: pd.DataFrame, *, version: Version, load: Callable[[], Any]) -> list[Finding]:
    """An error when the model refuses rows of `frame` (naming the columns holding missing
    or non-finite values), a warning when it cannot be loaded here, else nothing."""
    try:
        model = load()
    except MlopsError as exc:
        reason = str(exc).split(";")[0].rstrip(".")
        return [Finding("", "scoring", WARNING, f"not scored: the model cannot be loaded here "
                        f"({reason})")]  # fmt: skip
    rows = as_trained(
        scoring_rows(_chosen(frame), version.schema, what=version.ref).reset_index(drop=True),
        version.schema,
    )
    try:
        predictions_and_probabilities(model, rows)
    except Exception as exc:
        said = str(exc).splitlines()[0] if str(exc) else ""
        odd = _odd_columns(frame)
        holding = f"; {', '.join(odd)}" if odd else ""
        return [
            Finding(
                ", ".join(name for name, _ in _odd(frame)),
                "scoring",
                ERROR,
                f"{version.ref} refuses these rows ({type(exc).__name__}: {said}){holding}",
            )
        ]
    return []


def _odd(frame: pd.DataFrame) -> list[tuple[str, pd.Series]]:
    """Each column holding missing or non-finite values, with which of its rows do."""
    found = []
    for name in frame.columns:
        series = frame[name]
        bad = series.isna()
        if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
            numbers = series.to_numpy(dtype="float64", na_value=np.nan)
            bad = bad | pd.Series(np.isinf(numbers), index=series.index)
        if bad.any():
            found.append((str(name), bad))
    return found


def _odd_columns(frame: pd.DataFrame) -> list[str]:
    described = []
    for name, bad in _odd(frame):
        series = frame[name][bad]
        kinds = sorted({_kind(value) for value in series.tolist()})
        described.append(f"{name} holds {', '.join(kinds)} in {int(bad.sum()):,} rows")
    return described


def _kind(value: Any) -> str:
    if value is pd.NA:
        return "<NA>"
    if value is None:
        return "None"
    if isinstance(value, float) and np.isinf(value):
        return "inf" if value > 0 else "-inf"
    return "NaN" if isinstance(value, float) else repr(value)


def _chosen(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows to score: the odd ones first, then a seeded sample of the others."""
    bad = pd.Series(False, index=frame.index)
    for _, rows in _odd(frame):
        bad |= rows
    odd = frame[bad.to_numpy()].iloc[:ODD_ROWS]
    rest = frame[~bad.to_numpy()]
    if len(rest) > SAMPLE_ROWS:
        rest = rest.sample(n=SAMPLE_ROWS, random_state=SEED)
    return pd.concat([odd, rest])
