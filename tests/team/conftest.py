"""The team of the README's roles (`people.py`), with a model its writers made."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from jupyter_mlops import Monitor, Registry
from tests.postgres import Cluster
from tests.team.people import Team, set_up


@pytest.fixture(scope="module")
def team(
    postgres: Cluster, tmp_path_factory: pytest.TempPathFactory, dataset, fitted
) -> Iterator[Team]:
    """The README's roles and schema (names of this module's own); then, while MLOPS_USER
    claims to be someone else, alice registers churn with held-out reference rows and logs
    predictions (two segments) and labels of it, and bob promotes it."""
    found = set_up(postgres, tmp_path_factory.mktemp("team") / "shared")
    X, y = dataset
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLOPS_USER", "mallory")
        alice = Registry(found.alice, data_path=found.data)  # the first to open it
        held = (X.iloc[300:], y.iloc[300:])
        alice.register("churn", fitted, X=X.iloc[:300], y=y.iloc[:300], reference=held)
        logged = Monitor(alice).log_predictions("churn:1", X.iloc[300:])
        Monitor(alice).log_labels("churn", logged, y.iloc[300:])
        Monitor(alice).log_predictions("churn:1", X.iloc[:100])  # a second segment to merge
        Registry(found.bob).promote("churn", 1, reason="first")
        yield found
