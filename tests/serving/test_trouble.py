"""A log in trouble, seen from outside: /health says degraded and why, nothing taken is
lost, and a big /feedback is a size refusal (422), never a full-disk one (503)."""

from __future__ import annotations

import json

import numpy as np

from jupyter_mlops.clock import utc_now
from jupyter_mlops.monitoring import logs
from jupyter_mlops.serving.feedback import MAX_LABELS
from tests.conftest import logged_ids
from tests.serving.test_app import Running, call, records
from tests.serving.test_hostile import wait_for


def health(running: Running) -> dict:
    return call(f"{running.url}/health", token=None)[1]


def test_rows_parquet_refuses_are_set_aside_the_server_says_so_and_logs_the_rest(
    running: Running, dataset
) -> None:
    X, _ = dataset
    first = str(X.columns[0])
    odd = {  # rows that got past every check with a column of two types
        logs.REQUEST_ID: np.array(["odd-0", "odd-1"]),
        logs.TIMESTAMP: np.full(2, np.datetime64(utc_now(), "us")),
        first: np.array([1.5, "one and a half"], dtype=object),
    }
    running.server.predictions.append(odd)
    wait_for(lambda: health(running)["status"] == "degraded", "/health says degraded")
    said = health(running)
    assert said["reason"] == (
        "2 rows of the predictions log could not be stored as Parquet and were set aside beside "
        "the log"
    )  # anyone may ask /health: no path, no value of the rows
    assert said["log_failures"] >= 1
    home = running.registry.home
    aside = logs.model_directory(home, logs.PREDICTIONS, "diagnosis") / "set-aside"
    assert str(aside) in call(f"{running.url}/metadata")[1]["log_problem"]  # the token holder's
    status, answer = call(f"{running.url}/predict", records(X.iloc[:3]))
    assert status == 200
    wait_for(  # written by the background thread: it outlived the failure
        lambda: logged_ids(home, "diagnosis") == sorted(answer["request_ids"]),
        "later rows are written",
    )
    kept = [json.loads(line) for path in aside.glob("*.jsonl") for line in path.open()]
    assert [row[logs.REQUEST_ID] for row in kept] == ["odd-0", "odd-1"]
    assert [row[first] for row in kept] == [1.5, "one and a half"]
    assert health(running)["status"] == "degraded"  # until someone looks at what was set aside


def feedback(running: Running, count: int, start: int = 0) -> tuple[int, dict]:
    ids = [f"r{i}" for i in range(start, start + count)]
    body = json.dumps({"request_ids": ids, "labels": [i % 2 for i in range(count)]})
    return call(f"{running.url}/feedback", body.encode())


def test_too_many_labels_is_a_422_not_a_503(running: Running) -> None:
    assert feedback(running, 1) == (200, {"received": 1, "unknown": 1})  # waits in the buffer
    for start in (1, 1 + MAX_LABELS):
        assert feedback(running, MAX_LABELS, start) == (
            200,
            {"received": MAX_LABELS, "unknown": MAX_LABELS},
        )
    status, answer = feedback(running, MAX_LABELS + 1)
    assert status == 422 and answer["field"] == "labels" and "split" in answer["message"]
    assert health(running)["status"] == "ok"
    home = running.registry.home
    wait_for(
        lambda: len(logged_ids(home, "diagnosis", logs.LABELS)) == 1 + 2 * MAX_LABELS,
        "every accepted label is written",
    )


def test_only_a_label_log_that_cannot_be_written_turns_feedback_away_with_503(
    running: Running,
) -> None:
    home = running.registry.home
    blocked = logs.model_directory(home, logs.LABELS, "diagnosis")
    blocked.parent.mkdir(parents=True, exist_ok=True)
    blocked.write_text("a file where the log's directory goes: every write fails")
    assert feedback(running, 60_000)[0] == 200  # kept in memory, retried
    status, answer = feedback(running, 60_000, 60_000)
    assert status == 503 and "cannot be written" in answer["message"], answer
    said = health(running)
    assert said["status"] == "degraded" and "cannot be written" in said["reason"], said
    blocked.unlink()  # the disk is back: the buffer drains
    wait_for(lambda: health(running)["status"] == "ok", "the log recovers")
    wait_for(
        lambda: (
            logged_ids(home, "diagnosis", logs.LABELS) == sorted(f"r{i}" for i in range(60_000))
        ),
        "every accepted label is written",
    )
