"""Registry benchmark: jupyter-mlops and MLflow on the same model and data, in one run.

    python benchmarks/registry_vs_mlflow.py [--versions 1000]

MLflow runs in its own virtual environment (benchmarks/.venv-mlflow, created on first use with
the same scikit-learn version as this one) so its dependencies never touch the project's.
Prints medians and the ratio MLflow / jupyter-mlops (above 1: jupyter-mlops is faster).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

HERE = Path(__file__).resolve().parent
MLFLOW_VENV = HERE / ".venv-mlflow"
MLFLOW_SPEC = "mlflow==3.17.*"
POSTGRES_DRIVER = "psycopg[binary]>=3.2"  # MLflow on PostgreSQL (registry_shared.py)
PAIRS = [
    ("register a version", "register a version (pip requirements inferred, the default)"),
    ("register a version", "register a version (pip requirements given)"),
    ("load by alias, warm process", "load by alias, warm process"),
    ("load by alias, cold process", "load by alias, cold process"),
    ("list {n} versions", "list {n} versions"),
    ("move an alias", "move an alias"),
]


def mlflow_python() -> Path:
    python = MLFLOW_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(MLFLOW_VENV)], check=True)
        install = [
            MLFLOW_SPEC,
            f"scikit-learn=={version('scikit-learn')}",
            "pandas",
            POSTGRES_DRIVER,
        ]
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", *install], check=True)
    elif subprocess.run([str(python), "-c", "import psycopg"], capture_output=True).returncode:
        # an environment made before the driver was on the list
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", POSTGRES_DRIVER], check=True
        )
    return python


def measure(python: Path | str, script: str, versions: int) -> dict[str, float]:
    result = subprocess.run(
        [str(python), str(HERE / script), str(versions)], capture_output=True, text=True
    )
    if result.returncode != 0:
        raise SystemExit(f"{script} failed:\n{result.stderr[-3000:]}")
    rows = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    return {row["name"]: row["median"] for row in rows}


def print_table(
    pairs: list[tuple[str, ...]], ours: dict[str, float], theirs: dict[str, float], count: str
) -> None:
    """Medians side by side; `{n}` in a row name stands for `count`."""
    headers = ["operation (median)", "jupyter-mlops", "MLflow", "MLflow / jupyter-mlops"]
    rows = []
    for pair in pairs:
        mine, other = (name.format(n=count) for name in (pair[0], pair[-1]))
        a, b = ours[mine], theirs[other]
        rows.append([other, f"{a * 1000:.1f} ms", f"{b * 1000:.1f} ms", f"{b / a:.1f}x"])
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(4)]
    for row in [headers, *rows]:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))


def compare(name: str, pairs: list[tuple[str, ...]], count: int) -> dict[str, float]:
    """Run `<name>_mlflow.py` and `<name>_ours.py`, print the table, save both; return ours."""
    theirs = measure(mlflow_python(), f"{name}_mlflow.py", count)
    ours = measure(sys.executable, f"{name}_ours.py", count)
    print_table(pairs, ours, theirs, f"{count:,}")
    output = HERE / "results" / f"{name}_vs_mlflow.json"
    output.parent.mkdir(exist_ok=True)
    output.write_text(json.dumps({"jupyter-mlops": ours, "mlflow": theirs}, indent=2))
    return ours


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--versions", type=int, default=1000)
    compare("registry", PAIRS, parser.parse_args().versions)


if __name__ == "__main__":
    main()
