"""True values matched to their rows by index, wherever rows and labels are given apart.

A `y` cut from the same frame as its rows (by `train_test_split`, a filter or a sort) keeps
that frame's index, and its order need not be the rows' order: `y.sort_index()` holds the
same labels as `y`, each still under its row's index value. Pairing it with the rows by
position would score each row against another row's label without a word, so when both
are pandas objects their indexes decide: labels indexed by the same values in another
order are put in the rows' order, and labels indexed by other values are refused. Plain
lists and arrays, which have no index, pair by position. The gate, `register(reference=
(X, y))`, `performance(y=)`, `check(y=)` and `Monitor.log_labels` all pair this way.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from jupyter_mlops.errors import InvalidArgumentError


def paired(rows: Any, labels: Any, *, named: str = "y") -> Any:
    """`labels` in the order of `rows` when both are pandas objects indexed by the same
    values; as given otherwise (a count that differs is for the caller to refuse).

    `named`: how the caller's face names the labels, for the refusal."""
    kinds = pd.DataFrame | pd.Series
    if not (isinstance(rows, kinds) and isinstance(labels, kinds)):
        return labels
    if rows.index.equals(labels.index) or len(rows.index) != len(labels.index):
        return labels
    if rows.index.is_unique and labels.index.is_unique and rows.index.isin(labels.index).all():
        return labels.reindex(rows.index)
    other = labels.index[~labels.index.isin(rows.index)][:3].tolist()
    differs = (
        f"the index of {named} holds other values than the rows' index (e.g. "
        f"{', '.join(map(repr, other))})"
        if other
        else f"the index of {named} and the rows' index repeat values, in other orders"
    )
    raise InvalidArgumentError(
        f"{differs}, so the labels cannot be matched to their rows; give labels indexed like "
        "the rows (y.loc[X.index]), or reset both indexes (.reset_index(drop=True))."
    )
