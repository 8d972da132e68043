"""jupyter-mlops side of registry_shared.py: a registry file or a shared registry.

    python registry_shared_ours.py setup '{"location": ..., "versions": N, "writers": W}'
    python registry_shared_ours.py run '{"location": ..., "operation": ..., "index": I, ...}'

(a shared registry's config also names its "data_path").

`setup` fills a new registry: 20 versions of `bench` (with their data, as a notebook
registers them), `bench@champion` at version 1, one alias a writer (`w0`, `w1`, ...) at
version 20, and N versions of `bulk`. `run` is one process of a measurement (common.serve).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import fitted_model, serve, training_data

from jupyter_mlops import Registry

BENCH_VERSIONS = 20


def open_registry(config: dict[str, Any]) -> Registry:
    return Registry(config["location"], data_path=config.get("data_path"))


def setup(config: dict[str, Any]) -> None:
    X, y = training_data()
    model = fitted_model(X, y)
    registry = open_registry(config)
    for _ in range(BENCH_VERSIONS):
        registry.register("bench", model, X=X, y=y, metrics={"auc": 0.9}, force=True)
    registry.promote("bench", 1, "champion")
    for writer in range(config["writers"]):
        registry.promote("bench", BENCH_VERSIONS, f"w{writer}")
    for _ in range(config["versions"]):
        registry.register("bulk", model, force=True)


def operation(config: dict[str, Any]) -> Callable[[int], Any]:
    """What one call of the measured operation does; its argument counts the calls."""
    registry = open_registry(config)
    name = config["operation"]
    if name == "load":
        return lambda _: registry.load("bench@champion")
    if name == "list":
        return lambda _: registry.versions("bulk")
    if name == "move":  # each writer its own alias, to a version it does not point at yet
        alias = f"w{config['index']}"
        return lambda number: registry.promote("bench", 1 + number % BENCH_VERSIONS, alias)
    X, y = training_data()
    model = fitted_model(X, y)
    return lambda _: registry.register("bench", model, X=X, y=y, metrics={"auc": 0.9}, force=True)


def main(command: str, config: dict[str, Any]) -> None:
    if command == "setup":
        setup(config)
    else:
        serve(operation(config), config["repeat"])


if __name__ == "__main__":
    main(sys.argv[1], json.loads(sys.argv[2]))
