"""Tracking benchmark: jupyter-mlops and MLflow logging the same runs, in one run.

    python benchmarks/tracking_vs_mlflow.py [--runs 1000]

MLflow runs in its own virtual environment (see registry_vs_mlflow.py). Prints medians and
the ratio MLflow / jupyter-mlops (above 1: jupyter-mlops is faster).
"""

from __future__ import annotations

import argparse

from registry_vs_mlflow import compare

PAIRS = [
    ("a run with 10 params and 20 metrics, batched",) * 2,
    ("a run with 10 params and 20 metrics, 30 single calls",) * 2,
    ("10,000 points, one call each",) * 2,
    ("10,000 points, one call each", "10,000 points, log_batch"),
    ("search {n} runs by a metric",) * 2,
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    ours = compare("tracking", PAIRS, parser.parse_args().runs)
    loop = ours["100,000 points, the loop alone"]
    print(f"jupyter-mlops: 100,000 log_metric calls cost the loop {loop * 1000:.0f} ms (median)")


if __name__ == "__main__":
    main()
