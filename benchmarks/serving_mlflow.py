"""MLflow side of serving_vs_mlflow.py: log and register the model (run in MLflow's venv).

python serving_mlflow.py WORKDIR    prints the model's URI; the store is WORKDIR/mlflow.db
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import fitted_model, training_data


def main(workdir: Path, *, signature: bool) -> None:
    import mlflow
    import mlflow.sklearn
    import sklearn

    os.chdir(workdir)
    mlflow.set_tracking_uri(f"sqlite:///{workdir / 'mlflow.db'}")
    X, y = training_data()
    with mlflow.start_run():
        mlflow.sklearn.log_model(
            fitted_model(X, y),
            name="model",
            registered_model_name="bench",
            input_example=X.iloc[:5] if signature else None,
            pip_requirements=[f"scikit-learn=={sklearn.__version__}"],
        )
    print("models:/bench/1", flush=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]), signature="--signature" in sys.argv[2:])
