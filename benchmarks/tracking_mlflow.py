"""MLflow side of tracking_vs_mlflow.py (its default local sqlite store), run in its own venv."""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import report, timed

PARAMS = {f"param_{i}": i for i in range(10)}
METRICS = {f"metric_{i}": i / 20 for i in range(20)}


def main(runs: int) -> None:
    import mlflow
    from mlflow import MlflowClient
    from mlflow.entities import Metric

    workdir = Path(tempfile.mkdtemp())
    os.chdir(workdir)
    mlflow.set_tracking_uri(f"sqlite:///{workdir / 'mlflow.db'}")
    client = MlflowClient()
    mlflow.set_experiment("bench")

    def batched() -> None:
        with mlflow.start_run():
            mlflow.log_params(PARAMS)
            mlflow.log_metrics(METRICS)

    def single() -> None:
        with mlflow.start_run():
            for key, value in PARAMS.items():
                mlflow.log_param(key, value)
            for key, value in METRICS.items():
                mlflow.log_metric(key, value)

    report("a run with 10 params and 20 metrics, batched", timed(batched, 20))
    report("a run with 10 params and 20 metrics, 30 single calls", timed(single, 20))

    def points_single() -> None:
        with mlflow.start_run():
            for step in range(10_000):
                mlflow.log_metric("loss", 1 / (step + 1), step=step)

    def points_batched() -> None:
        with mlflow.start_run() as run:
            now = int(time.time() * 1000)
            metrics = [Metric("loss", 1 / (s + 1), now, s) for s in range(10_000)]
            for start in range(0, len(metrics), 1000):  # log_batch takes 1,000 metrics a call
                client.log_batch(run.info.run_id, metrics=metrics[start : start + 1000])

    report("10,000 points, one call each", timed(points_single, 1))
    report("10,000 points, log_batch", timed(points_batched, 5))
    experiment = mlflow.set_experiment("search")
    for i in range(runs):
        with mlflow.start_run():
            mlflow.log_metric("val_auc", (i * 7919 % runs) / runs)
    report(
        f"search {runs:,} runs by a metric",
        timed(
            lambda: client.search_runs(
                [experiment.experiment_id], order_by=["metrics.val_auc DESC"], max_results=runs
            ),
            10,
        ),
    )


if __name__ == "__main__":
    main(int(sys.argv[1]))
