"""Shadow scoring: what a challenger in shadow costs the champion's answers, in one run.

    python benchmarks/shadow_overhead.py [--seconds 8] [--rounds 3]

The model is common.py's LogisticRegression on 25 features (the serving benchmark's),
registered twice: version 1 the champion, version 2 the challenger (the same estimator,
so the shadow does as much work as the served version). Two deployments run side by side
on loopback, one process each: the champion alone, and the champion with the challenger
in shadow (`deploy(..., shadow="bench@challenger")`). One load client (load_client.py,
its own process) drives each in turn with one-row requests from 16 concurrent
connections, rounds interleaved; the table shows medians over rounds, and the ratio of
the shadowed server's p50, p99 and requests/s to the plain one's. Afterwards the shadowed
server's /health is read: how many rows the shadow scored, failed and dropped, and the
shadow log is read back.

The claim it checks: shadow scoring adds no more than 10% to the champion's p99 latency.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import urllib.request
from pathlib import Path

from serving_vs_mlflow import Server, free_port, load, write_bodies

HERE = Path(__file__).resolve().parent
CLIENTS = 16
LIMIT = 1.10  # the shadowed p99 over the plain p99


def start_both(workdir: Path) -> tuple[Server, Server, object]:
    sys.path.insert(0, str(HERE))
    from common import fitted_model, training_data

    from jupyter_mlops import Registry
    from jupyter_mlops.deploying import deploy

    registry = Registry(workdir / "registry")
    X, y = training_data()
    model = fitted_model(X, y)
    registry.register("bench", model, X=X, y=y)
    registry.register("bench", model, X=X, y=y, force=True)  # the same model, version 2
    registry.promote("bench", 1, "champion")
    registry.promote("bench", 2, "challenger")
    bodies = write_bodies(workdir, "records")
    plain = deploy(registry, "bench@champion", port=free_port())
    shadowed = deploy(registry, "bench@champion", port=free_port(), shadow="bench@challenger")
    return (
        Server("champion alone", f"{plain.url}/predict", bodies, token=plain.token or ""),
        Server("with shadow", f"{shadowed.url}/predict", bodies, token=shadowed.token or ""),
        registry,
    )


def shadow_health(server: Server) -> dict:
    url = server.url.rsplit("/", 1)[0] + "/health"
    with urllib.request.urlopen(url, timeout=10) as answer:
        return json.loads(answer.read())["shadow"]


def medians(server: Server) -> dict:
    runs = server.results[(1, CLIENTS)]
    return {key: statistics.median(run[key] for run in runs) for key in runs[0]}


def print_table(plain: dict, shadowed: dict) -> dict:
    ratio = {key: shadowed[key] / plain[key] for key in ("p50_ms", "p99_ms", "per_second")}
    lines = [["1 row x 16 clients", "req/s", "p50 ms", "p99 ms"]]
    for name, found in (("champion alone", plain), ("with shadow", shadowed)):
        lines.append(
            [
                name,
                f"{found['per_second']:.0f}",
                f"{found['p50_ms']:.1f}",
                f"{found['p99_ms']:.1f}",
            ]
        )
    lines.append(
        [
            "with / alone",
            f"{ratio['per_second']:.2f}x",
            f"{ratio['p50_ms']:.2f}x",
            f"{ratio['p99_ms']:.2f}x",
        ]
    )
    widths = [max(len(line[i]) for line in lines) for i in range(4)]
    for line in lines:
        print("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)))
    return ratio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    from jupyter_mlops.deploying import undeploy
    from jupyter_mlops.monitoring import logs

    workdir = Path(tempfile.mkdtemp(prefix="shadow-bench-"))
    plain, shadowed, registry = start_both(workdir)
    try:
        for server in (plain, shadowed):
            load(server, 1, 4, 2.0)  # first calls, connections
        for round_ in range(args.rounds):
            for server in (plain, shadowed) if round_ % 2 == 0 else (shadowed, plain):
                result = load(server, 1, CLIENTS, args.seconds)
                server.results.setdefault((1, CLIENTS), []).append(result)
                print(f"round {round_ + 1} {server.name}: {result}", flush=True)
        health = shadow_health(shadowed)
    finally:
        undeploy(registry, "bench@champion")  # type: ignore[arg-type]
    print()
    ratio = print_table(medians(plain), medians(shadowed))
    home = registry.home  # type: ignore[attr-defined]
    import duckdb

    pattern = logs.pattern(home, logs.SHADOWS, "bench")
    shadow_rows = int(
        duckdb.execute("SELECT count(*) FROM read_parquet(?)", [pattern]).fetchone()[0]
    )
    print(
        f"\nthe shadow scored {health['scored']:,} rows, failed {health['failed']:,}, dropped "
        f"{health['dropped']:,}; its log holds {shadow_rows:,} rows."
    )
    verdict = "holds" if ratio["p99_ms"] <= LIMIT else "does NOT hold"
    print(
        f"p99 with a shadow is {ratio['p99_ms']:.2f}x the champion's alone: "
        f"the 10% bound {verdict}."
    )
    output = HERE / "results" / "shadow_overhead.json"
    output.parent.mkdir(exist_ok=True)
    output.write_text(
        json.dumps(
            {
                "alone": medians(plain),
                "with_shadow": medians(shadowed),
                "ratio": ratio,
                "shadow": health,
                "shadow_log_rows": shadow_rows,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
