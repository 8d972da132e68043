"""Reads off the main thread: in order, refreshes never piling up, actions never dropped,
an error handed to the status line and the next work still done."""

from __future__ import annotations

import threading

from jupyter_mlops.widgets.loading import Loader


def test_refreshes_asked_during_a_read_make_one_more_and_actions_all_run() -> None:
    failures: list[BaseException] = []
    loader = Loader(failed=failures.append)
    release, ran = threading.Event(), []
    first = loader.submit(lambda: release.wait(30), lambda _: ran.append("first"))
    for n in range(10):
        loader.submit(lambda n=n: n, lambda n: ran.append(f"refresh {n}"), key="refresh")
    loader.submit(lambda: "act", ran.append)
    assert loader.busy
    release.set()
    first.result(timeout=30)
    assert ran == ["first", "refresh 9", "act"]
    assert not loader.busy and failures == []


def test_an_error_goes_to_failed_and_the_work_after_it_runs() -> None:
    failures: list[BaseException] = []
    loader = Loader(failed=failures.append)
    ran: list[str] = []
    release = threading.Event()
    done = loader.submit(lambda: release.wait(30), lambda _: None)
    loader.submit(lambda: 1 / 0, ran.append)
    loader.submit(lambda: "after", ran.append)
    release.set()
    done.result(timeout=30)
    assert [type(f) for f in failures] == [ZeroDivisionError] and ran == ["after"]
