"""Every field of every endpoint given every kind of JSON value, on a real server: numbers,
text and booleans as inputs, labels checked against the registered target, ids unknown
to the server counted, and every answered prediction in the log."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import make_column_transformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from jupyter_mlops import Registry
from jupyter_mlops.monitoring import logs
from jupyter_mlops.serving.app import ModelServer, token_hash
from jupyter_mlops.serving.logwriter import MAX_SECONDS
from tests.conftest import logged_ids, wait_for
from tests.serving.test_app import Running, call, serving

LOGGED_WITHIN = MAX_SECONDS * 5  # rows are written every 2 s; the rest is room for a busy machine
VALUES: dict[str, object] = {
    "string": "basic",
    "empty string": "",
    "numeric string": "5",
    "int": 5,
    "zero": 0,
    "float": 2.5,
    "big int": 2**70,
    "huge int": 10**400,
    "true": True,
    "false": False,
    "null": None,
    "list": [1, 2],
    "object": {"a": 1},
    "nested": [[{"a": [1, {"b": None}]}]],
    "empty list": [],
    "empty object": {},
}
# which of VALUES each kind of column (and the label of a numeric target) takes
TAKES = {
    "number": {"int", "zero", "float", "big int"},
    "text": {"string", "empty string", "numeric string"},
    "boolean": {"true", "false"},
}
COLUMNS = {"tenure": "number", "plan": "text", "active": "boolean"}
CLASSES = {"zero"}  # of VALUES, the labels churn's 0/1 classifier takes (and 1, 1.0)
PYTHON_WORDS = re.compile(r"\b(NoneType|None|True|False|bool|int|float|str|dict|list)\b")


def pythonic(message: str) -> bool:
    """Whether a message speaks of values in Python's words rather than JSON's."""
    return PYTHON_WORDS.search(message.replace("a number beyond a float", "")) is not None


def churn_frame(rows: int, seed: int) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "tenure": rng.integers(1, 72, rows),
            "monthly": rng.normal(60, 15, rows).round(2),
            "plan": rng.choice(["basic", "plus", "pro"], rows),
            "active": rng.random(rows) < 0.7,
        }
    )
    y = ((X["tenure"] < 12) ^ (rng.random(rows) < 0.1)).astype(int).rename("churned")
    return X, y


@pytest.fixture(scope="module")
def churn() -> tuple[object, pd.DataFrame, pd.Series]:
    X, y = churn_frame(400, seed=3)
    encode = make_column_transformer(
        (StandardScaler(), ["tenure", "monthly"]),
        (OneHotEncoder(handle_unknown="ignore"), ["plan"]),
        ("passthrough", ["active"]),
    )
    return make_pipeline(encode, LogisticRegression()).fit(X, y), X, y


@pytest.fixture
def churn_server(tmp_path, churn) -> Iterator[Running]:
    model, X, y = churn
    registry = Registry(tmp_path / "registry")
    registry.register("churn", model, X=X, y=y)
    registry.promote("churn", 1)
    server = ModelServer(registry, "churn@champion", token_sha256=token_hash("s3cret-token"))
    with serving(server, registry) as found:
        yield found


def post(running: Running, path: str, payload: object) -> tuple[int, dict]:
    return call(f"{running.url}{path}", json.dumps(payload).encode())


ROW = {"tenure": 14, "monthly": 42.5, "plan": "basic", "active": True}


def cell_bodies() -> Iterator[tuple[str, str, str, dict]]:
    """(column, value name, shape, body) with one cell of a good row replaced."""
    for column in COLUMNS:
        for name, value in VALUES.items():
            yield column, name, "records", {"records": [ROW, {**ROW, column: value}]}
            columns = {key: [ROW[key], ROW[key]] for key in ROW}
            columns[column] = [ROW[column], value]
            yield column, name, "columns", {"columns": columns}


def shape_bodies() -> Iterator[object]:
    """Bodies of the wrong shape: every value in place of records, columns, a record, a list."""
    for value in VALUES.values():
        yield value
        yield {"records": value}
        yield {"columns": value}
        yield {"records": [value]}
        yield {"columns": {**{key: [ROW[key]] for key in ROW}, "tenure": value}}


def test_every_json_value_in_every_input_is_answered_or_refused_and_logged(
    churn_server: Running,
) -> None:
    answered: list[str] = []
    for column, name, shape, body in cell_bodies():
        status, answer = post(churn_server, "/predict", body)
        assert status in (200, 422), (column, name, shape, answer)
        if name in TAKES[COLUMNS[column]]:
            assert status == 200, (column, name, shape, answer)
        elif name != "null" or status == 422:  # a null is the model's to take or refuse
            assert status == 422 and answer["field"] == column, (column, name, shape, answer)
            assert not pythonic(answer["message"]), answer  # JSON's words only
        if status == 200:
            assert len(answer["request_ids"]) == len(answer["predictions"]) == 2
            answered += answer["request_ids"]
    for body in shape_bodies():
        for path in ("/predict", "/predict_proba"):
            status, answer = post(churn_server, path, body)
            assert status in (200, 400, 422), (body, answer)
            if status == 200:
                answered += answer["request_ids"]
    home = churn_server.registry.home
    wait_for(
        lambda: set(answered) <= set(logged_ids(home, "churn")),
        "every answered prediction is in the log",
        seconds=LOGGED_WITHIN,
        every=0.05,
    )
    status, health = call(f"{churn_server.url}/health", token=None)
    assert status == 200 and health["status"] == "ok" and health["log_failures"] == 0, health
    plans = logged_column(home, "plan")
    assert set(plans) <= {"basic", "", "5", None}  # text stays text: no 5, no True


def logged_column(home, name: str) -> list[object]:
    import duckdb

    from jupyter_mlops.monitoring import compaction

    with compaction.reading(home, "churn"):
        rows = duckdb.execute(
            f"SELECT {name} FROM read_parquet(?, union_by_name = true)",
            [logs.pattern(home, logs.PREDICTIONS, "churn")],
        ).fetchall()
    return [row[0] for row in rows]


def test_labels_and_ids_of_every_kind_are_checked_and_unknown_ids_counted(
    churn_server: Running,
) -> None:
    status, answer = post(churn_server, "/predict", {"records": [ROW] * 3})
    assert status == 200
    served = answer["request_ids"]
    labelled: list[str] = []
    for name, value in VALUES.items():
        status, answer = post(
            churn_server, "/feedback", {"request_ids": served[:1], "labels": [value]}
        )
        if name in CLASSES:  # churn's target was registered as numbers: its classes 0 and 1
            assert (status, answer) == (200, {"received": 1, "unknown": 0}), (name, answer)
            labelled.append(served[0])
        else:
            assert status == 422 and answer["field"] == "labels", (name, answer)
            assert not pythonic(answer["message"]), answer
        status, answer = post(churn_server, "/feedback", {"request_ids": [value], "labels": [1]})
        if isinstance(value, str) and value:  # any text is an id: this server issued none
            assert (status, answer) == (200, {"received": 1, "unknown": 1}), (name, answer)
            labelled.append(value)
        else:
            assert status == 422 and answer["field"] == "request_ids", (name, answer)
        for field in ("request_ids", "labels"):
            body = {"request_ids": served[:1], "labels": [1], field: value}
            status, answer = post(churn_server, "/feedback", body)
            assert status == 422, (field, name, answer)
    status, answer = post(
        churn_server,
        "/feedback",
        {"request_ids": [*served, "deadbeef", "0" * 32], "labels": [0, 1, 0, 1, 1]},
    )
    assert (status, answer) == (200, {"received": 5, "unknown": 2})
    labelled += [*served, "deadbeef", "0" * 32]
    twice = {"request_ids": [served[0], served[0]], "labels": [0, 1]}  # one label too many
    status, answer = post(churn_server, "/feedback", twice)
    assert status == 422 and "is given twice" in answer["message"], answer
    home = churn_server.registry.home
    wait_for(
        lambda: logged_ids(home, "churn", logs.LABELS) == sorted(labelled),
        "every accepted label is in the label log",
        seconds=30,
        every=0.05,
    )
    assert call(f"{churn_server.url}/health", token=None)[1]["status"] == "ok"


def test_a_text_target_takes_only_text_labels(tmp_path, churn) -> None:
    model, X, y = churn
    named = y.map({0: "stayed", 1: "churned"})
    registry = Registry(tmp_path / "registry")
    fitted = make_pipeline(model[0], LogisticRegression()).fit(X, named)
    registry.register("churn", fitted, X=X, y=named)
    registry.promote("churn", 1)
    server = ModelServer(registry, "churn@champion", token_sha256=token_hash("s3cret-token"))
    with serving(server, registry) as running:
        ids = post(running, "/predict", {"records": [ROW, ROW]})[1]["request_ids"]
        status, answer = post(running, "/feedback", {"request_ids": ids, "labels": ["churned", 1]})
        assert status == 422 and answer["message"].endswith("label 1 is the number 1."), answer
        status, answer = post(running, "/feedback", {"request_ids": ids, "labels": ["a", "b"]})
        assert (status, answer["field"]) == (422, "labels"), answer
        assert answer["message"] == (
            'this model\'s labels are its classes "churned" and "stayed"; label 0 is the text "a".'
        )
        labels = {"request_ids": ids, "labels": ["stayed", "churned"]}
        assert post(running, "/feedback", labels) == (200, {"received": 2, "unknown": 0})


def test_labels_a_binary_classifier_never_predicts_are_refused_naming_its_classes(
    churn_server: Running,
) -> None:
    ids = post(churn_server, "/predict", {"records": [ROW]})[1]["request_ids"]
    for label in (2, -1, 0.5, 1e30):
        status, answer = post(churn_server, "/feedback", {"request_ids": ids, "labels": [label]})
        assert (status, answer["field"]) == (422, "labels"), (label, answer)
        assert answer["message"] == (
            f"this model's labels are its classes 0 and 1; label 0 is the number {label!r}."
        )
    for label in (0, 1, 1.0):
        taken = post(churn_server, "/feedback", {"request_ids": ids, "labels": [label]})
        assert taken == (200, {"received": 1, "unknown": 0}), label


def test_a_body_with_both_records_and_columns_is_refused(churn_server: Running) -> None:
    both = {"records": [ROW], "columns": {key: [value] for key, value in ROW.items()}}
    status, answer = post(churn_server, "/predict", both)
    assert (status, answer["field"]) == (422, "body"), answer
    assert answer["message"].endswith(", not both.")


def test_an_integer_too_long_for_a_float_is_a_422_naming_its_field(churn_server: Running) -> None:
    digits = "9" * 5000  # past Python's own limit on the digits of an integer read from text
    for column, sign in (("tenure", ""), ("monthly", "-"), ("plan", ""), ("active", "")):
        row = json.dumps({**ROW, column: 0}).replace(
            f'"{column}": 0', f'"{column}": {sign}{digits}'
        )
        status, answer = call(f"{churn_server.url}/predict", f'{{"records": [{row}]}}'.encode())
        assert (status, answer["field"]) == (422, column), answer
        assert answer["message"].endswith("row 0 has a number beyond a float."), answer
    ids = post(churn_server, "/predict", {"records": [ROW]})[1]["request_ids"]
    body = f'{{"request_ids": {json.dumps(ids)}, "labels": [{digits}]}}'.encode()
    status, answer = call(f"{churn_server.url}/feedback", body)
    assert (status, answer["field"]) == (422, "labels"), answer
    assert answer["message"].endswith("label 0 is a number beyond a float."), answer


@pytest.mark.parametrize(
    ("column", "value", "said"),
    [
        ("active", None, "column 'active' has null in row 1, which the model cannot take"),
        ("tenure", None, "column 'tenure' has null in row 1, which the model cannot take"),
        (
            "active",
            "True",
            "column 'active' takes true, false or null; row 1 has the text \"True\".",
        ),
        ("plan", True, "column 'plan' takes text or null; row 1 has true."),
        ("plan", 5, "column 'plan' takes text or null; row 1 has the number 5."),
        ("tenure", {"a": 1}, "column 'tenure' takes numbers or null; row 1 has an object."),
        ("tenure", [1], "column 'tenure' takes numbers or null; row 1 has an array."),
    ],
)
def test_a_refused_value_is_named_with_its_field_in_jsons_words(
    churn_server: Running, column: str, value: object, said: str
) -> None:
    status, answer = post(churn_server, "/predict", {"records": [ROW, {**ROW, column: value}]})
    assert (status, answer["field"]) == (422, column), answer
    assert answer["message"].startswith(said), answer


def test_a_category_the_model_never_saw_is_named_with_its_field(tmp_path, churn) -> None:
    _, X, y = churn
    strict = make_column_transformer(
        (StandardScaler(), ["tenure", "monthly"]),
        (OneHotEncoder(handle_unknown="error"), ["plan"]),  # refuses a category it never saw
        ("passthrough", ["active"]),
    )
    registry = Registry(tmp_path / "registry")
    registry.register("churn", make_pipeline(strict, LogisticRegression()).fit(X, y), X=X, y=y)
    registry.promote("churn", 1)
    server = ModelServer(registry, "churn@champion", token_sha256=token_hash("s3cret-token"))
    with serving(server, registry) as running:
        status, answer = post(running, "/predict", {"records": [ROW, {**ROW, "plan": "gold"}]})
    assert (status, answer["field"]) == (422, "plan"), answer
    assert answer["message"].startswith(
        "column 'plan' has the text \"gold\" in row 1, which the model cannot take (Found unknown "
        "categories ['gold']"
    ), answer
