"""Opening one model's dashboard, and the fleet, on a big registry.

    python benchmarks/dashboard_model.py [--versions 1000] [--runs 100] [--steps 200]
                                         [--predictions 5000000] [--repeat 7] [--rebuild]

Builds (once; cached under `build/bench/` by BUILD and the sizes) a registry as a user
would fill it: `churn` with `--versions` versions registered through the registry (a small
logistic regression, each version fitted with its own `C`, the newest the champion),
`--runs` tracked runs of `--steps` logged steps each, `--predictions` predictions logged
through `Monitor.log_predictions` in batches of 500,000 over the last 30 days, a tenth of
them labelled, drift checked per day and performance per day from that log (stored as
checks), and 99 more models as `dashboard_open.py` builds them, so the fleet has 100.

Then times, median of `--repeat` runs in a warm process: `dashboard(registry, "churn")`
until `.opening` is done (wall time), the constructor alone (the kernel's main thread:
the reads run in a worker), each tab's `read()` on its own, and the same for the fleet.
The target: under 1 s for the model, under 0.5 s for the fleet; opening reads stored
checks and aggregates, never the prediction log.

When MLflow is importable here, the closest MLflow calls are timed beside it on an
equivalent file store (`search_model_versions` of the 1,000 versions, `get_metric_history`
of every run) and the ratio printed; MLflow is not a dependency of this project.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import dashboard_open  # noqa: E402  (after the path is set)
from benchmarks.common import timed  # noqa: E402

BUILD = "1"  # raise when what `build` stores changes, so a cached registry is rebuilt
MODEL = "churn"
BATCH = 500_000
DAYS = 30


def cached(args: argparse.Namespace) -> Path:
    """The registry for these sizes, built on first use and reused afterwards."""
    key = f"v{BUILD}-{args.versions}x{args.runs}x{args.steps}x{args.predictions}"
    home = ROOT / "build" / "bench" / f"dashboard-model-{key}"
    done = home / "built"
    if args.rebuild and home.exists():
        shutil.rmtree(home)
    if done.exists():
        print(f"reusing the registry in {home}")
        return home
    if home.exists():  # a build cut short
        shutil.rmtree(home)
    build(home, args)
    done.write_text(datetime.now(UTC).isoformat())
    return home


def build(home: Path, args: argparse.Namespace) -> None:
    from jupyter_mlops.registry import Registry

    registry = Registry(home)
    step("versions", lambda: versions(registry, args.versions))
    step("runs", lambda: runs(registry, args.runs, args.steps))
    step("predictions", lambda: predictions(registry, args.predictions))
    step("checks", lambda: checks(registry))
    step(
        "99 more models",
        lambda: dashboard_open.build(home, models=99, versions=3, checks=3),
    )


def step(what: str, work: Callable[[], Any]) -> None:
    started = time.perf_counter()
    work()
    print(f"built {what} in {time.perf_counter() - started:.1f} s", flush=True)


def frames(rows: int, seed: int) -> tuple[Any, Any]:
    from jupyter_mlops.monitoring import synthetic

    every = synthetic.features(rows, seed=seed, shifted=seed % 3 == 2)
    return every[synthetic.NUMERIC[:6]], synthetic.target(every, seed=seed)


def versions(registry: Any, count: int) -> None:
    """`count` versions of MODEL, each a model fitted with its own C, through the registry."""
    from sklearn.linear_model import LogisticRegression

    from jupyter_mlops import operations as ops
    from jupyter_mlops.operations.registering import registration

    X, y = frames(600, seed=1)
    held = frames(400, seed=4)
    started = time.perf_counter()
    for number in range(1, count + 1):
        C = 0.01 * number
        model = LogisticRegression(C=C, max_iter=300).fit(X, y)
        auc = 0.8 + 0.1 * number / count
        given = registration(model, data=[X, y], reference=held, metrics={"auc": auc})
        ops.register(registry, name=MODEL, given=given, force=True)
        if number % 100 == 0:
            print(f"  {number} versions, {time.perf_counter() - started:.0f} s", flush=True)
    ops.promote(registry, model=MODEL, version=count, reason="the newest")


def runs(registry: Any, count: int, steps: int) -> None:
    """`count` tracked runs, each logging loss and accuracy at `steps` steps."""
    from jupyter_mlops.tracking import Tracker

    tracker = Tracker(registry)
    for number in range(count):
        with tracker.run(f"{MODEL}-training") as run:
            run.log_params({"C": 0.01 * (number + 1), "max_iter": 300})
            for at in range(steps):
                run.log_metric("loss", 1 / (at + 1 + number), step=at)
                run.log_metric("accuracy", 0.5 + 0.4 * at / steps, step=at)


def predictions(registry: Any, count: int) -> None:
    """`count` predictions of the champion over the last DAYS days, a tenth labelled."""
    import numpy as np
    import pandas as pd

    from jupyter_mlops.monitoring import Monitor

    monitor = Monitor(registry)
    end = datetime.now(UTC).replace(microsecond=0)
    start = end - timedelta(days=DAYS)
    batches = -(-count // BATCH)
    for batch in range(batches):
        rows = min(BATCH, count - batch * BATCH)
        X, y = frames(rows, seed=10 + batch)
        span = (end - start) / batches
        offsets = np.sort(np.random.default_rng(batch).uniform(0, span.total_seconds(), rows))
        at = pd.to_datetime(start + batch * span) + pd.to_timedelta(offsets, unit="s")
        logged = monitor.log_predictions(f"{MODEL}@champion", X, timestamps=at)
        labelled = logged.iloc[::10]
        monitor.log_labels(MODEL, labelled, y.iloc[::10].to_numpy(), timestamps=at[::10])
        print(f"  {(batch * BATCH + rows):,} predictions", flush=True)


def checks(registry: Any) -> None:
    """Drift per day and performance per day of the champion, from the log, stored."""
    from jupyter_mlops import operations as ops

    ref = f"{MODEL}@champion"
    ops.drift(registry, ref=ref, every="1d", last=DAYS, save=True)
    ops.performance(registry, ref=ref, window="1d")


def median_ms(function: Callable[[], Any], repeat: int) -> float:
    return statistics.median(timed(function, repeat)) * 1000


def opened(make: Callable[[], Any], repeat: int) -> tuple[float, float]:
    """Median ms of (constructing a dashboard and waiting for every tab, the constructor
    alone); each dashboard has finished reading and is closed before the next starts."""
    whole, constructor = [], []
    for _ in range(repeat):
        started = time.perf_counter()
        dashboard = make()
        built = time.perf_counter()
        dashboard.opening.result(timeout=120)
        whole.append(time.perf_counter() - started)
        constructor.append(built - started)
        dashboard.close()
    return statistics.median(whole) * 1000, statistics.median(constructor) * 1000


def ours(home: Path, repeat: int) -> dict[str, float]:
    from jupyter_mlops.registry import Registry
    from jupyter_mlops.widgets import dashboard

    registry = Registry(home)
    results: dict[str, float] = {}
    for what, make in (
        (f"dashboard {MODEL}", lambda: dashboard(registry, MODEL)),
        ("dashboard (the fleet)", lambda: dashboard(registry)),
    ):
        opened(make, 1)  # warm: imports, the engine
        whole, constructor = opened(make, repeat)
        results[f"{what}: open, every tab read"] = whole
        results[f"{what}: constructor (main thread)"] = constructor
    probe = dashboard(registry, MODEL)
    probe.opening.result(timeout=120)
    for panel in probe.panels:
        results[f"  {panel.title} read()"] = median_ms(panel.read, repeat)
    probe.close()
    fleet = dashboard(registry)
    fleet.opening.result(timeout=120)
    results[f"  {fleet.title} read()"] = median_ms(fleet.read, repeat)
    fleet.close()
    results.update(histories(registry, repeat))
    return results


def histories(registry: Any, repeat: int) -> dict[str, float]:
    """What MLflow is timed on: the versions listed, every run's step history read."""
    from jupyter_mlops import operations

    ids = [run.id for run in operations.runs(registry, experiment=f"{MODEL}-training")]

    def every_run() -> None:
        for run_id in ids:
            operations.run_history(registry, run=run_id)

    def listed() -> None:
        operations.versions(registry, model=MODEL)

    return {
        "operations.versions": median_ms(listed, repeat),
        f"operations.run_history, {len(ids)} runs": median_ms(every_run, repeat),
    }


def mlflow_side(root: Path, args: argparse.Namespace) -> dict[str, float]:
    """The same history in an MLflow store (SQLite), timed by `dashboard_mlflow.py` in MLflow's
    own environment (benchmarks/.venv-mlflow, made on first use as the other comparisons do):
    versions listed, every run's metric history read."""
    import json
    import shutil
    import subprocess

    from benchmarks.registry_vs_mlflow import mlflow_python

    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    script = Path(__file__).resolve().parent / "dashboard_mlflow.py"
    sizes = [args.versions, args.runs, args.steps, args.repeat]
    done = subprocess.run(
        [str(mlflow_python()), str(script), str(root), *map(str, sizes)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"dashboard_mlflow.py failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--versions", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--predictions", type=int, default=5_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--rebuild", action="store_true", help="build the registry again")
    args = parser.parse_args()
    home = cached(args)
    results = ours(home, args.repeat)
    for what, ms in results.items():
        print(f"{what}: median {ms:.1f} ms")
    theirs = mlflow_side(home.parent / f"{home.name}-mlflow", args)
    pairs = zip(theirs.items(), list(results.items())[-2:], strict=True)
    for (what, ms), (ours_what, ours_ms) in pairs:
        print(f"MLflow {what}: median {ms:.1f} ms; / {ours_what}: {ms / ours_ms:.2f}")


if __name__ == "__main__":
    main()
