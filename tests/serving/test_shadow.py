"""A challenger in shadow: every answer scored again, off the answer path, and logged under
the same request ids; whatever the shadow does, the answers stay right."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from IPython.core.interactiveshell import InteractiveShell
from sklearn.linear_model import LogisticRegression

from jupyter_mlops import Registry, operations
from jupyter_mlops.errors import InvalidArgumentError, NotFoundError
from jupyter_mlops.monitoring import logs
from jupyter_mlops.serving.app import ModelServer, token_hash
from tests.conftest import free_port, logged_ids, wait_for
from tests.serving.shadow_models import Gated, Refuser
from tests.serving.test_app import TOKEN, Running, call, records, serving

TRUST = "tests.serving.shadow_models."


@pytest.fixture
def registry(tmp_path: Path, dataset, fitted) -> Registry:
    """diagnosis: version 1 the champion, version 2 (regularised harder) the challenger."""
    X, y = dataset
    found = Registry(tmp_path / "registry")
    found.register("diagnosis", fitted, X=X, y=y)
    found.promote("diagnosis", 1)
    weaker = LogisticRegression(C=0.001, max_iter=5000).fit(X, y)
    found.register("diagnosis", weaker, X=X, y=y)
    found.promote("diagnosis", 2, "challenger")
    return found


@pytest.fixture
def shadowed(registry: Registry) -> Iterator[Running]:
    """The champion served on a real uvicorn with the challenger in shadow."""
    server = ModelServer(
        registry,
        "diagnosis@champion",
        token_sha256=token_hash(TOKEN),
        poll_seconds=0.2,
        shadow="diagnosis@challenger",
    )
    with serving(server, registry) as found:
        yield found


def shadow_of(running: Running) -> dict:
    return call(f"{running.url}/health")[1]["shadow"]


@pytest.mark.slow
def test_deployed_with_a_shadow_both_are_logged_and_compared(
    registry: Registry, dataset, fitted, ipython: InteractiveShell
) -> None:
    X, y = dataset
    started = operations.deploy(
        registry, ref="diagnosis@champion", port=free_port(), shadow="diagnosis@challenger"
    )
    try:
        assert [d.shadow_ref for d in operations.deployments(registry)] == ["diagnosis@challenger"]
        assert "diagnosis@challenger" in str(operations.deployments(registry))
        ids = []
        for start in range(0, 60, 3):
            status, answer = call(
                f"{started.url}/predict",
                records(X.iloc[start : start + 3]),
                token=started.token,
            )
            assert status == 200
            assert answer["predictions"] == fitted.predict(X.iloc[start : start + 3]).tolist()
            ids += answer["request_ids"]
        labels = json.dumps({"request_ids": ids[:40], "labels": y.iloc[:40].tolist()}).encode()
        assert call(f"{started.url}/feedback", labels, token=started.token)[0] == 200
        health = wait_for(
            lambda: (h := call(f"{started.url}/health")[1])["shadow"]["scored"] == 60 and h,
            "the shadow to score every answered row",
        )
        assert health["shadow"]["version"] == 2 and health["shadow"]["failed"] == 0
    finally:
        operations.undeploy(registry, target="diagnosis@champion")
    assert logged_ids(registry.home, "diagnosis", logs.SHADOWS) == sorted(ids)
    assert logged_ids(registry.home, "diagnosis") == sorted(ids)
    result = operations.compare_live(registry, model="diagnosis", window="1d")
    assert (result.paired, result.labelled) == (60, 40)
    metrics = {m.metric: m for m in result.metrics}
    champion = (fitted.predict(X.iloc[:40]) == y.iloc[:40]).mean()
    assert metrics["accuracy"].champion == pytest.approx(champion)
    assert {"accuracy", "auc", "f1"} <= set(metrics)
    assert all(m.challenger is not None for m in metrics.values())
    assert result.note == ""  # 40 labels: enough to compare
    ipython.run_line_magic("mlops", f"connect {registry.home}")
    shown = ipython.run_line_magic("mlops", "compare-live diagnosis --window 1d")
    assert "diagnosis@challenger (version 2)" in repr(shown) and "accuracy" in repr(shown)

    # the gate on the same labelled requests reads the same logged outputs
    live = operations.gate(
        registry, model="diagnosis", challenger="challenger", live="1d", metric="f1"
    )  # auc is refused: 4 of the 40 labels are of class 1, under the 10 of each it needs
    assert (live.rows, live.champion, live.challenger) == (40, 1, 2)
    assert live.champion_value == pytest.approx(metrics["f1"].champion)
    assert live.challenger_value == pytest.approx(metrics["f1"].challenger)
    assert live.data == "labelled requests of the last 1d both scored"
    gated = ipython.run_line_magic(
        "mlops", "gate diagnosis --challenger challenger --live 1d --metric accuracy"
    )
    assert gated.champion_value == pytest.approx(champion) and gated.mcnemar is not None
    assert gated.decision == "keep"  # the challenger is the weaker model


def test_a_challenger_that_raises_never_fails_an_answer(
    registry: Registry, dataset, fitted
) -> None:
    X, y = dataset
    refuser = Refuser(fitted).fit(X, y)
    registry.register("diagnosis", refuser, X=X, y=y, trust=[TRUST + "Refuser"])
    registry.promote("diagnosis", 3, "challenger")
    server = ModelServer(
        registry,
        "diagnosis@champion",
        token_sha256=token_hash(TOKEN),
        shadow="diagnosis@challenger",
    )
    with serving(server, registry) as running:
        for start in range(0, 10, 2):
            status, answer = call(f"{running.url}/predict", records(X.iloc[start : start + 2]))
            assert status == 200
            assert answer["predictions"] == fitted.predict(X.iloc[start : start + 2]).tolist()
        shadow = wait_for(
            lambda: (s := shadow_of(running))["failed"] == 10 and s, "the failures to be counted"
        )
        assert (shadow["version"], shadow["scored"], shadow["dropped"]) == (3, 0, 0)
        assert "this challenger refuses every request" in shadow["last_error"]
        assert call(f"{running.url}/health")[1]["status"] == "ok"


def test_a_challenger_of_another_signature_is_counted_not_raised(
    registry: Registry, dataset, fitted
) -> None:
    X, y = dataset
    wider = X.assign(extra=1.0)
    registry.register("diagnosis", LogisticRegression(max_iter=5000).fit(wider, y), X=wider, y=y)
    registry.promote("diagnosis", 3, "challenger")
    server = ModelServer(
        registry,
        "diagnosis@champion",
        token_sha256=token_hash(TOKEN),
        shadow="diagnosis@challenger",
    )
    with serving(server, registry) as running:
        status, answer = call(f"{running.url}/predict", records(X.iloc[:4]))
        assert status == 200 and answer["predictions"] == fitted.predict(X.iloc[:4]).tolist()
        shadow = wait_for(lambda: (s := shadow_of(running))["failed"] == 4 and s, "a failure")
        assert "column 'extra'" in shadow["last_error"]


def test_a_full_shadow_queue_drops_rows_and_answers_go_on(
    registry: Registry, dataset, fitted, tmp_path: Path
) -> None:
    X, y = dataset
    gate = tmp_path / "open"
    gated = Gated(fitted, str(gate)).fit(X, y)
    registry.register("diagnosis", gated, X=X, y=y, trust=[TRUST + "Gated"])
    registry.promote("diagnosis", 3, "challenger")
    server = ModelServer(
        registry,
        "diagnosis@champion",
        token_sha256=token_hash(TOKEN),
        shadow="diagnosis@challenger",
    )
    assert server.shadow is not None
    server.shadow.max_queued = 2  # rows
    with serving(server, registry) as running:
        for row in range(8):  # the shadow is stuck on the first: the queue fills
            status, answer = call(f"{running.url}/predict", records(X.iloc[row : row + 1]))
            assert status == 200 and answer["predictions"] == fitted.predict(X.iloc[[row]]).tolist()
        assert shadow_of(running)["dropped"] >= 4  # 2 rows queued, at most 2 being scored
        gate.touch()
        shadow = wait_for(
            lambda: (s := shadow_of(running))["scored"] + s["dropped"] == 8 and s,
            "the shadow to catch up",
        )
        assert shadow["failed"] == 0 and shadow["scored"] >= 1


def test_the_shadow_follows_its_alias(shadowed: Running, dataset, fitted) -> None:
    X, y = dataset
    assert shadow_of(shadowed)["version"] == 2
    shadowed.registry.register(
        "diagnosis", LogisticRegression(C=0.01, max_iter=5000).fit(X, y), X=X, y=y
    )
    shadowed.registry.promote("diagnosis", 3, "challenger")
    wait_for(lambda: shadow_of(shadowed)["version"] == 3, "the shadow to follow its alias")
    status, answer = call(f"{shadowed.url}/predict", records(X.iloc[:3]))
    assert status == 200 and answer["version"] == 1  # the champion still answers
    wait_for(lambda: shadow_of(shadowed)["scored"] == 3, "the new challenger to score")
    shadowed.stop()
    found = operations.compare_live(
        shadowed.registry, model="diagnosis", window="1d", challenger="challenger"
    )
    assert (found.challenger_version, found.paired, found.labelled) == (3, 3, 0)
    assert "only 0 of the 3 paired rows are labelled" in found.note


def test_a_promoted_challenger_is_not_scored_twice_and_health_says_why(
    shadowed: Running, dataset
) -> None:
    """Once the champion moves to the challenger's version, both aliases serve version 2:
    its requests are counted, not scored again by the same version, and /health says so."""
    X, _ = dataset
    shadowed.registry.promote("diagnosis", 2)
    wait_for(lambda: call(f"{shadowed.url}/health")[1]["version"] == 2, "the champion to move")
    status, answer = call(f"{shadowed.url}/predict", records(X.iloc[:4]))
    assert status == 200 and answer["version"] == 2
    shadow = wait_for(
        lambda: (found := shadow_of(shadowed))["same_version"] == 4 and found,
        "the shadow to count the rows of its own version",
    )
    assert (shadow["scored"], shadow["failed"]) == (0, 0)
    assert "is version 2, the version being served" in shadow["note"]
    shadowed.registry.promote("diagnosis", 1)
    wait_for(lambda: "note" not in shadow_of(shadowed), "the note to go once the champion moves")


@pytest.mark.parametrize(
    ("shadow", "error", "words"),
    [
        ("diagnosis@nightly", NotFoundError, "nightly"),
        ("other@challenger", InvalidArgumentError, "is a version of other, not of diagnosis"),
        ("diagnosis@champion", InvalidArgumentError, "is diagnosis@champion, the ref being served"),
        ("diagnosis", InvalidArgumentError, "the ref being served"),
        ("diagnosis:1", InvalidArgumentError, "diagnosis version 1, the version diagnosis@"),
    ],
)
def test_deploy_refuses_a_shadow_it_cannot_compare(
    registry: Registry, shadow: str, error: type, words: str
) -> None:
    with pytest.raises(error, match=words) as refused:
        operations.deploy(registry, ref="diagnosis@champion", port=free_port(), shadow=shadow)
    assert str(refused.value).count(". ") == 0  # one sentence
    assert list(operations.deployments(registry)) == []  # nothing was started
