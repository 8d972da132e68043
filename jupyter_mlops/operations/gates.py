"""Deciding whether a new version replaces the champion, and whether new data fits a version.

`gate` measures a challenger against the champion on the same held-out rows and, asked to
(`promote=True`), moves the champion alias only when the gate passes, expecting it to point
where it pointed when measured and storing the gate's numbers as the move's evidence (a role
that may only read a shared registry is refused such a gate before it scores).
`check_data` validates a data file or frame against a version's signature and profile.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from jupyter_mlops.automation.datachecks import DataCheck, check_frame
from jupyter_mlops.automation.gate_labels import Named
from jupyter_mlops.automation.gates import HOLDOUT, gate_live, gate_rows
from jupyter_mlops.automation.verdicts import GateResult
from jupyter_mlops.errors import InvalidArgumentError, MlopsError, Option
from jupyter_mlops.registry import Registry, team
from jupyter_mlops.registry.events import AliasEvent
from jupyter_mlops.registry.refs import TEXT_LENGTH, check_text

SUMMARY_ROOM = 300  # what a gate appends to its promotion's reason, at most, past the window


def gate(
    registry: Registry,
    *,
    model: str,
    challenger: int | str,
    champion: int | str = "champion",
    X: Any = None,
    y: Any = None,
    live: str | None = None,
    metric: str,
    min_gain: float = 0.0,
    alpha: float = 0.05,
    promote: bool = False,
    reason: str = "",
    evidence: Mapping[str, Any] | None = None,
    y_named: str = "y",
    rows_named: str = "X and y",
) -> GateResult:
    """The challenger against the champion on held-out rows `X`, `y` (or, `live='7d'`, on
    the labelled requests of that window a shadow deployment scored) by `metric`: 'promote'
    when its gain is at least `min_gain` and significantly above 0 (and, for accuracy,
    McNemar's p below `alpha`), else 'keep'. `promote=True` then moves the champion alias
    to the challenger, audited with `reason` and the result as evidence (with `evidence`
    beside it: the job that asked, say). `y_named` and `rows_named` are how messages name
    the labels and the rows they came with (a face's variables or file)."""
    if promote:  # a move a reader may not make is refused before anything is scored
        team.require_writable(registry.db)
        _check_reason(reason, live=live)
    if live is not None:
        if X is not None or y is not None:
            raise both_given(live)
        result = gate_live(
            registry,
            model=model,
            challenger=challenger,
            champion=champion,
            window=live,
            metric=metric,
            min_gain=min_gain,
            alpha=alpha,
        )
    else:
        result = gate_rows(
            registry,
            model=model,
            challenger=challenger,
            champion=champion,
            X=X,
            y=y,
            metric=metric,
            min_gain=min_gain,
            alpha=alpha,
            named=Named(labels=y_named, rows=rows_named),
        )
    if not (promote and result.passed):
        return result
    return _promoted(registry, result, reason=reason, evidence=evidence or {})


def _promoted(
    registry: Registry, result: GateResult, *, reason: str, evidence: Mapping[str, Any]
) -> GateResult:
    """The champion alias moved to the challenger a passing gate measured, audited with
    `reason` and the gate's numbers; a refused move says what the gate found."""
    said = f"{reason}; {result.summary()}" if reason else result.summary()
    try:
        moved = registry.promote(
            result.model,
            result.challenger,
            result.champion_alias,
            reason=said,
            evidence={**result.to_dict(), **evidence},
            expect=result.champion,
        )
    except MlopsError as exc:
        alias = f"{result.model}@{result.champion_alias}"
        raise exc.led_by(
            f"the gate passed ({result.summary()}) but {alias} did not move: "
        ) from exc
    if not isinstance(moved, AliasEvent):  # the alias pointed at the challenger already
        return result
    return result.moved(f"{result.model}@{moved.alias}: {moved.from_version} -> {moved.to_version}")


def _check_reason(reason: str, *, live: str | None) -> None:
    """Refuses, before anything is scored, a reason the promotion could not store once the
    gate's numbers are appended to it."""
    check_text(reason, what="reason")
    room = TEXT_LENGTH - SUMMARY_ROOM - len(str(live or ""))
    if len(reason) > room:
        raise InvalidArgumentError(
            f"reason is {len(reason):,} characters long, and the promotion appends the gate's "
            f"numbers (up to {TEXT_LENGTH - room:,} characters) to it; keep it to {room:,} "
            "characters and put longer notes in a file the reason names."
        )


def both_given(live: str) -> InvalidArgumentError:
    """The refusal of a gate given both a live window and held-out rows."""
    return InvalidArgumentError(
        "a live gate (", Option("live", python=repr(live), typed=live), ") compares the "
        "requests a shadow deployment scored, and held-out rows (", HOLDOUT, ") were given "
        "too; give one of them.",
    )  # fmt: skip


def check_data(
    registry: Registry,
    *,
    ref: str,
    data: Any,
    strict: bool = False,
    ignore: Iterable[str] = (),
) -> DataCheck:
    """`data` (a DataFrame, or data files: a path, a glob or a list) against the version
    `ref` names: its columns and their types (errors), and its values against the version's
    reference profile (warnings; `strict` fails on them too), and, when nothing else is
    wrong, rows scored by its model (an error when it refuses them). `ignore`: columns that
    are no input (an id, the label), one name or several, left out."""
    from jupyter_mlops.registry.datafiles import joined, mixed_types, read_parts

    version = registry.get(registry.watched(ref))
    ignored = [ignore] if isinstance(ignore, str) else list(ignore)
    mixed: dict[str, str] = {}
    if isinstance(data, str) or not hasattr(data, "columns"):
        names = [data] if isinstance(data, str) or not isinstance(data, list | tuple) else data
        parts = read_parts(list(names))
        frame, source, mixed = joined(parts), ", ".join(map(str, names)), mixed_types(parts)
    else:
        frame, source = data, "the given rows"
    return check_frame(
        frame,
        version=version,
        named=ref,
        profile=registry.profile(version.ref),
        source=source,
        strict=strict,
        ignore=ignored,
        load=lambda: registry.load(version.ref),
        mixed=mixed,
    )
