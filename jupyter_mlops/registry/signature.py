"""A version's inputs as recorded at registration, and rows given to it in that order.

The schema lists the training columns in their order. A model fitted on an array knows its
columns only by position, so the same columns in another order give wrong answers without
an error; one fitted on a DataFrame refuses them with scikit-learn's own message. Whatever
asks a version for outputs (`Monitor.predict`, `log_predictions`, `performance` on given
data, the model server) therefore takes its rows by name, in the recorded order, and
refuses rows that lack a column or carry one the version does not take, naming every one
(up to `LISTED` of each, the rest counted) in one sentence.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

from jupyter_mlops.errors import InvalidArgumentError
from jupyter_mlops.registry.display import counted

LISTED = 20  # names listed in a message; the rest are counted
SHOWN = 40  # characters of a name shown in a message


def input_names(schema: Sequence[dict[str, Any]] | None) -> list[str]:
    """The columns a version takes, in their recorded order ([] when none were recorded)."""
    return [str(entry["name"]) for entry in schema or []]


def mismatch(given: Iterable[Any], names: Sequence[str]) -> tuple[list[str], list[str]]:
    """The recorded inputs `given` lacks, and the names it has that are no input."""
    present = {str(name) for name in given}
    known = set(names)
    missing = [name for name in names if name not in present]
    extra = [str(name) for name in given if str(name) not in known]
    return missing, extra


def described_mismatch(missing: Sequence[str], extra: Sequence[str]) -> str:
    """`2 columns missing: 'a', 'b'; 1 unexpected: 'c'`, for a message."""
    problems = []
    if missing:
        problems.append(f"{counted(len(missing), 'column')} missing: {listed(missing)}")
    if extra:
        what = f"{len(extra):,}" if missing else counted(len(extra), "column")
        problems.append(f"{what} unexpected: {listed(extra)}")
    return "; ".join(problems)


def in_signature(
    frame: pd.DataFrame,
    schema: Sequence[dict[str, Any]] | None,
    *,
    what: str,
    strict: bool = True,
) -> pd.DataFrame:
    """`frame`'s columns in the order `schema` records (unchanged when none is recorded),
    for `what` (a version); missing ones refused, named, and unexpected ones too when
    `strict` (a scoring call, as the server), else left out (data also holding a time or
    label column)."""
    names = input_names(schema)
    if not names:
        return frame
    missing, extra = mismatch(frame.columns, names)
    if missing or (strict and extra):
        extra = extra if strict else []
        raise InvalidArgumentError(
            f"{what} cannot take these rows: {described_mismatch(missing, extra)}; pass "
            f"exactly the columns it was registered with ({listed(names, limit=5)}), in any "
            "order."
        )
    positions = {str(column): place for place, column in enumerate(frame.columns)}
    order = [positions[name] for name in names]
    return frame if order == list(range(frame.shape[1])) else frame.iloc[:, order]


def scoring_rows(X: Any, schema: Sequence[dict[str, Any]] | None, *, what: str) -> pd.DataFrame:
    """What a scoring call was given, as the version's inputs in their order: a DataFrame by
    its column names; a Series (`X.iloc[0]`) as one row whose index names the columns; an
    array (which has none) by position, when it is as wide. No rows are refused: there is
    nothing to score."""
    from jupyter_mlops.registry.datasets import as_frame

    if isinstance(X, pd.Series):  # each value in the type it has, not the row's common one
        frame = pd.DataFrame([X.to_dict()], columns=X.index)
    else:
        frame = as_frame(X, name="X")
    names = input_names(schema)
    if not isinstance(X, pd.DataFrame | pd.Series) and names and frame.shape[1] == len(names):
        frame = frame.set_axis(names, axis=1)
    rows = in_signature(frame, schema, what=what)
    if rows.empty:
        raise InvalidArgumentError(
            f"X has no rows, so {what} has nothing to score; pass at least one row."
        )
    return rows


def listed(names: Sequence[str], *, limit: int = LISTED) -> str:
    """Names for a message, quoted: at most `limit` of them, the rest counted."""
    shown = ", ".join(_cut(repr(name)) for name in names[:limit])
    rest = len(names) - limit
    return f"{shown} and {rest:,} more" if rest > 0 else shown


def _cut(text: str) -> str:
    return text if len(text) <= SHOWN else f"{text[:SHOWN]}..."
