"""What the migrate tests share: a registry a team has used for a while, made once for the
package (a test that changes a registry copies it first), and how registries are compared."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from jupyter_mlops import Monitor, Registry, Tracker, operations
from jupyter_mlops.store import catalog
from jupyter_mlops.store.copying import OWN_TABLES

VERSIONS = 100
USER = "alice"


def features(count: int, *, seed: int) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(count, 3)), columns=["a", "b", "c"])
    return X, (X["a"] + rng.normal(scale=0.5, size=count) > 0).astype(int)


@pytest.fixture(scope="package")
def source(tmp_path_factory: pytest.TempPathFactory) -> Registry:
    """A registry file a team has used for a while, made once for the package: 100 versions
    of churn (2 registered; the other 98 written in one transaction by the function every
    registration writes with: registering 100 one by one takes 20 s), its champion moved
    several times, a run with metrics and an artifact, a check under an alert rule, and two
    days of logged predictions and labels; recorded as MLOPS_USER=alice."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLOPS_USER", USER)
        registry = Registry(tmp_path_factory.mktemp("source") / "registry")
        (X, y), (held, y_held) = features(120, seed=1), features(60, seed=2)
        for C in (1.0, 0.1):
            model = LogisticRegression(C=C).fit(X, y)
            registry.register("churn", model, X=X, y=y, reference=(held, y_held))
        with registry.db.write() as conn:
            second = catalog.get_version(conn, "churn", 2)
            assert second is not None
            for number in range(3, VERSIONS + 1):
                metrics = json.dumps({"auc": 0.8 + number / 1000})
                catalog.insert_version(conn, second | {"version": number, "metrics": metrics})
        for number in (1, 2, 3):
            registry.promote("churn", number, "champion", reason=f"try {number}")
        registry.rollback("churn", reason="3 was worse")
        registry.archive("churn", 50, reason="never used")
        with Tracker(registry).run("train") as run:
            for step in range(5):
                run.log_metric("loss", 1 / (step + 1), step=step)
            run.log_artifact("notes", "trained on 120 rows")
        operations.add_alert(registry, ref="churn@champion", expression="drift.share > 0.5")
        check = operations.check(registry, ref="churn@champion", current=held)
        registry.promote("churn", 1, "challenger", evidence={"check": check.check_id})
        times = pd.Series(pd.date_range("2026-11-20 12:00", periods=len(held), freq="30min"))
        logged = Monitor(registry).log_predictions("churn@champion", held, timestamps=times)
        Monitor(registry).log_labels("churn", logged, y_held)
    return registry


def tables(registry: Registry) -> dict[str, pd.DataFrame]:
    """Every table's rows, in one order (but those each registry keeps of its own)."""
    with registry.db.read() as conn:
        names = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_catalog = "
            "current_database() AND table_schema = current_schema() ORDER BY table_name"
        ).fetchall()
        return {
            name: conn.execute(f"SELECT * FROM {name} ORDER BY ALL").df()
            for (name,) in names
            if name not in OWN_TABLES
        }


def assert_same_tables(one: Registry, other: Registry) -> None:
    mine, theirs = tables(one), tables(other)
    assert list(mine) == list(theirs)
    for name, rows in mine.items():
        pd.testing.assert_frame_equal(rows, theirs[name], obj=name)
