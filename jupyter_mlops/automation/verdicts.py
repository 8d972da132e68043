"""What a gate decided and the numbers behind it: `GateResult`.

Its `to_dict()` is what a promotion the gate makes stores as its evidence in the audit
trail, so it holds every number the decision read: both versions' metric, the gain, its
interval and how it was drawn, McNemar's counts, the thresholds, and the sentence saying why.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from jupyter_mlops.automation.gating import LEVEL, McNemar, Paired
from jupyter_mlops.jsonable import fields_of
from jupyter_mlops.registry.display import html_table, text_table

PROMOTE = "promote"
KEEP = "keep"


def _signed(value: float) -> str:
    return f"{value:+.4g}"


@dataclass(frozen=True)
class GateResult:
    """A challenger measured against a champion on the same rows: `decision` is 'promote'
    or 'keep', `why` says so in one sentence; `promoted` whether the alias moved."""

    model: str
    metric: str
    champion: int
    challenger: int
    champion_alias: str  # the alias a passing gate moves
    champion_named: str  # as the user named it: `churn@champion`, `churn:3`
    champion_value: float
    challenger_value: float
    difference: float  # challenger minus champion
    gain: float  # how much better the challenger is (> 0: better; errors count down)
    ci_low: float  # the gain's paired bootstrap interval
    ci_high: float
    level: float
    resamples: int
    seed: int
    rows: int
    data: str  # which rows: `held-out rows`, `live requests of the last 7d`
    min_gain: float
    alpha: float
    mcnemar: McNemar | None
    decision: str
    why: str
    promoted: bool = False
    promotion: str = ""  # `churn@champion: 3 -> 7`, when it moved

    @property
    def passed(self) -> bool:
        return self.decision == PROMOTE

    def moved(self, promotion: str) -> GateResult:
        return replace(self, promoted=True, promotion=promotion)

    def summary(self) -> str:
        """The numbers in one line, as the audit trail's reason shows them."""
        return (
            f"gate on {self.rows:,} {self.data}: {self.metric} "
            f"{self.challenger_value:.4g} vs {self.champion_value:.4g}, gain "
            f"{_signed(self.gain)} ({self.level:.0%} interval {_signed(self.ci_low)} to "
            f"{_signed(self.ci_high)})"
            + (f", McNemar p={self.mcnemar.p_value:.3g}" if self.mcnemar else "")
        )

    def to_dict(self) -> dict[str, Any]:
        """Every number of the decision, `passed`, and `mcnemar` as {b, c, p_value, method}
        (None for a metric other than accuracy)."""
        return {**fields_of(self), "passed": self.passed}

    def _facts(self) -> list[tuple[str, Any]]:
        facts = [
            ("champion", f"version {self.champion} ({self.champion_named})"),
            ("challenger", f"version {self.challenger}"),
            ("rows", f"{self.rows:,} {self.data}"),
            (f"champion {self.metric}", f"{self.champion_value:.6g}"),
            (f"challenger {self.metric}", f"{self.challenger_value:.6g}"),
            ("difference", _signed(self.difference)),
            (
                f"gain, {self.level:.0%} interval",
                f"{_signed(self.gain)} ({_signed(self.ci_low)} to {_signed(self.ci_high)}; "
                f"paired bootstrap, {self.resamples:,} resamples, seed {self.seed})",
            ),
        ]
        if self.mcnemar is not None:
            m = self.mcnemar
            facts.append(
                ("McNemar", f"b={m.b} (only the champion right), c={m.c} (only the challenger "
                 f"right), p={m.p_value:.4g} ({m.method}; alpha {self.alpha:g})")
            )  # fmt: skip
        facts.append(("minimum gain", f"{self.min_gain:g}"))
        facts.append(("decision", self.why))
        if self.promoted:
            facts.append(("promoted", self.promotion))
        return facts

    def _title(self) -> str:
        return f"gate {self.model}: {self.decision}"

    def __str__(self) -> str:
        return f"{self._title()}\n{text_table(['', ''], self._facts())}"

    __repr__ = __str__

    def _repr_html_(self) -> str:
        return html_table(["", ""], self._facts(), caption=self._title())


def decide(
    paired: Paired, *, metric: str, mcnemar: McNemar | None, min_gain: float, alpha: float
) -> tuple[str, str]:
    """'promote' or 'keep', and why in one sentence: worse (the whole interval below 0),
    not significantly better, or a gain below the minimum; else better by enough,
    significantly."""
    shown = (
        f"{_signed(paired.gain)}, {LEVEL:.0%} interval {_signed(paired.low)} to "
        f"{_signed(paired.high)}"
    )
    values = f"{paired.challenger:.4g} against the champion's {paired.champion:.4g}"
    if paired.high < 0:
        return KEEP, (f"keep: the challenger is worse on {metric} ({values}; gain {shown}).")
    if not paired.low > 0:
        return KEEP, (
            f"keep: the challenger is not significantly better on {metric} ({values}; gain "
            f"{shown}, which does not exclude 0)."
        )
    if mcnemar is not None and not mcnemar.p_value < alpha:
        return KEEP, (
            f"keep: the challenger is not significantly better on {metric}: McNemar's "
            f"p={mcnemar.p_value:.3g} (b={mcnemar.b}, c={mcnemar.c}) is not below alpha {alpha:g}."
        )
    if paired.gain < min_gain:
        return KEEP, (
            f"keep: the challenger is significantly better on {metric}, but its gain is below "
            f"the minimum gain {min_gain:g} ({values}; gain {shown})."
        )
    return PROMOTE, (
        f"promote: the challenger is significantly better on {metric} ({values}; gain "
        f"{shown}), by at least the minimum gain {min_gain:g}."
    )
