"""Kill registry writers at random points, many times, and count what was lost or corrupted.

    python benchmarks/registry_crash.py [--kills 1000] [--max-delay 0.3] [--keep DIR]

Each trial starts a writer process (forked from a server that has already imported
scikit-learn and jupyter-mlops, so a trial costs milliseconds, not an import) that registers
versions, moves aliases and tracks runs in a loop, and SIGKILLs it after a random delay. After
every kill the registry is checked the way a user would find it:

- the file opens and every table reads whole (a damaged block fails its checksum here);
- versions are numbered without a gap, every registration that returned is there, and every
  artifact matches its sha256 (`Registry.verify`);
- every alias move that returned is in the audit trail.

A corrupted registry is copied aside (under --keep) and the trials go on with a fresh one.
Prints one JSON line: kills, corruptions, lost acknowledged writes, and the seconds it took.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

PRELOAD = ["sklearn.linear_model", "sklearn.datasets", "skops.io", "pandas", "jupyter_mlops"]


def writer(home: str, acks: str, seed: int, ready: Any) -> None:
    """Register, promote, roll back and track in a loop; note each write that returned."""
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    import jupyter_mlops as mlops
    from jupyter_mlops import Registry
    from jupyter_mlops.errors import MlopsError
    from jupyter_mlops.registry.events import AliasEvent

    rng = random.Random(seed)
    X, y = load_iris(return_X_y=True, as_frame=True)
    model = LogisticRegression(max_iter=200).fit(X, y)
    registry = Registry(home)
    ready.set()
    with open(acks, "a", buffering=1) as noted:
        while True:
            action = rng.choice(["register", "register", "promote", "rollback", "track"])
            try:
                if action == "register":
                    version = registry.register(
                        "victim", model, X=X, y=y, metrics={"i": seed}, force=True
                    )
                    noted.write(f"register {version.version}\n")
                elif action in ("promote", "rollback"):
                    latest = registry.get("victim")
                    event = (
                        registry.promote("victim", latest.version, "champion", reason="t")
                        if action == "promote"
                        else registry.rollback("victim", "champion", reason="t")
                    )
                    if isinstance(event, AliasEvent):  # a move to where it points records none
                        noted.write(f"event {event.id}\n")
                else:
                    with mlops.run("crash", registry=registry) as run:
                        for step in range(20):
                            run.log_metric("loss", 1.0 / (step + 1))
                    noted.write(f"run {run.id}\n")
            except MlopsError:
                continue  # nothing to roll back yet, no model yet: a refusal, not a crash


def damage(home: Path) -> str | None:
    """Why the registry file cannot be read whole, or None when every table reads."""
    import duckdb

    path = home / "registry.duckdb"
    if not path.exists():
        return None
    try:
        with duckdb.connect(str(path), read_only=True) as conn:
            tables = [
                row[0] for row in conn.execute("SELECT table_name FROM duckdb_tables()").fetchall()
            ]
            for table in tables:
                conn.execute(f'SELECT * FROM "{table}"').fetchall()
    except duckdb.Error as exc:
        return str(exc).splitlines()[0]
    return None


def lost(home: Path, acks: Path) -> list[str]:
    """Acknowledged writes the registry no longer has, and broken promises about versions."""
    from jupyter_mlops import Registry
    from jupyter_mlops.errors import ModelNotFoundError
    from jupyter_mlops.tracking import Tracker

    noted = [line.split() for line in acks.read_text().splitlines() if line.strip()]
    registry = Registry(home)
    try:
        numbers = [v.version for v in registry.versions("victim")]
        events = {e.id for e in registry.history("victim")}
    except ModelNotFoundError:
        numbers, events = [], set()
    problems = []
    if numbers != list(range(1, len(numbers) + 1)):
        problems.append(f"versions with a gap: {numbers}")
    runs = (
        {run.id for run in Tracker(registry).runs("crash")}
        if any(kind == "run" for kind, _ in noted)
        else set()
    )
    for kind, value in noted:
        missing = (
            (kind == "register" and int(value) not in numbers)
            or (kind == "event" and int(value) not in events)
            or (kind == "run" and int(value) not in runs)
        )
        if missing:
            problems.append(f"acknowledged {kind} {value} is gone")
    report = registry.verify()
    problems += report.problems
    return problems


def trial(context: Any, home: Path, acks: Path, rng: random.Random, max_delay: float) -> None:
    ready = context.Event()
    process = context.Process(
        target=writer, args=(str(home), str(acks), rng.randrange(2**31), ready)
    )
    process.start()
    if not ready.wait(60):
        process.kill()
        raise SystemExit("a writer did not start within 60 s")
    time.sleep(rng.uniform(0.0, max_delay))
    process.kill()
    process.join()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kills", type=int, default=1000)
    parser.add_argument("--max-delay", type=float, default=0.3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, default=Path("benchmarks/results/crash"))
    args = parser.parse_args()
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="mlops-crash-"))
    generation, corruptions, losses = 0, [], []
    home, acks = work / "registry-0", work / "acks-0"
    started = time.perf_counter()
    for kill in range(1, args.kills + 1):
        trial(context, home, acks, rng, args.max_delay)
        reason = damage(home)
        problems = [] if reason else lost(home, acks)
        if reason or problems:
            kept = args.keep / f"{generation}-kill{kill}"
            shutil.copytree(home, kept, dirs_exist_ok=True)
            (corruptions if reason else losses).append(
                {"kill": kill, "reason": reason, "problems": problems[:3], "kept": str(kept)}
            )
            print(json.dumps(corruptions[-1] if reason else losses[-1]), file=sys.stderr)
            generation += 1
            home, acks = work / f"registry-{generation}", work / f"acks-{generation}"
        if kill % 100 == 0:
            print(f"{kill} kills, {len(corruptions)} corrupt, {len(losses)} lost", file=sys.stderr)
    shutil.rmtree(work, ignore_errors=True)
    print(
        json.dumps(
            {
                "kills": args.kills,
                "corruptions": len(corruptions),
                "registries_with_lost_writes": len(losses),
                "seconds": round(time.perf_counter() - started, 1),
                "details": corruptions + losses,
            }
        )
    )


if __name__ == "__main__":
    main()
