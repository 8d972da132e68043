"""One drift detection, timed and measured, by one tool, in its own process and environment.

    python drift_runner.py ours|evidently|nannyml REFERENCE.parquet CURRENT.parquet REPEAT

Loads both Parquet files with pandas (not timed), then runs the tool's detection REPEAT
times. Prints one JSON line: the wall-clock seconds of each run, the process's peak
resident memory during detection (the high-water mark is reset after loading), the
resident memory before it, the DataFrames' own size, and the features flagged.
Only pandas and the tool are imported, so every benchmark environment can run it.
"""

from __future__ import annotations

import gc
import json
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd

SHIFTED = ["n0", "n1", "n2", "n3", "n4", "c0"]


def _status(field: str) -> float:
    """A /proc/self/status memory field in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise KeyError(field)


def _reset_peak() -> None:
    Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS


def ours(reference: pd.DataFrame, current: pd.DataFrame) -> Any:
    """jupyter-mlops: register a model with the reference (not timed), then detect."""
    import tempfile

    from sklearn.compose import make_column_transformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    from jupyter_mlops import Monitor, Registry
    from jupyter_mlops.monitoring import synthetic

    numeric = [c for c in reference.columns if c.startswith("n")]
    categorical = [c for c in reference.columns if c.startswith("c")]
    model = make_pipeline(
        make_column_transformer(
            (StandardScaler(), numeric), (OneHotEncoder(handle_unknown="ignore"), categorical)
        ),
        LogisticRegression(max_iter=500),
    )
    y = synthetic.target(reference)
    registry = Registry(tempfile.mkdtemp(prefix="drift-bench-"))
    registry.register("bench", model.fit(reference, y), X=reference, y=y)
    monitor = Monitor(registry)
    monitor.drift("bench:1", current=current.iloc[:1000], save=False)  # imports, warmed

    def detect() -> list[str]:
        report = monitor.drift(
            "bench:1", current=current, multivariate=False, predictions=False, save=False
        )
        return report.drifted

    return detect


def evidently(reference: pd.DataFrame, current: pd.DataFrame) -> Any:
    from evidently import Report
    from evidently.presets import DataDriftPreset

    def detect() -> list[str]:
        snapshot = Report([DataDriftPreset()]).run(current, reference)
        flagged = []
        for metric in snapshot.dict()["metrics"]:
            config = metric.get("config", {})
            if config.get("type") != "evidently:metric_v2:ValueDrift":
                continue
            p_value = "p_value" in config["method"]
            value, threshold = metric["value"], config["threshold"]
            if (value < threshold) if p_value else (value >= threshold):
                flagged.append(config["column"])
        return flagged

    return detect


def nannyml(reference: pd.DataFrame, current: pd.DataFrame) -> Any:
    import nannyml as nml

    columns = list(reference.columns)
    # fitted on the reference once, outside the timing, as jupyter-mlops profiles it at
    # registration
    calculator = nml.UnivariateDriftCalculator(column_names=columns)
    calculator.fit(reference)

    def detect() -> list[str]:
        result = calculator.calculate(current).filter(period="analysis").to_df()
        return [name for name in columns if bool(result[(name, "jensen_shannon", "alert")].any())]

    return detect


def main() -> None:
    tool, reference_path, current_path, repeat = sys.argv[1:5]
    reference = pd.read_parquet(reference_path)
    current = pd.read_parquet(current_path)
    for frame in (reference, current):
        for name in frame.columns:
            if name.startswith("c"):
                frame[name] = frame[name].astype("category")
    data_mb = (
        reference.memory_usage(deep=True).sum() + current.memory_usage(deep=True).sum()
    ) / 2**20
    detect = {"ours": ours, "evidently": evidently, "nannyml": nannyml}[tool](reference, current)
    gc.collect()
    before = _status("VmRSS")
    _reset_peak()
    seconds, flagged = [], []
    for _ in range(int(repeat)):
        started = time.perf_counter()
        flagged = detect()
        seconds.append(time.perf_counter() - started)
    print(
        json.dumps(
            {
                "tool": tool,
                "rows": len(current),
                "seconds": seconds,
                "peak_mb": _status("VmHWM"),
                "before_mb": before,
                "data_mb": data_mb,
                "flagged": sorted(flagged),
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
