"""Storing versions: a fitted model with what it was trained on, a run's model, and the
held-out reference data monitoring compares with."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from jupyter_mlops.registry import Registry
from jupyter_mlops.registry.records import Version
from jupyter_mlops.registry.registration import Registration
from jupyter_mlops.tracking import Tracker


def register(registry: Registry, *, name: str, given: Registration, force: bool = False) -> Version:
    """Store `given` as the next version of `name`; an identical version already stored is
    returned instead, with a note, unless `force`."""
    return registry.store(name, given, force=force)


def register_run(
    registry: Registry,
    *,
    run: int | str,
    name: str,
    given: Registration | None = None,
    fitted: str | None = None,
    force: bool = False,
    allow_failed: bool = False,
) -> Version:
    """Register the model run `run` fitted (`fitted` names it when the run fitted several),
    with the run's params, code and metrics; `given` adds data, metrics, tags, trust (its
    model is not read: the run's is registered)."""
    given = given or Registration(None)
    return Tracker(registry).register(
        run,
        name,
        model=fitted,
        X=given.X,
        y=given.y,
        metrics=given.metrics,
        description=given.description,
        tags=given.tags,
        trust=given.trust,
        force=force,
        allow_failed=allow_failed,
        reference=given.reference,
        positive_label=given.positive_label,
    )


def set_reference(
    registry: Registry,
    *,
    model: str,
    version: int | str,
    X: Any,
    y: Any = None,
    reason: str = "",
    allow_pickle: bool = False,
) -> Version:
    """Give a stored version held-out reference data (audited), replacing what it had."""
    return registry.set_reference(model, version, X, y, reason=reason, allow_pickle=allow_pickle)


def registration(
    model: Any,
    *,
    data: Iterable[Any] = (),
    reference: Iterable[Any] = (),
    metrics: Mapping[str, Any] | None = None,
    description: str = "",
    tags: Mapping[str, str] | None = None,
    trust: Iterable[str] = (),
    **provenance: Any,
) -> Registration:
    """What a face gathered for `register`, bundled: `data` and `reference` are [X] or
    [X, y]; `provenance` the code, notebook, run id, positive label and allow_pickle."""
    X, y = _pair(data)
    return Registration(
        model,
        X=X,
        y=y,
        metrics=metrics,
        description=description,
        tags=dict(tags or {}),
        trust=tuple(trust),
        reference=tuple(reference) or None,
        **provenance,
    )


def _pair(values: Iterable[Any]) -> tuple[Any, Any]:
    found = list(values)
    return (found[0] if found else None), (found[1] if len(found) > 1 else None)
