"""A process forked after its parent used a registry (multiprocessing's default on Linux)
uses one of its own: the engines and sessions it inherited are never ended in it, since
their threads stayed in the parent (ending them hung the child for good) and a PostgreSQL
session ended there would end the parent's."""

from __future__ import annotations

import multiprocessing

from jupyter_mlops import Registry

BACKENDS = ("file", "lake")
BOUND = 120  # seconds a child may take on a loaded machine (a bound, not a claim)


def _count_models(location: str, data_path: str, answers: multiprocessing.Queue) -> None:
    shared = location.startswith("ducklake:")
    found = Registry(location, **({"data_path": data_path} if shared else {}))
    answers.put(len(found.models()))


def test_a_forked_child_uses_the_registry_its_parent_used(registry: Registry, fitted, dataset):
    X, y = dataset
    registry.register("churn", fitted, X=X, y=y)
    assert len(registry.models()) == 1  # the parent's engines and sessions are in use
    location = registry.location if registry.shared else str(registry.home)
    forked = multiprocessing.get_context("fork")
    answers = forked.Queue()

    child = forked.Process(target=_count_models, args=(location, registry.data_path, answers))
    child.start()
    child.join(BOUND)

    hung = child.is_alive()
    if hung:
        child.kill()
    assert not hung, "the forked child never finished its first registry call"
    assert child.exitcode == 0 and answers.get(timeout=5) == 1
    assert len(registry.models()) == 1  # the parent's own sessions still work
