"""Results as JSON: `jsonable` gives what json.dumps writes strictly and loads back unchanged."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from jupyter_mlops.jsonable import fields_of, jsonable


def round_trip(value: object) -> object:
    data = jsonable(value)
    assert json.loads(json.dumps(data, allow_nan=False)) == data
    return data


def test_numbers_that_are_not_numbers_are_null() -> None:
    assert round_trip([float("nan"), np.float64("inf"), -np.inf, pd.NA, pd.NaT]) == [None] * 5


def test_numpy_and_pandas_scalars_are_plain() -> None:
    data = round_trip({"i": np.int64(3), "b": np.bool_(True), "s": np.str_("yes")})
    assert data == {"i": 3, "b": True, "s": "yes"}
    assert type(data["i"]) is int


def test_times_are_iso_text_and_spans_seconds() -> None:
    moment = datetime(2026, 1, 2, 3, 4, tzinfo=UTC)
    data = round_trip([moment, pd.Timestamp(moment), np.datetime64("2026-01-02T03:04"),
                       timedelta(minutes=2)])  # fmt: skip
    assert data == [
        "2026-01-02T03:04:00+00:00",
        "2026-01-02T03:04:00+00:00",
        "2026-01-02T03:04:00+00:00",  # no zone: UTC, as the registry keeps times
        120.0,
    ]


def test_a_frame_is_rows_by_column_with_missing_cells_null() -> None:
    frame = pd.DataFrame(
        {"x": [1.0, np.nan], "n": pd.array([1, None], dtype="Int64"), "t": ["a", None]}
    )
    assert round_trip(frame) == [{"x": 1.0, "n": 1, "t": "a"}, {"x": None, "n": None, "t": None}]
    stored = pd.DataFrame({"at": [pd.Timestamp("2026-01-02 03:04"), pd.NaT]})
    assert round_trip(stored) == [{"at": "2026-01-02T03:04:00+00:00"}, {"at": None}]


def test_dataclass_fields_leave_out_those_marked() -> None:
    @dataclass
    class Record:
        name: str
        path: Path
        secret: str = field(default="s", metadata={"json": False})
        keys: dict[int, float] = field(default_factory=lambda: {1: float("nan")})

    assert round_trip(Record("a", Path("/x"))) == {"name": "a", "path": "/x", "keys": {"1": None}}
    assert fields_of(Record("a", Path("/x")), leave_out=("path",)) == {
        "name": "a",
        "keys": {"1": None},
    }


def test_an_object_it_does_not_know_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="has no JSON form"):
        jsonable(object())
