"""Starting runs and reading them back: the tracking side of a registry."""

from __future__ import annotations

import contextvars
import json
import math
import os
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from jupyter_mlops.clock import utc_now
from jupyter_mlops.config import machine
from jupyter_mlops.errors import (
    RUNS,
    TRACK,
    InvalidArgumentError,
    Option,
    RunNotFoundError,
    UnfinishedRunError,
    did_you_mean,
)
from jupyter_mlops.registry import Registry, Version
from jupyter_mlops.registry.artifacts import RUN_FIX
from jupyter_mlops.registry.capture import caller_code, current_user, git_commit, notebook_path
from jupyter_mlops.registry.refs import check_name, check_tags
from jupyter_mlops.store import runs as sql
from jupyter_mlops.tracking.comparison import RunComparison, compare_runs
from jupyter_mlops.tracking.queries import select, where_list
from jupyter_mlops.tracking.records import RunList, RunRecord
from jupyter_mlops.tracking.run import Run, not_stored

_active: contextvars.ContextVar[Run | None] = contextvars.ContextVar("mlops_run", default=None)


class Tracker:
    """Runs of experiments, stored in a registry."""

    def __init__(self, registry: Registry | None = None) -> None:
        self.registry = registry or Registry()

    def start(
        self,
        experiment: str,
        *,
        tags: Mapping[str, Any] | None = None,
        code: str | None = None,
        notebook: str | None = None,
    ) -> Run:
        check_name(experiment, what="experiment name")
        tag_texts = check_tags(tags or {})
        record = {
            "experiment": experiment,
            "status": "running",
            "started_at": utc_now(),
            "code": code if code is not None else caller_code(),
            "params": "{}",
            "tags": json.dumps(tag_texts),
            "models": "{}",
            "inputs": "{}",
            "notebook": notebook or notebook_path(),
            "git_commit": git_commit(),
            "created_by": current_user(),
            "host": machine(),
            "pid": os.getpid(),
        }
        with self.registry.db.write() as conn:
            run_id = sql.insert_run(conn, record)
        run = Run(self.registry, run_id, experiment)
        run.tags.update(tag_texts)
        parent = _active.get()
        if parent is not None:  # a nested run: what its block fits is its own, not the parent's
            parent.children.append(run)
        return run

    @contextmanager
    def run(self, experiment: str, **options: Any) -> Iterator[Run]:
        """A run that is the active one inside the block; failed if the block raises."""
        run = self.start(experiment, **options)
        with activated(run), run:
            yield run

    def get(self, run_id: int | str) -> RunRecord:
        number = _run_number(run_id)
        with self.registry.db.read() as conn:
            row = sql.get_run(conn, number)
            if row is None:
                ids = sql.run_ids(conn)
                have = f"{ids[0]}..{ids[-1]}" if ids else "none yet"
                raise RunNotFoundError(
                    f"no run {number} (runs: {have}); run `", RUNS, "` to list them."
                )
            metrics = sql.latest_metrics(conn, [number]).get(number, {})
            versions = sql.versions_from_run(conn, number)
            artifacts = sql.run_artifacts(conn, number)
        return RunRecord.from_row(row, metrics=metrics, versions=versions, artifacts=artifacts)

    def runs(
        self,
        experiment: str | None = None,
        *,
        where: str | Iterable[str] | None = None,
        sort: str | None = None,
        top: int | None = None,
        ascending: bool = False,
    ) -> RunList:
        """Runs of an experiment (or all), newest first, or largest first by a column (a
        metric, a logged param, a model's param as MODEL.PARAM: `queries.py`), or smallest
        first with `ascending`; only those meeting every condition of `where` ("m.alpha < 1",
        or a list of such); at most `top` of them (1 or more)."""
        if top is not None and (
            isinstance(top, bool) or not isinstance(top, int) or not 1 <= top <= 2**62
        ):
            raise InvalidArgumentError(
                "",
                Option("top", python=repr(top), typed=str(top)),
                " is not a number of runs; give 1 or more, e.g. ",
                Option("top", python="10", typed="10"),
                ".",
            )
        with self.registry.db.read() as conn:
            if experiment is not None and experiment not in (known := sql.experiments(conn)):
                raise RunNotFoundError(
                    f"no experiment named {experiment!r}{did_you_mean(experiment, known)}; "
                    "start one with `",
                    TRACK,
                    "`.",
                )
            chosen = sort is not None or where is not None
            rows = sql.runs_of(conn, experiment, limit=None if chosen else top)
        records = []
        for row in rows:
            keys, values = row.pop("metric_keys") or [], row.pop("metric_values") or []
            metrics = dict(zip(keys, values, strict=True))
            records.append(RunRecord.from_row(row, metrics=metrics, versions=[], artifacts=[]))
        if chosen:
            records = select(records, where=where, sort=sort, ascending=ascending)[:top]
        return RunList(records, sort_key=sort, where=where_list(where))

    def compare(self, run_ids: list[int | str], *, show_all: bool = False) -> RunComparison:
        """Runs side by side: the rows that differ, and with `show_all` the identical ones."""
        if len(run_ids) < 2:
            raise InvalidArgumentError("compare-runs needs at least two run ids, e.g. 12 15.")
        return compare_runs([self.get(run_id) for run_id in run_ids], show_all=show_all)

    def register(
        self,
        run_id: int | str,
        name: str,
        *,
        model: str | None = None,
        X: Any = None,
        y: Any = None,
        metrics: Mapping[str, Any] | None = None,
        description: str = "",
        tags: Mapping[str, str] | None = None,
        trust: str | Iterable[str] = (),
        force: bool = False,
        if_new: bool = True,
        allow_failed: bool = False,
        reference: Any = None,
        positive_label: Any = None,
    ) -> Version:
        """Register the model a run fitted as a version of `name`, linked to the run.

        The version gets the run's params, code and last metric values (`metrics` adds to or
        overrides them); an identical version is returned instead unless `force`, and
        `reference` and `positive_label` are used, as for `Registry.register`. A run that
        failed, died or is still running is refused unless `allow_failed`."""
        from jupyter_mlops.registry import serialization
        from jupyter_mlops.registry import trust as policy

        record = self.get(run_id)
        if not allow_failed:
            _check_finished(record)
        chosen, entry = _stored_model(record, model)
        label = f"run {record.id} model {chosen}"
        fitted = serialization.load(
            self.registry.artifacts.get(entry["sha256"], label=label, fix=RUN_FIX),
            encoding=serialization.SKOPS,
            trusted_types=entry["trusted_types"],
            label=label,
            trust=trust,
        )
        logged = {k: v for k, v in record.metrics.items() if v is not None and math.isfinite(v)}
        return self.registry.register(
            name,
            fitted,
            X=X,
            y=y,
            metrics=logged | dict(metrics or {}),
            params=record.params,
            description=description,
            tags=tags,
            code=record.code,
            notebook=record.notebook,
            trust=[*entry["trusted_types"], *policy.names(trust)],
            run_id=str(record.id),
            force=force,
            if_new=if_new,
            reference=reference,
            positive_label=positive_label,
        )

    def restore_points(self, path: str | os.PathLike[str]) -> int:
        """Log the metric points a run saved to a file when the registry refused its last
        write (`UnwrittenPointsError` names the file) into that run; the file is removed
        once they are in. Returns how many points were logged."""
        import pandas as pd

        try:
            points = pd.read_csv(path, parse_dates=["logged_at"])
            run_ids = sorted(set(points["run_id"].tolist()))
            points = points[["run_id", "key", "step", "value", "logged_at"]]
        except (OSError, ValueError, KeyError) as exc:
            raise InvalidArgumentError(
                f"{str(path)!r} holds no saved metric points ({type(exc).__name__}); give "
                "the file an UnwrittenPointsError named."
            ) from None
        for run_id in run_ids:
            self.get(run_id)  # a run of this registry, or RunNotFoundError
        with self.registry.db.write() as conn:
            sql.append_metrics(conn, points)
        os.unlink(path)
        return len(points)

    def history(self, run_id: int | str) -> list[dict[str, Any]]:
        """Every logged point of a run: key, step, value, logged_at (one read of the
        registry; an unknown run is refused as `get` refuses it)."""
        number = _run_number(run_id)
        with self.registry.db.read() as conn:
            if sql.get_run(conn, number) is not None:
                return sql.metric_history(conn, number)
        self.get(number)  # raises RunNotFoundError, naming the runs there are
        return []


def _check_finished(record: RunRecord) -> None:
    """Refuse a run that did not finish: its model may be half-trained, its metrics partial."""
    if record.status == "finished":
        return
    anyway = ("or register it as it is with ", Option("allow_failed", python="True"))
    if record.status == "running":
        raise UnfinishedRunError(
            f"run {record.id} is still running, so its model and metrics may still change; "
            "register it once it has ended, ",
            *anyway,
            ".",
        )
    if record.status == "dead":
        happened = "its process ended before the run did"
    else:
        happened = f"it failed with {_first_line(record.error)}"
    raise UnfinishedRunError(
        f"run {record.id} did not finish ({happened}), so its model may be half-trained; "
        "track the run again, ",
        *anyway,
        ".",
    )


def _first_line(error: str | None, *, limit: int = 200) -> str:
    """The first line of a run's error, cut to `limit` characters."""
    line = ((error or "").strip().splitlines() or ["an error it did not record"])[0]
    return line if len(line) <= limit else f"{line[:limit]}..."


def _stored_model(record: RunRecord, model: str | None) -> tuple[str, dict[str, Any]]:
    """The name and entry of the model to register from a run: `model`, else the one it
    stored, else the one of those that predicts; else why none can be chosen."""
    stored = {key: entry for key, entry in record.models.items() if "sha256" in entry}
    unstored = [key for key, entry in record.models.items() if "not_stored" in entry]
    if model in unstored or (model is None and not stored and len(unstored) == 1):
        name = model or unstored[0]
        raise InvalidArgumentError(*not_stored(record.id, name, record.models[name]["not_stored"]))
    if not stored:
        raise InvalidArgumentError(
            f"run {record.id} stored no model; fit an estimator in a tracked run (`",
            TRACK,
            "`) or call run.log_model(name, model).",
        )
    predictors = [key for key, entry in stored.items() if entry.get("predicts")]
    if model is None and len(stored) > 1 and len(predictors) != 1:
        raise InvalidArgumentError(
            f"run {record.id} fitted several models ({', '.join(stored)}); choose one with ",
            Option("model", python="...", typed="NAME", flag="--run-model"),
            ".",
        )
    chosen = model or (predictors[0] if len(stored) > 1 else next(iter(stored)))
    if chosen not in stored:
        raise InvalidArgumentError(
            f"run {record.id} has no stored model {chosen!r}{did_you_mean(chosen, stored)}; "
            f"it has {', '.join(stored)}."
        )
    return chosen, stored[chosen]


def current_run() -> Run | None:
    """The run active here (inside `with mlops.run(...)` or a `%%mlops track` cell), if any."""
    return _active.get()


def active_run() -> Run:
    run = _active.get()
    if run is None:
        raise InvalidArgumentError(
            "no run is active; wrap the code in `with mlops.run(NAME):` or a `%%mlops track` cell."
            # said in Python's words and a notebook's at once: a run is only ever active there
            # said in Python's words and a notebook's at once: a run is only ever active there
        )
    return run


@contextmanager
def activated(run: Run) -> Iterator[Run]:
    token = _active.set(run)
    try:
        yield run
    finally:
        _active.reset(token)


def _run_number(run_id: int | str) -> int:
    try:
        return int(run_id)
    except (TypeError, ValueError):
        raise InvalidArgumentError(
            f"run id {run_id!r} is not a number; use the id `", RUNS, "` shows."
        ) from None
