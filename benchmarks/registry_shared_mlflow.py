"""MLflow side of registry_shared.py: its SQL store on PostgreSQL, artifacts in a local folder.
Run in MLflow's own environment (registry_vs_mlflow.py:mlflow_python).

    python registry_shared_mlflow.py setup '{"uri": ..., "artifacts": ..., "versions": N, ...}'
    python registry_shared_mlflow.py run '{"uri": ..., "operation": ..., "index": I, ...}'

The same store and calls as registry_vs_mlflow.py (the model logged with its pip
requirements given, so MLflow does not spend seconds inferring them), with the same set-up as
registry_shared_ours.py: 20 versions of `bench`, `champion` at 1, an alias a writer at 20,
and N versions of `bulk`.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import fitted_model, serve, training_data

BENCH_VERSIONS = 20
EXPERIMENT = "bench"


def connect(config: dict[str, Any]) -> Any:
    import mlflow

    mlflow.set_tracking_uri(config["uri"])
    mlflow.set_experiment(EXPERIMENT)
    return mlflow.MlflowClient()


def logger(model: Any, example: Any) -> Callable[[], Any]:
    """One registration: a run with a metric and the model logged as the next version."""
    import mlflow
    import mlflow.sklearn
    import sklearn

    pinned = [f"scikit-learn=={sklearn.__version__}", f"mlflow=={mlflow.__version__}"]

    def log() -> None:
        with mlflow.start_run():
            mlflow.log_metric("auc", 0.9)
            mlflow.sklearn.log_model(
                model,
                name="model",
                registered_model_name="bench",
                input_example=example,
                pip_requirements=pinned,
            )

    return log


def setup(config: dict[str, Any]) -> None:
    import mlflow
    import mlflow.sklearn

    mlflow.set_tracking_uri(config["uri"])  # creates MLflow's tables
    client = mlflow.MlflowClient()
    client.create_experiment(EXPERIMENT, artifact_location=Path(config["artifacts"]).as_uri())
    connect(config)
    X, y = training_data()
    model = fitted_model(X, y)
    log = logger(model, X.iloc[:5])
    for _ in range(BENCH_VERSIONS):
        log()
    client.set_registered_model_alias("bench", "champion", 1)
    for writer in range(config["writers"]):
        client.set_registered_model_alias("bench", f"w{writer}", BENCH_VERSIONS)
    with mlflow.start_run() as run:
        info = mlflow.sklearn.log_model(model, name="model")
    client.create_registered_model("bulk")
    for _ in range(config["versions"]):
        client.create_model_version("bulk", info.model_uri, run_id=run.info.run_id)


def operation(config: dict[str, Any]) -> Callable[[int], Any]:
    import mlflow.sklearn

    client = connect(config)
    name, versions = config["operation"], config["versions"]
    if name == "load":
        return lambda _: mlflow.sklearn.load_model("models:/bench@champion")
    if name == "list":
        return lambda _: client.search_model_versions("name='bulk'", max_results=versions)
    if name == "move":
        alias = f"w{config['index']}"
        return lambda number: client.set_registered_model_alias(
            "bench", alias, 1 + number % BENCH_VERSIONS
        )
    X, y = training_data()
    log = logger(fitted_model(X, y), X.iloc[:5])
    return lambda _: log()


def main(command: str, config: dict[str, Any]) -> None:
    if command == "setup":
        setup(config)
    else:
        serve(operation(config), config["repeat"])


if __name__ == "__main__":
    main(sys.argv[1], json.loads(sys.argv[2]))
