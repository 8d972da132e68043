"""One writer of the race (tests/team/test_race.py), run as its own process: for `seconds`
it registers, promotes, logs and compacts on a shared registry, and writes each acknowledged
change as a line of JSON, flushed before the next, so what it was told happened is known even
if the test stops it.

    python racer.py URL DATA_PATH NAME SECONDS OUT
"""

from __future__ import annotations

import contextlib
import json
import random
import sys
import time
import uuid

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

from jupyter_mlops import Monitor, Registry
from jupyter_mlops.errors import ConflictError, InvalidArgumentError
from jupyter_mlops.operations import monitoring as operations
from jupyter_mlops.registry.events import AliasEvent

MODEL = "race"


def main(url: str, data_path: str, name: str, seconds: float, out: str) -> None:
    rng = random.Random(name)
    registry = Registry(url, data_path=data_path)
    monitor = Monitor(registry)
    X = pd.DataFrame({"a": np.arange(20.0), "b": np.arange(20.0) % 3})
    y = (X["a"] > 9).astype(int)
    deadline = time.monotonic() + seconds
    with open(out, "a") as written:

        def acknowledged(**change: object) -> None:
            written.write(json.dumps(change) + "\n")
            written.flush()

        while time.monotonic() < deadline:
            known = MODEL in registry.model_names()
            numbers = [v.version for v in registry.versions(MODEL)] if known else []
            step = rng.random()
            if 0.05 <= step < 0.4 or not numbers:
                model = LogisticRegression(C=rng.uniform(0.1, 10)).fit(X, y)
                version = registry.register(MODEL, model, X=X, y=y, force=True)
                acknowledged(kind="version", version=version.version, by=name)
            elif step < 0.05 and numbers:  # compaction, refused while another holds the lease
                with contextlib.suppress(ConflictError, InvalidArgumentError):  # none logged yet
                    operations.compact(registry, model=MODEL)
            elif step < 0.7:
                target = rng.choice(numbers)
                reason = f"{name} {uuid.uuid4()}"
                moved = registry.promote(MODEL, target, "champion", reason=reason)
                if isinstance(moved, AliasEvent):  # a move to where it points records nothing
                    acknowledged(kind="move", reason=reason, to=target, by=name)
            else:
                ids = [f"{name}-{uuid.uuid4().hex}" for _ in range(5)]
                monitor.log_predictions(
                    f"{MODEL}:{rng.choice(numbers)}", X.head(5), request_ids=ids
                )
                acknowledged(kind="rows", ids=ids, by=name)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), sys.argv[5])
