"""MLflow side of registry_vs_mlflow.py (its default local sqlite store), run in its own venv."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import fitted_model, report, timed, training_data

COLD = (
    "import sys, mlflow, mlflow.sklearn; mlflow.set_tracking_uri(sys.argv[1]); "
    "mlflow.sklearn.load_model('models:/bench@champion')"
)


def main(versions: int) -> None:
    import mlflow
    import mlflow.sklearn
    import sklearn
    from mlflow import MlflowClient

    workdir = Path(tempfile.mkdtemp())
    os.chdir(workdir)
    uri = f"sqlite:///{workdir / 'mlflow.db'}"
    mlflow.set_tracking_uri(uri)
    client = MlflowClient()
    X, y = training_data()
    model = fitted_model(X, y)
    example = X.iloc[:5]

    def log(requirements: list[str] | None, name: str) -> None:
        with mlflow.start_run():
            mlflow.log_metric("auc", 0.9)
            mlflow.sklearn.log_model(
                model,
                name="model",
                registered_model_name=name,
                input_example=example,
                pip_requirements=requirements,
            )

    report(
        "register a version (pip requirements inferred, the default)",
        timed(lambda: log(None, "bench"), 5),
    )
    pinned = [f"scikit-learn=={sklearn.__version__}", f"mlflow=={mlflow.__version__}"]
    report("register a version (pip requirements given)", timed(lambda: log(pinned, "bench"), 20))
    client.set_registered_model_alias("bench", "champion", 1)
    report(
        "load by alias, warm process",
        timed(lambda: mlflow.sklearn.load_model("models:/bench@champion"), 20),
    )
    report(
        "load by alias, cold process",
        timed(
            lambda: subprocess.run(
                [sys.executable, "-c", COLD, uri], check=True, stderr=subprocess.DEVNULL
            ),
            5,
        ),
    )
    with mlflow.start_run() as run:
        info = mlflow.sklearn.log_model(model, name="model", pip_requirements=pinned)
    client.create_registered_model("bulk")
    for _ in range(versions):
        client.create_model_version("bulk", info.model_uri, run_id=run.info.run_id)
    report(
        f"list {versions:,} versions",
        timed(lambda: client.search_model_versions("name='bulk'", max_results=versions), 10),
    )
    numbers = iter(range(10_000))
    report(
        "move an alias",
        timed(
            lambda: client.set_registered_model_alias("bench", "champion", 1 + next(numbers) % 20),
            20,
        ),
    )


if __name__ == "__main__":
    main(int(sys.argv[1]))
