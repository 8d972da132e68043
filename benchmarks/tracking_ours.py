"""jupyter-mlops side of tracking_vs_mlflow.py: prints one JSON line per measurement."""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import report, timed

import jupyter_mlops as mlops
from jupyter_mlops import Registry, Tracker

PARAMS = {f"param_{i}": i for i in range(10)}
METRICS = {f"metric_{i}": i / 20 for i in range(20)}


def main(runs: int) -> None:
    registry = Registry(Path(tempfile.mkdtemp()) / "registry")

    def batched() -> None:
        with mlops.run("bench", registry=registry) as run:
            run.log_params(PARAMS)
            run.log_metrics(METRICS)

    def single() -> None:
        with mlops.run("bench", registry=registry) as run:
            for key, value in PARAMS.items():
                run.log_param(key, value)
            for key, value in METRICS.items():
                run.log_metric(key, value)

    report("a run with 10 params and 20 metrics, batched", timed(batched, 20))
    report("a run with 10 params and 20 metrics, 30 single calls", timed(single, 20))

    def points() -> None:
        with mlops.run("points", registry=registry) as run:
            for step in range(10_000):
                run.log_metric("loss", 1 / (step + 1), step=step)

    report("10,000 points, one call each", timed(points, 5))

    def loop() -> None:  # the loop alone: what logging costs the training code
        with mlops.run("loop", registry=registry) as run:
            started = time.perf_counter()
            for step in range(100_000):
                run.log_metric("loss", 1 / (step + 1))
            loop_seconds.append(time.perf_counter() - started)

    loop_seconds: list[float] = []
    timed(loop, 5)
    report("100,000 points, the loop alone", loop_seconds)
    for i in range(runs):
        with mlops.run("search", registry=registry) as run:
            run.log_metric("val_auc", (i * 7919 % runs) / runs)
    tracker = Tracker(registry)
    report(
        f"search {runs:,} runs by a metric",
        timed(lambda: tracker.runs("search", sort="val_auc"), 10),
    )


if __name__ == "__main__":
    main(int(sys.argv[1]))
