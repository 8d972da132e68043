"""Registry benchmark, team mode: the registry file, the shared registry and MLflow on
PostgreSQL, on the same model and data, in one run, with 1 and with 4 concurrent processes.

    python benchmarks/registry_shared.py [--versions 1000] [--writers 4]

Three systems, each set up alike (registry_shared_ours.py, registry_shared_mlflow.py):

- file: the embedded registry file in a temporary directory;
- shared: a shared registry (`ducklake:postgres:...`) whose catalog is a database of a
  throwaway PostgreSQL server (throwaway_postgres.py), its data path a temporary directory;
- MLflow 3.17 with its SQL store in another database of the same server
  (`postgresql+psycopg://`) and its artifacts in a temporary directory, in its own virtual
  environment (registry_vs_mlflow.py:mlflow_python).

Each operation (register a version, load by alias in a warm process, list the versions of a
model, move an alias) is timed by 1 process, then by `--writers` processes at once, each a
warm process told to start at the same moment (common.serve); the systems take turns cell by
cell, so a change in the machine's load falls on all three. Prints, per cell, the median and
p95 of one call and the calls per second of all processes together, and the ratios of the
medians shared / file and shared / MLflow (below 1: the shared registry is faster).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common import READY
from registry_vs_mlflow import mlflow_python
from throwaway_postgres import server

HERE = Path(__file__).resolve().parent
# (operation, row name, calls a process times)
OPERATIONS = [
    ("register", "register a version", 10),
    ("load", "load by alias, warm process", 20),
    ("list", "list {n} versions", 10),
    ("move", "move an alias", 20),
]
SYSTEMS = ("file", "shared", "mlflow")


@dataclass
class System:
    name: str
    python: str
    script: Path
    config: dict[str, Any]


@dataclass
class Cell:
    seconds: list[float]
    wall: float  # from the first call's start to the last call's end, over all processes

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def p95(self) -> float:
        ordered = sorted(self.seconds)
        return ordered[max(0, -(-95 * len(ordered) // 100) - 1)]  # nearest rank

    @property
    def throughput(self) -> float:
        return len(self.seconds) / self.wall


class Worker:
    """One process of a system's script, its errors kept in a file (read when it fails)."""

    def __init__(self, system: System, command: str, **more: Any) -> None:
        self.system = system
        self.errors = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 (closed once it ends)
        self.process = subprocess.Popen(
            [system.python, str(system.script), command, json.dumps(system.config | more)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.errors,
            text=True,
            env=os.environ | {"OMP_NUM_THREADS": "1"},
        )

    def wait_ready(self) -> None:
        assert self.process.stdout is not None
        while line := self.process.stdout.readline():
            if line.strip() == READY:
                return
        raise self.failed()

    def go(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write("go\n")
        self.process.stdin.flush()

    def output(self) -> str:
        out, _ = self.process.communicate()
        if self.process.returncode != 0:
            raise self.failed()
        self.errors.close()
        return out

    def failed(self) -> SystemExit:
        self.process.kill()
        self.errors.seek(0)
        return SystemExit(
            f"{self.system.script.name} ({self.system.name}) failed:\n{self.errors.read()[-3000:]}"
        )


def set_up(system: System) -> None:
    started = time.monotonic()
    Worker(system, "setup").output()
    print(f"  {system.name}: set up in {time.monotonic() - started:.0f} s", flush=True)


def measure(system: System, operation: str, processes: int, repeat: int) -> Cell:
    """`processes` warm processes, started together, each timing `repeat` calls."""
    running = [
        Worker(system, "run", operation=operation, index=index, repeat=repeat)
        for index in range(processes)
    ]
    for worker in running:
        worker.wait_ready()
    for worker in running:  # everyone is ready: go
        worker.go()
    reports = [json.loads(worker.output().strip().splitlines()[-1]) for worker in running]
    seconds = [value for report in reports for value in report["seconds"]]
    wall = max(r["ended"] for r in reports) - min(r["started"] for r in reports)
    return Cell(seconds, wall)


def systems(root: Path, postgres: Any, versions: int, writers: int) -> dict[str, System]:
    postgres.create_database("registry")
    postgres.create_database("mlflow")
    common = {"versions": versions, "writers": writers}
    ours = HERE / "registry_shared_ours.py"
    found = [
        System("file", sys.executable, ours, common | {"location": str(root / "file")}),
        System(
            "shared",
            sys.executable,
            ours,
            common
            | {"location": postgres.ducklake_url("registry"), "data_path": str(root / "data")},
        ),
        System(
            "mlflow",
            str(mlflow_python()),
            HERE / "registry_shared_mlflow.py",
            common
            | {"uri": postgres.sqlalchemy_url("mlflow"), "artifacts": str(root / "artifacts")},
        ),
    ]
    return {system.name: system for system in found}


def run(versions: int, writers: int) -> dict[tuple[str, int, str], Cell]:
    root = Path(tempfile.mkdtemp(prefix="mlops-bench-shared-"))
    cells: dict[tuple[str, int, str], Cell] = {}
    try:
        with server() as postgres:
            found = systems(root, postgres, versions, writers)
            print("setting up (not timed)", flush=True)
            for system in found.values():
                set_up(system)
            for operation, _, repeat in OPERATIONS:
                for processes in (1, writers):
                    for name in SYSTEMS:
                        cell = measure(found[name], operation, processes, repeat)
                        cells[operation, processes, name] = cell
                        print(
                            f"  {operation} x{processes} {name}: median {cell.median * 1000:.1f} "
                            f"ms, p95 {cell.p95 * 1000:.1f} ms, {cell.throughput:.1f}/s",
                            flush=True,
                        )
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return cells


def table(cells: dict[tuple[str, int, str], Cell], versions: int, writers: int) -> str:
    """A Markdown table: per operation and number of processes, each system's median / p95
    and calls per second, and the ratios of the medians and of the calls per second."""
    headers = [
        "operation",
        "processes",
        "file: median / p95, calls/s",
        "shared",
        "MLflow on PostgreSQL",
        "shared / file (median; calls/s)",
        "shared / MLflow (median; calls/s)",
    ]
    lines = ["| " + " | ".join(headers) + " |", "|" + " --- |" * len(headers)]
    for operation, row, _ in OPERATIONS:
        for processes in (1, writers):
            file, shared, mlflow = (cells[operation, processes, name] for name in SYSTEMS)
            values = [
                row.format(n=f"{versions:,}"),
                str(processes),
                *(_shown(cell) for cell in (file, shared, mlflow)),
                _ratio(shared, file),
                _ratio(shared, mlflow),
            ]
            lines.append("| " + " | ".join(values) + " |")
    return "\n".join(lines)


def _shown(cell: Cell) -> str:
    return f"{cell.median * 1000:.1f} / {cell.p95 * 1000:.1f} ms, {cell.throughput:.1f}/s"


def _ratio(mine: Cell, other: Cell) -> str:
    return f"{mine.median / other.median:.2f}x; {mine.throughput / other.throughput:.2f}x"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--versions", type=int, default=1000)
    parser.add_argument("--writers", type=int, default=4)
    args = parser.parse_args()
    before = os.getloadavg()
    cells = run(args.versions, args.writers)
    after = os.getloadavg()
    print(table(cells, args.versions, args.writers))
    loads = " / ".join(f"{a:.1f}-{b:.1f}" for a, b in zip(before, after, strict=True))
    print(f"load average (1, 5, 15 min) at the start and at the end: {loads}")
    output = HERE / "results" / "registry_shared.json"
    output.parent.mkdir(exist_ok=True)
    output.write_text(
        json.dumps(
            {
                "load_average": {"start": before, "end": after},
                "cells": [
                    {"operation": op, "processes": n, "system": name}
                    | {"seconds": cell.seconds, "wall": cell.wall}
                    for (op, n, name), cell in cells.items()
                ],
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
