"""`%%mlops track` and the run subcommands of `%mlops`."""

from __future__ import annotations

import contextlib
import numbers
import shlex
from typing import Any

from IPython.core.error import UsageError

from jupyter_mlops.commands import parse_pairs
from jupyter_mlops.errors import Face, MlopsError, UnsafeModelError, spell
from jupyter_mlops.magics.cell import execute
from jupyter_mlops.magics.parser import HelpShown, build_track_parser, usage_error
from jupyter_mlops.registry import Registry
from jupyter_mlops.tracking.cells import CellAnalysis, NestedRun, analyse, is_fitted_estimator
from jupyter_mlops.tracking.run import Run, not_stored
from jupyter_mlops.tracking.tracker import Tracker, activated


def track_cell(shell: Any, registry: Registry, line: str, cell: str) -> Any:
    """Run the cell as a run of an experiment; its exception, if any, reaches the user as is."""
    __tracebackhide__ = True
    try:
        args = build_track_parser().parse_args(shlex.split(line))
    except HelpShown:
        return None
    except ValueError as exc:
        raise UsageError(
            f"%%mlops track: cannot split the line ({exc}); check the quotes."
        ) from None
    try:
        run = Tracker(registry).start(
            args.experiment,
            tags=parse_pairs(args.tag, what="tag"),
            code=cell,
            notebook=shell.user_ns.get("__vsc_ipynb_file__"),
        )
    except MlopsError as exc:
        raise usage_error(exc) from None
    with activated(run):
        durations: list[float] = []
        try:
            result, durations = execute(shell, cell)
        except BaseException as error:
            with contextlib.suppress(Exception):  # the cell's own error is the one to show
                record_cell(shell, run, cell, durations)
            run.end(error=error)
            raise
    record_cell(shell, run, cell, durations)
    run.end()
    return result


def record_cell(shell: Any, run: Run, cell: str, durations: list[float]) -> None:
    """Store the estimators the cell fitted, with their fit time, and fingerprint their data;
    what a nested `with mlops.run(...)` block fitted goes to that run. One that cannot be
    stored safely is listed with the run and named in one printed line."""
    found = analyse(shell.transform_cell(cell))
    _record(shell.user_ns, run, found, durations)
    for nested in found.nested:
        inner = _nested_run(shell.user_ns, run, nested)
        if inner is not None:
            _record(shell.user_ns, inner, nested.analysis, [])
            if inner.ended:  # it ended with its block: write what was added since
                inner.flush()


def _record(
    namespace: dict[str, Any], run: Run, found: CellAnalysis, durations: list[float]
) -> None:
    for name in found.candidates:
        if name in namespace and is_fitted_estimator(namespace[name]):
            _log_search(run, name, namespace[name])
            try:
                run.log_model(name, namespace[name], fit_seconds=found.fit_seconds(name, durations))
            except UnsafeModelError as exc:  # the run lists it with the reason; the user sees it
                print(f"%%mlops track: {spell(not_stored(run.id, name, str(exc)), Face.NOTEBOOK)}")
    for name, role in found.inputs.items():
        if name in namespace:
            try:
                run.log_input(name, namespace[name], role=role)
            except (MlopsError, TypeError, ValueError):
                continue  # not tabular data, or values pandas cannot hash: nothing to fingerprint


def _nested_run(namespace: dict[str, Any], run: Run, nested: NestedRun) -> Run | None:
    """The run a `with ....run(...)` block of the cell started: the one it bound, else the
    last the cell started of that experiment."""
    bound = namespace.get(nested.target) if nested.target else None
    if isinstance(bound, Run):
        return bound
    started = [r for r in run.children if nested.experiment in (None, r.experiment)]
    return started[-1] if started else None


def _log_search(run: Run, name: str, model: Any) -> None:
    """A hyperparameter search's best params (`gs.best_params.C`) and its best
    cross-validated score (`gs.best_score`), recorded with the run."""
    best_params = getattr(model, "best_params_", None)
    if isinstance(best_params, dict):
        for key, value in best_params.items():
            run.log_param(f"{name}.best_params.{key}", value)
    best_score = getattr(model, "best_score_", None)
    if isinstance(best_score, numbers.Real) and not isinstance(best_score, bool):
        run.log_metric(f"{name}.best_score", float(best_score))
