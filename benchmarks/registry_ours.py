"""jupyter-mlops side of registry_vs_mlflow.py: prints one JSON line per measurement."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import fitted_model, report, timed, training_data

from jupyter_mlops import Registry

COLD = (
    "from jupyter_mlops import Registry; import sys; Registry(sys.argv[1]).load('bench@champion')"
)


def main(versions: int) -> None:
    X, y = training_data()
    model = fitted_model(X, y)
    home = Path(tempfile.mkdtemp()) / "registry"
    registry = Registry(home)
    report(
        "register a version",
        timed(
            lambda: registry.register("bench", model, X=X, y=y, metrics={"auc": 0.9}, force=True),
            20,
        ),
    )
    report(
        "register an identical version again (found, nothing stored)",
        timed(lambda: registry.register("bench", model, X=X, y=y, metrics={"auc": 0.9}), 20),
    )
    registry.promote("bench", 1, "champion")
    report("load by alias, warm process", timed(lambda: registry.load("bench@champion"), 20))
    report(
        "load by alias, cold process",
        timed(lambda: subprocess.run([sys.executable, "-c", COLD, str(home)], check=True), 5),
    )
    for _ in range(versions):
        registry.register("bulk", model, force=True)
    report(f"list {versions:,} versions", timed(lambda: registry.versions("bulk"), 10))
    numbers = iter(range(10_000))
    report(
        "move an alias",
        timed(lambda: registry.promote("bench", 1 + next(numbers) % 20, "champion"), 20),
    )


if __name__ == "__main__":
    main(int(sys.argv[1]))
