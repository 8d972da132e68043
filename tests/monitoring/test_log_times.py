"""The times a batch is logged with: refused in one sentence, with nothing written, when the
log could not hold or read them, and never able to make the rest of the log unreadable."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from jupyter_mlops import Monitor, Registry, operations
from jupyter_mlops.cli import main
from jupyter_mlops.errors import InvalidArgumentError
from jupyter_mlops.monitoring import logs
from tests.conftest import logged_ids
from tests.monitoring.conftest import two_features


@pytest.fixture
def monitor(tmp_path: Path) -> Monitor:
    from sklearn.linear_model import LogisticRegression

    X, y = two_features(400, seed=5)
    registry = Registry(tmp_path / "registry")
    model = LogisticRegression().fit(X[:200], y[:200])
    registry.register("times", model, X=X[:200], y=y[:200], reference=(X[200:], y[200:]))
    return Monitor(registry)


def rows(count: int) -> pd.DataFrame:
    return two_features(count, seed=6)[0]


def days(monitor: Monitor) -> list[str]:
    folder = logs.model_directory(monitor.registry.home, logs.PREDICTIONS, "times")
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []


def test_a_time_the_log_cannot_hold_is_refused_and_the_log_stays_readable(
    monitor: Monitor,
) -> None:
    nanoseconds = pd.to_datetime(["2026-12-01", "2026-12-02"]).as_unit("ns")
    monitor.log_predictions("times:1", rows(2), timestamps=nanoseconds)
    for times, said in [
        (["1600-01-01", "1600-01-02"], "timestamp 0 is 1600-01-01 00:00:00, outside the years"),
        (["2026-12-01", "2300-01-01"], "timestamp 1 is 2300-01-01 00:00:00, outside the years"),
        ([pd.NaT, "2026-12-01"], "timestamp 0 is missing (NaT); give every row its time"),
    ]:
        with pytest.raises(InvalidArgumentError) as raised:
            monitor.log_predictions("times:1", rows(2), timestamps=times)
        assert said in str(raised.value) and "\n" not in str(raised.value)
        with pytest.raises(InvalidArgumentError, match="give every row its time, or leave"):
            monitor.log_labels("times", ["a", "b"], [0, 1], timestamps=[None, "2026-12-01"])
    assert days(monitor) == ["date=2026-12-01", "date=2026-12-02"]
    monitor.log_predictions("times:1", rows(30), timestamps=["1901-01-01"] * 30)
    registry = monitor.registry
    assert len(logged_ids(registry.home, "times")) == 32
    drift = operations.drift(registry, ref="times:1", window="2026-12-01..2026-12-03", save=False)
    assert drift.to_dict()["rows"] == 2


def test_a_log_written_with_such_times_before_names_the_folder_to_move(
    monitor: Monitor, capsys
) -> None:
    home = monitor.registry.home
    monitor.log_predictions("times:1", rows(50))
    old = monitor.log_predictions("times:1", rows(2), predictions=[0, 1])  # as written before
    old[logs.TIMESTAMP] = pd.to_datetime(["1600-01-01", "1600-01-01"]).as_unit("us")
    logs.write_segments(home, logs.PREDICTIONS, "times", old)
    nanoseconds = old.assign(**{logs.TIMESTAMP: pd.Timestamp("2026-12-01").as_unit("ns")})
    logs.write_segments(home, logs.PREDICTIONS, "times", nanoseconds)
    assert main(["--home", str(home), "drift", "times:1", "--window", "1d"]) == 2
    said = capsys.readouterr().err
    assert "logs/predictions/times/date=1600-01-01, whose times lie outside" in said
    assert said.count("\n") == 1 and "Traceback" not in said
    with pytest.raises(InvalidArgumentError, match="move those folders out of the log"):
        operations.performance(monitor.registry, ref="times:1", window="1d")
    folder = logs.model_directory(home, logs.PREDICTIONS, "times") / "date=1600-01-01"
    folder.rename(home / "date=1600-01-01")
    assert operations.drift(monitor.registry, ref="times:1", window="1d", save=False)


def test_numbers_given_as_times_are_refused_not_read_as_nanoseconds(
    monitor: Monitor, tmp_path: Path, capsys
) -> None:
    seconds = [1764547200] * 6  # 2025-12-01 in Unix seconds, which pandas reads as 1970
    for given in (seconds, pd.Series(seconds, dtype="float64"), ["2026-12-01", *seconds[1:]]):
        with pytest.raises(InvalidArgumentError) as raised:
            monitor.log_predictions("times:1", rows(6), timestamps=given)
        assert "timestamps are numbers (1764547200" in str(raised.value)
        assert 'pd.to_datetime(timestamps, unit="s")' in str(raised.value)
    assert days(monitor) == []
    current = rows(60).assign(at=[1764547200 + 3600 * i for i in range(60)])
    labels = [0, 1] * 30
    registry = monitor.registry
    with pytest.raises(InvalidArgumentError, match=r"the time column holds numbers \(1764547200\)"):
        operations.performance(
            registry, ref="times:1", current=current, y=labels, time_column="at", window="1d"
        )
    current.to_csv(tmp_path / "current.csv", index=False)
    args = ["--home", str(registry.home), "drift", "times:1", "--current"]
    args += [str(tmp_path / "current.csv"), "--time-column", "at", "--every", "1d"]
    assert main(args) == 2
    said = capsys.readouterr().err
    assert "holds numbers (1764547200)" in said and said.count("\n") == 1
    converted = current.assign(at=pd.to_datetime(current["at"], unit="s"))
    report = operations.drift(
        registry, ref="times:1", current=converted, time_column="at", every="1d", save=False
    )
    assert "2025-12-03" in str(report)


def test_counts_that_differ_are_refused_and_mixed_offsets_are_converted_to_utc(
    monitor: Monitor,
) -> None:
    for given, said in [
        ({"predictions": [1] * 5}, "X has 6 rows and 5 predictions; pass one per row"),
        ({"request_ids": ["a"]}, "X has 6 rows and 1 request id; pass one per row"),
        ({"timestamps": ["2026-12-01"] * 2}, "6 rows and 2 timestamps were given; pass one time"),
        ({"timestamps": ["soon"] * 6}, "timestamps cannot be read as times (Time data soon"),
    ]:
        with pytest.raises(InvalidArgumentError) as raised:
            monitor.log_predictions("times:1", rows(6), **given)
        assert said in str(raised.value) and ". " not in str(raised.value)
    with pytest.raises(InvalidArgumentError, match="2 labels and 1 timestamp were given; pass one"):
        monitor.log_labels("times", ["a", "b"], [0, 1], timestamps=["2026-12-01"])
    assert days(monitor) == []
    mixed = ["2026-11-03T10:00+09:00", "2026-11-01T00:00Z", "2026-11-02", "2026-11-01T23:30-05:00"]
    tokyo = pd.Series(pd.date_range("2026-11-01 08:00", periods=4, freq="h", tz="Asia/Tokyo"))
    logged = monitor.log_predictions("times:1", rows(4), timestamps=mixed)
    monitor.log_predictions("times:1", rows(4), timestamps=tokyo)
    monitor.log_predictions("times:1", rows(4), timestamps=pd.Timestamp("2026-11-05", tz="UTC"))
    assert logged[logs.TIMESTAMP].astype(str).tolist() == [
        "2026-11-03 01:00:00",
        "2026-11-01 00:00:00",
        "2026-11-02 00:00:00",
        "2026-11-02 04:30:00",
    ]
    assert days(monitor) == [
        f"date=2026-{day}" for day in ("10-31", "11-01", "11-02", "11-03", "11-05")
    ]
