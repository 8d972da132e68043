"""Reading experiment runs: listed, compared, one whole, its metric points."""

from __future__ import annotations

from collections.abc import Sequence

from jupyter_mlops.operations.results import RunHistory
from jupyter_mlops.registry import Registry
from jupyter_mlops.tracking import Tracker
from jupyter_mlops.tracking.comparison import RunComparison
from jupyter_mlops.tracking.records import RunList, RunRecord


def runs(
    registry: Registry,
    *,
    experiment: str | None = None,
    where: Sequence[str] | None = None,
    sort: str | None = None,
    top: int | None = None,
    ascending: bool = False,
) -> RunList:
    """The runs of an experiment (of all), newest first or by `sort`, those `where` holds."""
    return Tracker(registry).runs(experiment, where=where, sort=sort, top=top, ascending=ascending)


def compare_runs(
    registry: Registry, *, runs: Sequence[int | str], show_all: bool = False
) -> RunComparison:
    """Runs side by side: params, metrics, data and models, the differing rows first."""
    return Tracker(registry).compare(list(runs), show_all=show_all)


def run(registry: Registry, *, run: int | str) -> RunRecord:
    """Everything recorded about one run."""
    return Tracker(registry).get(run)


def run_history(registry: Registry, *, run: int | str) -> RunHistory:
    """Every metric point one run logged, by key and step."""
    tracker = Tracker(registry)
    record = tracker.get(run)
    return RunHistory(record.id, record.experiment, tracker.history(record.id))
