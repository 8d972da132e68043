"""Requests that arrive together share one call of the model, and each gets its own answer."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from jupyter_mlops import Registry
from jupyter_mlops.errors import Unprocessable
from jupyter_mlops.serving.batching import Answer, Batcher, Scored, Served
from jupyter_mlops.serving.feedback import Takes
from jupyter_mlops.serving.rows import rows_of
from jupyter_mlops.serving.validation import NUMBER, signature


@pytest.fixture
def served(tmp_path, dataset, fitted) -> Served:
    X, y = dataset
    registry = Registry(tmp_path / "registry")
    version = registry.register("diagnosis", fitted, X=X, y=y)
    return Served(version, registry.load(version.ref), signature(version.schema), Takes(NUMBER))


def submit_together(batcher: Batcher, bodies: list[tuple[dict, bool]], served: Served) -> list:
    """Submit every body in one go, as concurrent requests; each answer or refusal in order."""

    async def run() -> list:
        jobs = [
            batcher.submit(rows_of(body, served.columns), served, probabilities=proba)
            for body, proba in bodies
        ]
        answers = await asyncio.gather(*jobs, return_exceptions=True)
        await batcher.aclose()
        return answers

    return asyncio.run(run())


def test_requests_arriving_together_share_one_call(served: Served, dataset, fitted) -> None:
    X, _ = dataset
    logged: list[Scored] = []
    batcher = Batcher(lambda: served, logged.append)
    slices = [(start, start + 1 + start % 5) for start in range(0, 200, 10)]
    bodies = [
        ({"records": X.iloc[a:b].to_dict("records")}, position % 3 == 0)
        for position, (a, b) in enumerate(slices)
    ]
    answers = submit_together(batcher, bodies, served)
    assert batcher.calls == 1  # twenty requests, one call of the model
    for (a, b), (_, proba), answer in zip(slices, bodies, answers, strict=True):
        assert isinstance(answer, Answer) and answer.version == 1
        if proba:
            assert np.allclose(answer.values, fitted.predict_proba(X.iloc[a:b]))
        else:
            assert answer.values == fitted.predict(X.iloc[a:b]).tolist()
    [scored] = logged
    assert scored.request_ids == [i for answer in answers for i in answer.request_ids]
    assert len(set(scored.request_ids)) == sum(b - a for a, b in slices)
    expected = np.concatenate([fitted.predict_proba(X.iloc[a:b])[:, 1] for a, b in slices])
    assert np.allclose(scored.scores, expected)


def test_a_request_the_model_refuses_fails_alone(served: Served, dataset, fitted) -> None:
    X, _ = dataset
    logged: list[Scored] = []
    batcher = Batcher(lambda: served, logged.append)
    missing = X.iloc[5:7].to_dict("records")
    missing[1][str(X.columns[3])] = None  # logistic regression takes no missing values
    bodies = [
        ({"records": X.iloc[:5].to_dict("records")}, False),
        ({"records": missing}, False),
        ({"records": X.iloc[7:9].to_dict("records")}, True),
    ]
    first, refused, third = submit_together(batcher, bodies, served)
    assert isinstance(refused, Unprocessable) and refused.field == str(X.columns[3])
    assert str(refused) == (
        f"column {str(X.columns[3])!r} has null in row 1, which the model cannot take "
        "(Input X contains NaN)."
    )
    assert first.values == fitted.predict(X.iloc[:5]).tolist()
    assert np.allclose(third.values, fitted.predict_proba(X.iloc[7:9]))
    logged_ids = {i for scored in logged for i in scored.request_ids}
    assert logged_ids == set(first.request_ids) | set(third.request_ids)  # answered, logged


def test_a_model_without_probabilities_refuses_only_those_requests(tmp_path, dataset) -> None:
    from sklearn.linear_model import LinearRegression

    X, y = dataset
    registry = Registry(tmp_path / "registry")
    version = registry.register("risk", LinearRegression().fit(X, y), X=X, y=y)
    served = Served(version, registry.load(version.ref), signature(version.schema), Takes(NUMBER))
    batcher = Batcher(lambda: served, lambda scored: None)
    body = {"records": X.iloc[:2].to_dict("records")}
    plain, proba = submit_together(batcher, [(body, False), (body, True)], served)
    assert len(plain.values) == 2
    assert isinstance(proba, Unprocessable) and "no probabilities" in str(proba)


def test_a_request_checked_before_the_alias_moved_keeps_its_version(
    tmp_path, dataset, fitted
) -> None:
    from sklearn.linear_model import LogisticRegression

    X, y = dataset
    registry = Registry(tmp_path / "registry")
    first = registry.register("diagnosis", fitted, X=X, y=y)
    narrow = X.iloc[:, :5]
    second = registry.register(
        "diagnosis", LogisticRegression(max_iter=5000).fit(narrow, y), X=narrow, y=y
    )
    old, new = (
        Served(v, registry.load(v.ref), signature(v.schema), Takes(NUMBER)) for v in (first, second)
    )
    batcher = Batcher(lambda: new, lambda scored: None)  # the alias has just moved to 2

    async def run() -> list[Answer]:
        checked_before = rows_of({"records": X.iloc[:2].to_dict("records")}, old.columns)
        checked_after = rows_of({"records": narrow.iloc[:2].to_dict("records")}, new.columns)
        answers = await asyncio.gather(
            batcher.submit(checked_before, old, probabilities=False),
            batcher.submit(checked_after, new, probabilities=False),
        )
        await batcher.aclose()
        return answers

    before, after = asyncio.run(run())
    assert (before.version, after.version) == (1, 2)
    assert before.values == fitted.predict(X.iloc[:2]).tolist()
