"""Bins a reader can name: a dominant value's own bin, the bin after it, and datetimes."""

from __future__ import annotations

import numpy as np
import pandas as pd

from jupyter_mlops.monitoring.shares import numeric_bins
from jupyter_mlops.profiling.instants import epoch_seconds
from jupyter_mlops.profiling.profile import profile_frame


def test_a_dominant_value_is_a_bar_of_its_own_and_empty_bins_are_left_out() -> None:
    rng = np.random.default_rng(0)
    values = np.where(rng.random(5_000) < 0.9, 0.0, rng.exponential(5, 5_000))
    entry = profile_frame(pd.DataFrame({"spend": values}))[0]
    bins = numeric_bins(entry, values[:1_000])
    assert bins[0].label == "= 0" and bins[0].reference > 0.85  # no empty `< 0` bar before it
    assert bins[1].label.startswith("over 0 to ")
    assert bins[-1].label.startswith(">= ")
    assert sum(b.current for b in bins) == 1.0


def test_datetime_bins_are_named_by_their_times() -> None:
    days = pd.Series(pd.date_range("2024-01-01", periods=400, freq="D"))
    entry = profile_frame(pd.DataFrame({"signed_up": days}))[0]
    bins = numeric_bins(entry, epoch_seconds(days))
    assert bins[0].label.startswith("< 2024-01-")
    assert all(" to " in b.label for b in bins[1:-1]) and bins[-1].label == ">= 2025-01-14"
