"""Rows logged from Python: typed before anything is written, and written whole or not at all."""

from __future__ import annotations

import pandas as pd
import pytest

from jupyter_mlops import Monitor, Registry
from jupyter_mlops.errors import InvalidArgumentError, StorageError
from jupyter_mlops.monitoring import logs
from tests.conftest import logged_ids


@pytest.fixture
def monitor(tmp_path, dataset, fitted) -> Monitor:
    X, y = dataset
    registry = Registry(tmp_path / "registry")
    registry.register("diagnosis", fitted, X=X, y=y)
    return Monitor(registry)


def test_a_column_of_mixed_types_is_named_in_one_sentence_and_nothing_is_written(
    monitor: Monitor, dataset
) -> None:
    X, _ = dataset
    mixed = X.iloc[:4].astype({"mean radius": object})
    mixed.loc[mixed.index[1], "mean radius"] = "large"
    with pytest.raises(InvalidArgumentError) as raised:
        monitor.log_predictions("diagnosis:1", mixed, predictions=[0, 1, 0, 1])
    message = str(raised.value)
    assert "'mean radius'" in message and "one type" in message and "\n" not in message
    assert not logs.has_log(monitor.registry.home, logs.PREDICTIONS, "diagnosis")
    with pytest.raises(InvalidArgumentError, match="are its classes 0 and 1, but label 1 is 'yes'"):
        monitor.log_labels("diagnosis", ["a", "b", "c"], [1, "yes", True])
    assert not logs.has_log(monitor.registry.home, logs.LABELS, "diagnosis")


def test_a_batch_over_two_days_is_written_whole_or_not_at_all(monitor: Monitor, dataset) -> None:
    X, _ = dataset
    home = monitor.registry.home
    times = pd.Series(pd.to_datetime(["2026-11-26 23:59", "2026-11-27 00:01"] * 2))
    second_day = logs.model_directory(home, logs.PREDICTIONS, "diagnosis") / "date=2026-11-27"
    second_day.parent.mkdir(parents=True)
    second_day.write_text("a file where the second day's directory goes")
    with pytest.raises(OSError):
        monitor.log_predictions("diagnosis:1", X.iloc[:4], timestamps=times)
    assert logged_ids(home, "diagnosis") == []  # the first day's file was taken back
    second_day.unlink()
    rows = monitor.log_predictions("diagnosis:1", X.iloc[:4], timestamps=times)
    assert logged_ids(home, "diagnosis") == sorted(rows[logs.REQUEST_ID])


def test_a_full_or_read_only_home_logs_nothing_and_says_so_in_one_sentence(
    disk, dataset, fitted
) -> None:
    X, y = dataset
    registry = Registry(disk.mount / "registry")
    registry.register("diagnosis", fitted, X=X, y=y)
    monitor = Monitor(registry)
    disk.fill(leave=4096)
    with pytest.raises(StorageError) as full:
        monitor.log_predictions("diagnosis:1", pd.concat([X] * 40))
    disk.free()
    disk.read_only()
    try:
        with pytest.raises(StorageError) as read_only:
            monitor.log_predictions("diagnosis:1", X.iloc[:5])
    finally:
        disk.writable()
    assert "full" in str(full.value) and "read-only" in str(read_only.value)
    for message in (str(full.value), str(read_only.value)):
        assert "predictions log of diagnosis" in message and "\n" not in message
    assert logged_ids(registry.home, "diagnosis") == []


def test_a_read_only_home_reads_its_log_and_a_compaction_says_why_it_cannot(
    disk, dataset, fitted
) -> None:
    from jupyter_mlops.monitoring.compaction import compact

    X, y = dataset
    registry = Registry(disk.mount / "registry")
    registry.register("diagnosis", fitted, X=X, y=y)
    monitor = Monitor(registry)
    for start in (0, 100):
        monitor.log_predictions("diagnosis:1", X.iloc[start : start + 100])
    disk.read_only()
    try:
        read = logged_ids(registry.home, "diagnosis")  # through the log's lock, as monitoring
        with pytest.raises(StorageError) as unrecorded:  # a drift report is stored as rows
            monitor.drift("diagnosis:1", window="7d", multivariate=False)
        with pytest.raises(StorageError) as refused:
            compact(registry.home, "diagnosis")
    finally:
        disk.writable()
    assert len(read) == 200
    for message in (str(unrecorded.value), str(refused.value)):
        assert "read-only" in message and "\n" not in message


def test_a_compaction_on_a_full_disk_loses_nothing_and_says_so(disk, dataset, fitted) -> None:
    from jupyter_mlops.monitoring.compaction import compact

    X, y = dataset
    registry = Registry(disk.mount / "registry")
    registry.register("diagnosis", fitted, X=X, y=y)
    monitor = Monitor(registry)
    for start in range(0, 500, 50):
        monitor.log_predictions("diagnosis:1", X.iloc[start : start + 50])
    disk.fill(leave=4096)
    try:
        with pytest.raises(StorageError) as refused:
            compact(registry.home, "diagnosis")
    finally:
        disk.free()
    assert "full" in str(refused.value) and "no row was lost" in str(refused.value)
    assert len(logged_ids(registry.home, "diagnosis")) == 500
    assert not list(registry.home.glob("logs/**/.compaction-*"))
