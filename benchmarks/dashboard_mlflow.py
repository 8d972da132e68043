"""The MLflow side of `dashboard_model.py`, run in MLflow's own environment
(benchmarks/.venv-mlflow): the same history in an MLflow store (SQLite, the backend MLflow
recommends; VERSIONS versions of a model, RUNS runs of STEPS logged steps), then the calls
a UI makes to show it, timed.

    python benchmarks/dashboard_mlflow.py ROOT VERSIONS RUNS STEPS REPEAT

Prints one JSON object: the median milliseconds of each call."""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from mlflow.entities import Metric
from mlflow.tracking import MlflowClient

MODEL = "churn"


def median_ms(call: Callable[[], None], repeat: int) -> float:
    call()  # warm
    seconds = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds) * 1000


def main() -> None:
    root, versions, runs, steps, repeat = Path(sys.argv[1]), *map(int, sys.argv[2:6])
    uri = f"sqlite:///{root / 'mlflow.db'}"  # the backend MLflow's own server is run on
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    client.create_registered_model(MODEL)
    for _ in range(versions):
        client.create_model_version(MODEL, source=(root / "artifact").as_uri())
    experiment = client.create_experiment(f"{MODEL}-training")
    run_ids = []
    for _ in range(runs):
        run = client.create_run(experiment)
        points = [Metric("loss", 1 / (at + 1), 0, at) for at in range(steps)]
        for start in range(0, len(points), 1000):
            client.log_batch(run.info.run_id, metrics=points[start : start + 1000])
        run_ids.append(run.info.run_id)

    def listed() -> None:
        found = client.search_model_versions(f"name='{MODEL}'", max_results=10_000)
        assert len(found) == versions

    def histories() -> None:
        for run_id in run_ids:
            client.get_metric_history(run_id, "loss")

    print(
        json.dumps(
            {
                "search_model_versions": median_ms(listed, repeat),
                "get_metric_history, every run": median_ms(histories, repeat),
            }
        )
    )


if __name__ == "__main__":
    main()
