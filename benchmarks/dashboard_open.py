"""Opening the fleet overview: `operations.fleet` on a registry of 100 models.

    python benchmarks/dashboard_open.py [--models 100] [--versions 3] [--checks 3]

Builds a registry as a user would (each model registered `--versions` times and promoted,
its drift and performance checks stored, a few alert rules evaluated by real checks),
then times `operations.fleet` (every model with its aliases, deployments, newest check
and health): the median of several runs. The target is under 0.5 s for 100 models.

When MLflow is importable here, the closest MLflow call is timed beside it on an
equivalent file store, `MlflowClient().search_registered_models()` (every registered model
with its latest versions and aliases, no health), and the ratio printed (above 1:
jupyter-mlops is faster). MLflow is not a dependency of this project; without it, only
our side runs.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import timed

RULE = "drift.share > 0.1"


def build(home: Path, *, models: int, versions: int, checks: int) -> None:
    """The registry: every model registered and checked; every tenth one with a rule."""
    from sklearn.linear_model import LogisticRegression

    from jupyter_mlops import operations as ops
    from jupyter_mlops.monitoring import recording, synthetic
    from jupyter_mlops.operations.registering import registration
    from jupyter_mlops.registry import Registry

    registry = Registry(home)
    X = synthetic.features(600, seed=1)[synthetic.NUMERIC[:6]]
    y = synthetic.target(synthetic.features(600, seed=1))
    model = LogisticRegression(max_iter=300).fit(X, y)
    held_all = synthetic.features(400, seed=2)
    held = (held_all[synthetic.NUMERIC[:6]], synthetic.target(held_all))
    shifted_all = synthetic.features(400, seed=3, shifted=True)
    shifted = shifted_all[synthetic.NUMERIC[:6]]
    labelled = shifted.assign(label=synthetic.target(shifted_all))
    given = registration(model, data=[X, y], reference=held, metrics={"auc": 0.9})
    for number in range(models):
        name = f"model-{number:03d}"
        for _ in range(versions):
            ops.register(registry, name=name, given=given, force=True)
        ops.promote(registry, model=name, version=versions)
        if number == 0:  # measured once, stored for every model as its checks
            drift = ops.drift(registry, ref=f"{name}:{versions}", current=shifted, save=False)
            performance = ops.performance(
                registry, ref=f"{name}:{versions}", current=labelled, label_column="label"
            )
        version = registry.get(f"{name}:{versions}")
        for _ in range(checks - 1):
            recording.save_drift(registry, version, drift, datetime.now(UTC))  # type: ignore[arg-type]
        recording.save_metrics(registry, version, performance, "performance")
        if number % 10 == 0:
            ops.add_alert(registry, ref=f"{name}@champion", expression=RULE)
            ops.check(registry, ref=f"{name}@champion", current=shifted, multivariate=False)


def ours(home: Path, repeat: int) -> float:
    from jupyter_mlops import operations
    from jupyter_mlops.registry import Registry

    registry = Registry(home)
    fleet = operations.fleet(registry)  # warm: imports, the engine
    print(fleet.headline())
    return statistics.median(timed(lambda: operations.fleet(registry), repeat))


def mlflow_side(root: Path, *, models: int, versions: int, repeat: int) -> float | None:
    """The same catalog in an MLflow file store, and search_registered_models timed."""
    try:
        from mlflow.tracking import MlflowClient
    except ImportError:
        print("MLflow is not installed here: only jupyter-mlops was timed")
        return None
    uri = (root / "mlruns").as_uri()
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    for number in range(models):
        name = f"model-{number:03d}"
        client.create_registered_model(name)
        for _ in range(versions):
            client.create_model_version(name, source=(root / "artifact").as_uri())
        client.set_registered_model_alias(name, "champion", str(versions))

    def search() -> None:
        found = client.search_registered_models(max_results=1000)
        assert len(found) == models

    search()
    return statistics.median(timed(search, repeat))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", type=int, default=100)
    parser.add_argument("--versions", type=int, default=3)
    parser.add_argument("--checks", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        build(root / "registry", models=args.models, versions=args.versions, checks=args.checks)
        seconds = ours(root / "registry", args.repeat)
        print(f"operations.fleet, {args.models} models: median {seconds * 1000:.1f} ms")
        theirs = mlflow_side(root, models=args.models, versions=args.versions, repeat=args.repeat)
        if theirs is not None:
            print(f"MlflowClient().search_registered_models(): median {theirs * 1000:.1f} ms")
            print(f"ratio MLflow / jupyter-mlops: {theirs / seconds:.2f}")


if __name__ == "__main__":
    main()
