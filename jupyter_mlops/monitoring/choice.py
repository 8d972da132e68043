"""Which test decides drift for a feature, and at what threshold.

Defaults, by the feature's kind and the window's size:

| kind        | window below 10,000 rows             | window of 10,000 rows or more    |
|-------------|--------------------------------------|----------------------------------|
| numeric     | Kolmogorov-Smirnov, p < 0.01 (BH)    | PSI >= 0.1                       |
| categorical | chi-squared, p < 0.01 (BH)           | Jensen-Shannon distance >= 0.1   |

A datetime feature is judged as a numeric one (on epoch seconds).

On a small window a p-value is the honest judge (the effect sizes are noisy there),
corrected with Benjamini-Hochberg across the features tested, at 0.01. (Every
window is compared with the same stored reference sample, so an unlucky draw in
that sample shows up in many windows: 4 of 100 unshifted 4,000-row windows had a
false flag in one measurement here, against 1 expected.) On a large window
every real difference, however slight, has a tiny p-value, so the verdict rests on
an effect size, which does not grow with the window: an unshifted feature stays
unflagged from 10,000 rows to 5 million. Any feature's test and threshold can be
set per call or stored per model (`Monitor.configure`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from jupyter_mlops.errors import InvalidArgumentError, did_you_mean

SMALL_WINDOW = 10_000
P_VALUE_TESTS = {"ks", "chi2"}
TESTS = {
    "numeric": ("psi", "ks", "wasserstein", "js"),
    "categorical": ("chi2", "psi", "js"),
}
TESTS["datetime"] = TESTS["numeric"]
DEFAULT_THRESHOLDS = {"psi": 0.1, "js": 0.1, "wasserstein": 0.1, "ks": 0.01, "chi2": 0.01}
ALL_FEATURES = "*"


@dataclass(frozen=True)
class Choice:
    test: str
    threshold: float

    @property
    def uses_p_value(self) -> bool:
        return self.test in P_VALUE_TESTS


def default_test(kind: str, rows: int) -> str:
    if rows < SMALL_WINDOW:
        return "chi2" if kind == "categorical" else "ks"
    return "js" if kind == "categorical" else "psi"


def choose(
    feature: str, kind: str, rows: int, overrides: dict[str, dict[str, Any]] | None = None
) -> Choice:
    """The test and threshold for `feature`: its own setting, else the all-features one (where
    that test fits the feature's kind), else the default for its kind and the window's size."""
    own = (overrides or {}).get(feature, {})
    shared = (overrides or {}).get(ALL_FEATURES, {})
    fitting = shared.get("test") in TESTS[kind]
    test = own.get("test") or (shared["test"] if fitting else None) or default_test(kind, rows)
    _check_fits(test, kind, feature)
    threshold = own.get("threshold")
    if threshold is None and shared.get("test") in (None, test):
        threshold = shared.get("threshold")
    return Choice(test, float(DEFAULT_THRESHOLDS[test] if threshold is None else threshold))


def check_test(test: str | None) -> None:
    """A one-line error for a test name nobody implements."""
    known = sorted(DEFAULT_THRESHOLDS)
    if test is not None and test not in known:
        raise InvalidArgumentError(
            f"unknown drift test {test!r}{did_you_mean(test, known)}; "
            f"choose one of {', '.join(known)}."
        )


def check_threshold(threshold: Any, test: str | None = None) -> float:
    """A drift threshold: a number above 0 (and below 1 for the tests judged by p-value)."""
    try:
        number = float(threshold)
    except (TypeError, ValueError, OverflowError):
        number = math.nan
    p_value = test in P_VALUE_TESTS
    if isinstance(threshold, bool) or not 0 < number < (1 if p_value else math.inf):
        limit = "between 0 and 1 (an alpha)" if p_value else "above 0"
        raise InvalidArgumentError(
            f"drift threshold {threshold!r} is not a number {limit}; give e.g. "
            f"{DEFAULT_THRESHOLDS.get(test or 'psi', 0.1)}."
        )
    return number


def check_setting(model: str, feature: str, test: str | None, kinds: dict[str, str]) -> None:
    """Refuse a stored setting for a feature the model lacks or a test its kind cannot take."""
    check_test(test)
    if feature == ALL_FEATURES:
        return
    if feature not in kinds:
        raise InvalidArgumentError(
            f"{model} has no feature {feature!r}{did_you_mean(feature, kinds)}; "
            "name a profiled feature or '*' for all."
        )
    if test:
        _check_fits(test, kinds[feature], feature)


def _check_fits(test: str, kind: str, feature: str) -> None:
    if test not in TESTS[kind]:
        raise InvalidArgumentError(
            f"test {test!r} does not apply to the {kind} feature {feature!r}; "
            f"choose one of {', '.join(TESTS[kind])}."
        )
