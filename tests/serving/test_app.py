"""The model server on a real uvicorn on loopback: answers, refusals, logs, the alias."""

from __future__ import annotations

import json
import math
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
import uvicorn

from jupyter_mlops import Monitor, Registry
from jupyter_mlops.monitoring import logs
from jupyter_mlops.serving.app import ModelServer, token_hash
from jupyter_mlops.serving.limits import uvicorn_options
from tests.conftest import free_port, logged_ids, wait_for

TOKEN = "s3cret-token"


@dataclass
class Running:
    url: str
    server: ModelServer
    registry: Registry
    stop: object


@contextmanager
def serving(server: ModelServer, registry: Registry, **deadlines: float) -> Iterator[Running]:
    """`server` under a real uvicorn on a free loopback port, with the limits `serve` sets
    (`deadlines`: shorter header_seconds or body_seconds), stopped on the way out."""
    port = free_port()
    options = uvicorn_options(**deadlines)
    config = uvicorn.Config(server.app, host="127.0.0.1", port=port, log_level="warning", **options)
    web = uvicorn.Server(config)
    thread = threading.Thread(target=web.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not web.started and time.monotonic() < deadline:
        time.sleep(0.02)

    def stop() -> None:
        web.should_exit = True
        thread.join(timeout=30)

    try:
        yield Running(f"http://127.0.0.1:{port}", server, registry, stop)
    finally:
        stop()


def call(url: str, body: bytes | None = None, *, token: str | None = TOKEN) -> tuple[int, dict]:
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=body, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def looked_again(running: Running) -> dict:
    """/health once the server has looked at its alias since the caller changed it: two more
    looks than it had done (the first may have begun before the change)."""
    looks = call(f"{running.url}/health")[1]["alias"]["looks"]

    def after() -> dict | None:
        health = call(f"{running.url}/health")[1]
        return health if health["alias"]["looks"] >= looks + 2 else None

    return wait_for(after, "the server to look at its alias again")


def records(frame: pd.DataFrame) -> bytes:
    return json.dumps({"records": frame.to_dict("records")}).encode()


def test_predictions_match_the_model_and_are_logged(running: Running, dataset, fitted) -> None:
    X, y = dataset
    status, answer = call(f"{running.url}/predict", records(X.iloc[:20]))
    assert status == 200 and answer["version"] == 1
    assert answer["predictions"] == fitted.predict(X.iloc[:20]).tolist()
    columns = json.dumps({"columns": X.iloc[20:25].to_dict("list")}).encode()
    status, proba = call(f"{running.url}/predict_proba", columns)
    assert status == 200
    expected = fitted.predict_proba(X.iloc[20:25]).ravel()
    assert np.ravel(proba["probabilities"]).tolist() == pytest.approx(expected.tolist())
    ids = answer["request_ids"] + proba["request_ids"]
    labels = json.dumps({"request_ids": ids, "labels": y.iloc[list(range(25))].tolist()})
    assert call(f"{running.url}/feedback", labels.encode()) == (200, {"received": 25, "unknown": 0})
    running.stop()  # a clean stop writes every buffered row
    report = Monitor(running.registry).performance("diagnosis@champion", window="1d")
    accuracy = next(m for m in report.metrics if m.metric == "accuracy")
    assert accuracy.rows == 25
    assert accuracy.value == pytest.approx((fitted.predict(X.iloc[:25]) == y.iloc[:25]).mean())


def test_no_token_or_a_wrong_one_is_401(running: Running, dataset) -> None:
    X, _ = dataset
    assert call(f"{running.url}/health", token=None)[0] == 200
    for token in (None, "wrong"):
        status, body = call(f"{running.url}/predict", records(X.iloc[:1]), token=token)
        assert status == 401 and body["error"] == "unauthorized"
        assert call(f"{running.url}/metadata", token=token)[0] == 401
    status, meta = call(f"{running.url}/metadata")
    assert status == 200 and meta["version"] == 1
    assert [c["name"] for c in meta["signature"]] == list(X.columns)


def bodies(X: pd.DataFrame) -> list[tuple[bytes, int, str | None]]:
    row = X.iloc[0].to_dict()
    first = str(X.columns[0])
    return [
        (b"not json", 400, None),
        (b"", 400, None),
        (b'{"records": [{"a": NaN}]}', 400, None),
        (b"[" * 1000 + b"]" * 1000, 422, "body"),  # JSON, but not an object
        (b"[" * 5000 + b"]" * 5000, 400, None),  # too deep to decode
        (b'{"records": [{"a": "\\ud800"}]}', 400, None),  # a lone surrogate
        (b'{"rows": []}', 422, "body"),
        (b'{"records": []}', 422, "records"),
        (
            json.dumps({"records": [{k: v for k, v in row.items() if k != first}]}).encode(),
            422,
            first,
        ),
        (json.dumps({"records": [{**row, "extra": 1}]}).encode(), 422, "extra"),
        (json.dumps({"records": [{**row, first: "ten"}]}).encode(), 422, first),
        (json.dumps({"records": [{**row, first: 10**400}]}).encode(), 422, first),
        (json.dumps({"records": [{**row, first: 1e308 * 10}]}).encode(), 400, None),
        (json.dumps({"records": [{**row, first: [1, 2]}]}).encode(), 422, first),
        (json.dumps({"columns": {first: [1, 2], "x": [1]}}).encode(), 422, "columns"),
        (b" " * (33 * 2**20), 413, None),
    ]


def test_bad_bodies_get_400_or_422_naming_the_field_and_the_server_goes_on(
    running: Running, dataset
) -> None:
    X, _ = dataset
    for body, expected, field in bodies(X):
        status, answer = call(f"{running.url}/predict", body)
        assert status == expected, (body[:60], answer)
        assert answer["error"] in ("usage", "unprocessable", "too_large")
        assert answer["message"]
        assert answer.get("field") == field, (body[:60], answer)
    assert call(f"{running.url}/nowhere")[0] == 404
    status, answer = call(f"{running.url}/predict", records(X.iloc[:3]))
    assert status == 200 and len(answer["predictions"]) == 3


def test_every_missing_and_unexpected_column_is_named(running: Running, dataset) -> None:
    X, _ = dataset
    names = [str(name) for name in X.columns]
    wrong = {"a": 1, "b": 2, "c": 3}
    status, answer = call(f"{running.url}/predict", json.dumps({"records": [wrong]}).encode())
    assert status == 422 and answer["field"] == names[0]
    first = ", ".join(repr(name) for name in names[:20])
    assert answer["message"] == (
        f"30 columns missing: {first} and 10 more; 3 unexpected: 'a', 'b', 'c'; "
        "send exactly the model's inputs (GET /metadata lists them)."
    )
    row = X.iloc[0].to_dict()
    short = {k: v for k, v in row.items() if k not in names[3:5]}
    body = json.dumps({"records": [row, short]}).encode()
    status, answer = call(f"{running.url}/predict", body)
    assert status == 422 and answer["field"] == names[3]
    assert answer["message"].startswith(f"row 1: 2 columns missing: {names[3]!r}, {names[4]!r};")
    columns = {**X.iloc[:2].to_dict("list"), "x": [1, 2], "y": [3, 4]}
    status, answer = call(f"{running.url}/predict", json.dumps({"columns": columns}).encode())
    assert status == 422 and answer["field"] == "x"
    assert answer["message"].startswith("2 columns unexpected: 'x', 'y';")


def test_the_server_follows_its_alias(running: Running, dataset) -> None:
    from sklearn.dummy import DummyClassifier

    X, y = dataset
    running.registry.register("diagnosis", DummyClassifier().fit(X, y), X=X, y=y)
    running.registry.promote("diagnosis", 2)
    assert looked_again(running)["version"] == 2
    answer = call(f"{running.url}/predict", records(X.iloc[:5]))[1]
    assert answer["version"] == 2 and len(set(answer["predictions"])) == 1
    running.registry.rollback("diagnosis")
    health = looked_again(running)
    assert health["version"] == 1 and health["alias"]["refused"] is None
    assert call(f"{running.url}/predict", records(X.iloc[:1]))[1]["version"] == 1


def test_load_while_the_alias_moves_fails_nothing_and_loses_nothing(
    running: Running, dataset
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from sklearn.dummy import DummyClassifier

    X, y = dataset
    running.registry.register("diagnosis", DummyClassifier().fit(X, y), X=X, y=y)
    body = records(X.iloc[:1])
    answers: list[tuple[float, float, int, dict]] = []
    done = threading.Event()
    # (asked: when the alias was told to move, version, served: when /health said it served
    # that version); an answer may carry a version from its move's `asked` to the next's `served`
    moves = [(-math.inf, 1, -math.inf)]

    def client() -> None:
        while not done.is_set():
            sent = time.monotonic()
            status, answer = call(f"{running.url}/predict", body)
            answers.append((sent, time.monotonic(), status, answer))

    def move(change: Callable[[], object], version: int) -> None:
        answered = len(answers)
        wait_for(lambda: len(answers) >= answered + 20, "20 answers between moves")
        asked = time.monotonic()
        change()
        assert looked_again(running)["version"] == version
        moves.append((asked, version, time.monotonic()))

    with ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(client) for _ in range(8)]
        try:
            for _ in range(3):
                move(lambda: running.registry.promote("diagnosis", 2), 2)
                move(lambda: running.registry.rollback("diagnosis"), 1)
        finally:
            done.set()
        for future in futures:
            future.result()
    assert len(answers) > 100
    assert {status for _, _, status, _ in answers} == {200}
    for sent, received, _, answer in answers:
        possible = {
            version
            for i, (asked, version, _) in enumerate(moves)
            if asked <= received and (i + 1 == len(moves) or moves[i + 1][2] >= sent)
        }
        assert answer["version"] in possible, (sent, received, answer["version"], moves)
    meta = call(f"{running.url}/metadata")[1]
    assert meta["model_calls"] < meta["requests"]  # concurrent requests shared calls
    running.stop()
    served = [rid for _, _, _, answer in answers for rid in answer["request_ids"]]
    assert logged_ids(running.registry.home, "diagnosis") == sorted(served)


def fuzzed(X: pd.DataFrame, count: int, seed: int) -> Iterator[bytes]:
    """Bodies a careless or hostile client sends: good records bent at random, and junk."""
    rng = np.random.default_rng(seed)
    names = [str(name) for name in X.columns]
    junk: list[object] = [
        "ten", "", "1e5", True, False, None, [], {}, [1, 2], {"a": 1}, 10**400, -(10**30),
        1e308, -1e-320, 0, "\u2603", "x" * 10_000, [[[[[]]]]],
    ]  # fmt: skip

    def bent_record() -> dict:
        record = X.iloc[int(rng.integers(len(X)))].to_dict()
        for _ in range(int(rng.integers(1, 4))):
            action = rng.integers(4)
            name = names[int(rng.integers(len(names)))]
            if action == 0:
                record[name] = junk[int(rng.integers(len(junk)))]
            elif action == 1:
                record.pop(name, None)
            elif action == 2:
                record[f"extra{int(rng.integers(3))}"] = 1.0
            else:
                record[name] = float(rng.normal()) * 10 ** int(rng.integers(-300, 300))
        return record

    for _ in range(count):
        shape = rng.integers(8)
        if shape == 0:  # records, some bent
            body = json.dumps({"records": [bent_record() for _ in range(int(rng.integers(1, 4)))]})
        elif shape == 1:  # columns, maybe ragged
            columns = {n: X[n].iloc[: int(rng.integers(1, 4))].tolist() for n in names}
            columns[names[int(rng.integers(len(names)))]] = junk[int(rng.integers(len(junk)))]
            body = json.dumps({"columns": columns})
        elif shape == 2:  # valid JSON, wrong shape
            body = json.dumps(junk[int(rng.integers(len(junk)))])
        elif shape == 3:  # truncated
            whole = json.dumps({"records": X.iloc[:3].to_dict("records")})
            body = whole[: int(rng.integers(len(whole)))]
        elif shape == 4:  # nested deep
            depth = int(rng.integers(10, 3000))
            body = "[" * depth + "]" * depth
        elif shape == 5:  # random bytes
            yield rng.integers(0, 256, int(rng.integers(1, 200)), dtype=np.uint8).tobytes()
            continue
        elif shape == 6:  # NaN and Infinity spelled out
            body = json.dumps({"records": [bent_record()]}).replace("1", "NaN", 1)
            body = body.replace("2", "Infinity", 1)
        else:  # too many rows
            body = json.dumps({"records": [X.iloc[0].to_dict()] * 10_001})
        yield body.encode()


def test_fuzzed_bodies_get_only_400s_and_422s_and_the_server_goes_on(
    running: Running, dataset
) -> None:
    X, _ = dataset
    statuses: dict[int, int] = {}
    answered_rows = 0
    for position, body in enumerate(fuzzed(X, 400, seed=7)):
        path = ("/predict", "/predict_proba", "/feedback")[position % 3]
        status, answer = call(f"{running.url}{path}", body)
        statuses[status] = statuses.get(status, 0) + 1
        assert status in (200, 400, 413, 422), (status, body[:80], answer)
        if status != 200:
            assert answer["error"] and answer["message"], answer
        elif path != "/feedback":
            answered_rows += len(answer["request_ids"])
    assert statuses.get(400, 0) > 50 and statuses.get(422, 0) > 50
    status, answer = call(f"{running.url}/predict", records(X.iloc[:3]))
    assert status == 200 and len(answer["predictions"]) == 3
    meta = call(f"{running.url}/metadata")[1]
    assert meta["errors"] == sum(n for s, n in statuses.items() if s != 200)
    running.stop()
    assert len(logged_ids(running.registry.home, "diagnosis")) == answered_rows + 3


def test_a_log_that_cannot_be_written_turns_requests_away_with_503(
    running: Running, dataset
) -> None:
    X, _ = dataset
    registry = running.registry
    blocked = logs.model_directory(registry.home, logs.PREDICTIONS, "diagnosis")
    blocked.parent.mkdir(parents=True, exist_ok=True)
    blocked.write_text("a file where the log's directory goes: every write fails")
    server = ModelServer(
        registry, "diagnosis@champion", token_sha256=token_hash(TOKEN), log_rows=10
    )  # room for 100 rows while the log cannot be written
    with serving(server, registry) as small:
        statuses = [call(f"{small.url}/predict", records(X.iloc[:10]))[0] for _ in range(12)]
        assert statuses == [200] * 10 + [503] * 2
        status, answer = call(f"{small.url}/predict", records(X.iloc[:1]))
        assert status == 503 and "cannot be written" in answer["message"]
        blocked.unlink()  # writable again: the buffer drains, requests are answered
        deadline = time.monotonic() + 10
        while call(f"{small.url}/predict", records(X.iloc[:1]))[0] != 200:
            assert time.monotonic() < deadline
            time.sleep(0.2)
    assert len(logged_ids(registry.home, "diagnosis")) == 101  # every answered row


def test_a_version_that_cannot_be_served_is_not_swapped_in(
    running: Running, dataset, fitted
) -> None:
    X, _ = dataset
    running.registry.register("diagnosis", fitted)  # no X: no recorded inputs to check against
    running.registry.promote("diagnosis", 2)
    health = looked_again(running)
    assert health["version"] == 1 and health["alias"]["refused"] == {"version": 2}
    refused = call(f"{running.url}/metadata")[1]["alias"]["refused"]
    assert refused["version"] == 2 and "has no recorded inputs" in refused["reason"]
    status, answer = call(f"{running.url}/predict", records(X.iloc[:2]))
    assert status == 200 and answer["version"] == 1
    running.registry.rollback("diagnosis")  # back at 1: nothing is refused any more
    assert looked_again(running)["alias"]["refused"] is None
