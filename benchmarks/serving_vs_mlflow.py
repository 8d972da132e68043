"""Serving: `mlflow models serve` and jupyter-mlops's server on the same model, in one run.

    python benchmarks/serving_vs_mlflow.py [--seconds 8] [--rounds 3]

The model is common.py's LogisticRegression on 25 features, registered on both sides. Four
servers run side by side on loopback, each one worker process:

- MLflow 3.17 as `pip install mlflow` gives it (uvicorn on asyncio and h11), the model logged
  without an input example: no signature, requests reach the model unchecked;
- the same with the model logged with an input example: MLflow checks each request against
  the signature, as jupyter-mlops always does;
- MLflow without a signature on uvloop and httptools, the HTTP stack jupyter-mlops installs,
  so the table also shows what is left once the HTTP layer is the same;
- jupyter-mlops (`deploy`), checking every request and logging every prediction to Parquet.

One load client (load_client.py: keep-alive HTTP/1.1, a closed loop per connection, its own
process) drives each with 1-row and 100-row requests from 1 and 16 concurrent connections.
Cells are interleaved across servers and repeated `--rounds` times; the table shows medians
over rounds and our throughput over each MLflow's. Afterwards the prediction log is read
back: every answered row must be in it.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from registry_vs_mlflow import MLFLOW_VENV, mlflow_python

HERE = Path(__file__).resolve().parent
CELLS = [(1, 1), (1, 16), (100, 1), (100, 16)]  # (rows a request, concurrent clients)
FAST_HTTP = ["uvloop", "httptools"]


@dataclass
class Server:
    name: str
    url: str  # where predictions are posted
    bodies: dict[int, Path]  # rows a request -> body file
    token: str = ""
    process: subprocess.Popen[bytes] | None = None
    results: dict[tuple[int, int], list[dict]] = field(default_factory=dict)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(url: str, process: subprocess.Popen[bytes] | None, log: Path) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise SystemExit(f"{url} exited:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"{url} did not come up in 3 minutes; see {log}")


def write_bodies(workdir: Path, key: str) -> dict[int, Path]:
    sys.path.insert(0, str(HERE))
    from common import training_data

    X, _ = training_data()
    bodies = {}
    for rows in sorted({rows for rows, _ in CELLS}):
        path = workdir / f"{key}-{rows}.json"
        path.write_text(json.dumps({key: X.iloc[:rows].to_dict("records")}))
        bodies[rows] = path
    return bodies


def start_mlflow(workdir: Path, *, signature: bool, fast_http: bool) -> Server:
    python = mlflow_python()
    if fast_http:
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", *FAST_HTTP], check=True)
    store = workdir / "mlflow"
    store.mkdir(parents=True, exist_ok=True)
    command = [str(python), str(HERE / "serving_mlflow.py"), str(store)]
    uri = subprocess.run(
        command + (["--signature"] if signature else []),
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()[-1]
    port = free_port()
    stack = {"UVICORN_LOOP": "uvloop", "UVICORN_HTTP": "httptools"} if fast_http else {}
    env = {
        **os.environ,
        "MLFLOW_TRACKING_URI": f"sqlite:///{store / 'mlflow.db'}",
        "PATH": f"{MLFLOW_VENV / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",  # its uvicorn
        "UVICORN_LOOP": "asyncio",
        "UVICORN_HTTP": "h11",
        **stack,
    }
    log = workdir / f"mlflow-{port}.log"
    command = [str(MLFLOW_VENV / "bin" / "mlflow"), "models", "serve", "-m", uri]
    command += ["--env-manager", "local", "-h", "127.0.0.1", "-p", str(port), "-w", "1"]
    with open(log, "wb") as output:
        process = subprocess.Popen(
            command,
            stdout=output,
            stderr=output,
            env=env,
            cwd=store,
            start_new_session=True,
        )
    wait_until_up(f"http://127.0.0.1:{port}/ping", process, log)
    name = (
        "MLflow"
        + (", signature" if signature else "")
        + (", uvloop+httptools" if fast_http else "")
    )
    bodies = write_bodies(workdir, "dataframe_records")
    return Server(name, f"http://127.0.0.1:{port}/invocations", bodies, process=process)


def start_ours(workdir: Path) -> tuple[Server, object]:
    sys.path.insert(0, str(HERE))
    from common import fitted_model, training_data

    from jupyter_mlops import Registry
    from jupyter_mlops.deploying import deploy

    registry = Registry(workdir / "registry")
    X, y = training_data()
    registry.register("bench", fitted_model(X, y), X=X, y=y)
    registry.promote("bench", 1, "champion")
    deployment = deploy(registry, "bench@champion", port=free_port())
    bodies = write_bodies(workdir, "records")
    server = Server("jupyter-mlops", f"{deployment.url}/predict", bodies, token=deployment.token)
    return server, registry


def load(server: Server, rows: int, clients: int, seconds: float) -> dict:
    command = [sys.executable, str(HERE / "load_client.py"), server.url, str(server.bodies[rows])]
    command += ["--clients", str(clients), "--seconds", str(seconds), "--token", server.token]
    result = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(result.stdout.splitlines()[-1])


def same_answers(servers: list[Server]) -> None:
    """Every server gives the same predictions for the same rows (a check, not a timing)."""
    answers = []
    for server in servers:
        request = urllib.request.Request(
            server.url,
            data=server.bodies[100].read_bytes(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {server.token}"},
        )
        with urllib.request.urlopen(request, timeout=30) as answer:
            answers.append(json.loads(answer.read())["predictions"])
    if any(answer != answers[0] for answer in answers):
        raise SystemExit("the servers disagree on the same rows; the comparison is void.")


def stop(server: Server) -> None:
    if server.process is not None:
        os.killpg(server.process.pid, signal.SIGTERM)
        server.process.wait(timeout=60)


def logged_rows(registry: object) -> int:
    import duckdb

    from jupyter_mlops.monitoring import logs

    pattern = logs.pattern(registry.home, logs.PREDICTIONS, "bench")  # type: ignore[attr-defined]
    return int(duckdb.execute("SELECT count(*) FROM read_parquet(?)", [pattern]).fetchone()[0])


def print_table(servers: list[Server]) -> dict:
    ours = servers[-1]
    table: dict = {}
    header = ["rows x clients", "server", "req/s", "p50 ms", "p99 ms", "ours / this (req/s)"]
    lines = [header]
    for cell in CELLS:
        for server in servers:
            runs = server.results[cell]
            median = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
            table.setdefault(f"{cell[0]}x{cell[1]}", {})[server.name] = median
            mine = statistics.median(r["per_second"] for r in ours.results[cell])
            ratio = "" if server is ours else f"{mine / median['per_second']:.1f}x"
            lines.append(
                [
                    f"{cell[0]} x {cell[1]}",
                    server.name,
                    f"{median['per_second']:.0f}",
                    f"{median['p50_ms']:.1f}",
                    f"{median['p99_ms']:.1f}",
                    ratio,
                ]
            )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    for line in lines:
        print("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)))
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    from jupyter_mlops.deploying import undeploy

    workdir = Path(tempfile.mkdtemp(prefix="serving-bench-"))
    servers = [
        start_mlflow(workdir / "plain", signature=False, fast_http=False),
        start_mlflow(workdir / "signature", signature=True, fast_http=False),
        start_mlflow(workdir / "fast", signature=False, fast_http=True),
    ]
    ours, registry = start_ours(workdir)
    servers.append(ours)
    try:
        same_answers(servers)
        warm = [load(server, 1, 4, 2.0) for server in servers]  # first calls, connections
        for round_ in range(args.rounds):
            for rows, clients in CELLS:
                for server in servers:
                    result = load(server, rows, clients, args.seconds)
                    server.results.setdefault((rows, clients), []).append(result)
                    print(
                        f"round {round_ + 1} {rows}x{clients} {server.name}: {result}", flush=True
                    )
    finally:
        for server in servers[:-1]:
            stop(server)
        undeploy(registry, "bench@champion")  # type: ignore[arg-type]
    answered = 100 + warm[-1]["requests"]  # the agreement check's 100 rows, the warm-up's
    answered += sum(
        rows * run["requests"] for (rows, _), runs in ours.results.items() for run in runs
    )
    print()
    table = print_table(servers)
    logged = logged_rows(registry)
    print(f"\njupyter-mlops answered {answered:,} rows and its prediction log holds {logged:,}.")
    output = HERE / "results" / "serving_vs_mlflow.json"
    output.parent.mkdir(exist_ok=True)
    output.write_text(
        json.dumps({"cells": table, "answered_rows": answered, "logged_rows": logged}, indent=2)
    )


if __name__ == "__main__":
    main()
