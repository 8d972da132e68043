"""Drift detection: jupyter-mlops, Evidently and NannyML on the same data, in one run.

    python benchmarks/drift_vs_evidently_nannyml.py [--sizes 100000 1000000 5000000]

Reference: 100,000 rows; current: each size. 20 numeric and 5 categorical features,
of which 5 numeric and 1 categorical are shifted (jupyter_mlops.monitoring.synthetic).
Each tool runs in its own process and virtual environment (Evidently 0.7 needs pandas < 3;
benchmarks/.venv-evidently and .venv-nannyml are created on first use), reading the same
Parquet files. Detection only, each tool with its defaults: Evidently's DataDriftPreset,
NannyML's UnivariateDriftCalculator (Jensen-Shannon, thresholds from reference chunks),
jupyter-mlops's `Monitor.drift` without the multivariate check and prediction drift.
Prints medians, ratios, peak memory against the data's size, and the features flagged.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "results" / "drift-data"
SHIFTED = {"n0", "n1", "n2", "n3", "n4", "c0"}
PEERS = {
    "evidently": (HERE / ".venv-evidently", ["evidently==0.7.*", "pandas<3", "pyarrow"]),
    "nannyml": (HERE / ".venv-nannyml", ["nannyml==0.13.*", "statsmodels", "pyarrow"]),
}


def python_of(tool: str) -> str:
    if tool == "ours":
        return sys.executable
    venv, packages = PEERS[tool]
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", *packages], check=True)
    return str(python)


def write_data(sizes: list[int]) -> dict[int, Path]:
    from jupyter_mlops.monitoring import synthetic

    DATA.mkdir(parents=True, exist_ok=True)
    reference = DATA / "reference-100000.parquet"
    if not reference.exists():
        synthetic.features(100_000, seed=1).to_parquet(reference)
    paths = {}
    for size in sizes:
        path = DATA / f"current-{size}.parquet"
        if not path.exists():
            synthetic.features(size, shifted=True, seed=2).to_parquet(path)
        paths[size] = path
    return paths


def measure(tool: str, current: Path, repeat: int) -> dict:
    reference = DATA / "reference-100000.parquet"
    result = subprocess.run(
        [
            python_of(tool),
            str(HERE / "drift_runner.py"),
            tool,
            str(reference),
            str(current),
            str(repeat),
        ],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise SystemExit(f"{tool} failed:\n{result.stderr[-3000:]}")
    line = [row for row in result.stdout.splitlines() if row.startswith("{")][-1]
    return json.loads(line)


def repeats(tool: str, size: int) -> int:
    if tool == "evidently":
        return 3 if size <= 100_000 else 1  # 30 s at 1M rows, 4-5 minutes at 5M
    return 5 if tool == "ours" else 3


def verdict(flagged: list[str]) -> str:
    found = set(flagged)
    return f"{len(found & SHIFTED)}/6 shifted, {len(found - SHIFTED)}/19 false"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", type=int, default=[100_000, 1_000_000, 5_000_000])
    parser.add_argument(
        "--tools", nargs="+", default=["nannyml", "evidently"], help="peers beside jupyter-mlops"
    )
    args = parser.parse_args()
    paths = write_data(args.sizes)
    rows, results = [], []
    for size in args.sizes:
        tools = ["ours", *(tool for tool in args.tools if tool != "ours")]
        found = {tool: measure(tool, paths[size], repeats(tool, size)) for tool in tools}
        ours = sorted(found["ours"]["seconds"])[len(found["ours"]["seconds"]) // 2]
        for tool, measured in found.items():
            seconds = sorted(measured["seconds"])[len(measured["seconds"]) // 2]
            extra = measured["peak_mb"] - measured["before_mb"]
            peak = measured["peak_mb"]
            rows.append(
                [
                    f"{size:,}",
                    tool,
                    f"{seconds:.3f} s",
                    f"{seconds / ours:.1f}x" if tool != "ours" else "1.0x",
                    f"{peak:,.0f} MB ({peak / measured['data_mb']:.2f}x data)",
                    f"{extra:,.0f} MB",
                    verdict(measured["flagged"]),
                ]
            )
            results.append(measured)
    headers = ["current rows", "tool", "median", "time / ours", "peak memory", "added", "flagged"]
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
    for row in [headers, *rows]:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))
    out = HERE / "results" / "drift_vs_evidently_nannyml.json"
    out.write_text(json.dumps(results, indent=2))
    print(f"\nsaved {out}")


if __name__ == "__main__":
    main()
