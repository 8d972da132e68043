"""Choosing and ordering runs by what they recorded: `--where "m.alpha < 1"`, `--sort m.alpha`.

A run's columns are `run`, `experiment`, `status` and `duration`, each metric's last value
under its name, each param logged with `log_param` under its name, and each param of a model
the run fitted as MODEL.PARAM (`m.alpha` for `m = Ridge(alpha=...).fit(...)`); a name used
twice means the first of those. A condition is one comparison (see conditions.py). A run
without the column, or whose value is of another kind (text where a number is asked), does
not match; sorted, it comes last.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

from jupyter_mlops.errors import InvalidArgumentError, did_you_mean
from jupyter_mlops.tracking.conditions import kind_of, parse_condition
from jupyter_mlops.tracking.records import RunRecord, param_columns

BUILT_IN = ("run", "experiment", "status", "duration")


def run_columns(run: RunRecord) -> dict[str, Any]:
    """Every column of a run, by name (see the module docstring for the names)."""
    columns = param_columns(run)
    columns.update(run.metrics)
    columns.update(zip(BUILT_IN, (run.id, run.experiment, run.status, run.duration), strict=True))
    return columns


def select(
    runs: Sequence[RunRecord],
    *,
    where: str | Iterable[str] | None = None,
    sort: str | None = None,
    ascending: bool = False,
) -> list[RunRecord]:
    """The runs that meet every condition of `where`, ordered by column `sort` (largest first
    unless `ascending`; runs without it last), else in the order given."""
    conditions = [parse_condition(text) for text in where_list(where)]
    table = [(run, run_columns(run)) for run in runs]
    if table:  # with no runs yet, no column is known to be missing
        known = set(BUILT_IN).union(*(columns for _, columns in table))
        named = [(c.column, f"--where {c.text!r}") for c in conditions]
        for column, given in [*named, *([(sort, f"--sort {sort!r}")] if sort else [])]:
            if column not in known:
                raise _unknown(column, [columns for _, columns in table], given=given)
    chosen = [(run, c) for run, c in table if all(cond.matches(c) for cond in conditions)]
    if sort is None:
        return [run for run, _ in chosen]
    valued = [(run, c[sort]) for run, c in chosen if _present(c.get(sort))]
    kinds: dict[int, list[tuple[Any, Any]]] = {}
    for run, value in valued:
        kinds.setdefault(_order(value)[0], []).append((run, value))
    ordered = []  # numbers first, then true/false, then texts, whichever the direction
    for rank in sorted(kinds):
        ordered += sorted(kinds[rank], key=lambda pair: _order(pair[1])[1], reverse=not ascending)
    return [run for run, _ in ordered] + [run for run, c in chosen if not _present(c.get(sort))]


def where_list(where: str | Iterable[str] | None) -> list[str]:
    if where is None:
        return []
    return [where] if isinstance(where, str) else list(where)


def _unknown(column: str, tables: list[dict[str, Any]], *, given: str) -> InvalidArgumentError:
    """The error for a column no run has, naming those they have, in their order."""
    known = list(dict.fromkeys([*BUILT_IN, *(name for table in tables for name in table)]))
    return InvalidArgumentError(
        f"{given}: no column {column!r}{did_you_mean(column, known)}; the runs have "
        f"{', '.join(known)}."
    )


NOT_A_NUMBER = ("nan", "inf", "-inf")


def _present(value: Any) -> bool:
    """Whether a run has a value to sort by (a NaN, as a missing one, has none; a param that
    was a NaN or an infinity is kept as its text, "nan", "inf", "-inf")."""
    if isinstance(value, str):
        return value not in NOT_A_NUMBER
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def _order(value: Any) -> tuple[int, Any]:
    """A sort key that orders numbers, then true/false, then texts, then anything else."""
    kind = kind_of(value)
    rank = ("number", "bool", "text").index(kind) if kind != "other" else 3
    return rank, (repr(value) if kind == "other" else value)
