"""What both sides of a benchmark share: the data, the model and how timings are summarised.

Only NumPy and scikit-learn are imported here, so every benchmark environment can use it.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

ROWS = 10_000
FEATURES = 25


def training_data() -> tuple[Any, Any]:
    import pandas as pd
    from sklearn.datasets import make_classification

    X, y = make_classification(
        n_samples=ROWS, n_features=FEATURES, n_informative=10, random_state=0
    )
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(FEATURES)])
    return frame, pd.Series(y, name="target")


def fitted_model(X: Any, y: Any) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(max_iter=1000).fit(X, y)


def timed(function: Callable[[], Any], repeat: int) -> list[float]:
    """Wall-clock seconds of `repeat` calls."""
    seconds = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        seconds.append(time.perf_counter() - started)
    return seconds


def report(name: str, seconds: list[float]) -> None:
    """One JSON line per measurement, read by the orchestrating script."""
    print(
        json.dumps({"name": name, "median": statistics.median(seconds), "n": len(seconds)}),
        flush=True,
    )


READY = "READY"


def serve(operation: Callable[[int], Any], repeat: int) -> None:
    """One process of a concurrent measurement (registry_shared.py): call `operation(0)`
    once to warm the process up, say READY, wait for a line on stdin (every process of the
    measurement is told at once), then time `operation(1)` .. `operation(repeat)` and print
    one JSON line: the seconds of each call, and when the calls started and ended (monotonic
    clock, which all processes of the machine share)."""
    operation(0)
    print(READY, flush=True)
    sys.stdin.readline()
    seconds = []
    started = time.monotonic()
    for number in range(1, repeat + 1):
        begun = time.perf_counter()
        operation(number)
        seconds.append(time.perf_counter() - begun)
    ended = time.monotonic()
    print(json.dumps({"seconds": seconds, "started": started, "ended": ended}), flush=True)
