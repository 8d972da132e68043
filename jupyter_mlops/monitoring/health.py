"""A model's health: one word for what its newest stored checks say, and one sentence why.

The rule, judged on what is stored (rule states and check results; never the prediction
log), in this order, the first that holds wins:

- `never checked`: no check is stored for any of the model's versions.
- `alerting`: one of its alert rules is firing (the state the last check left it in).
- `degraded`: in the newest check that measured performance (a `performance`, `estimate`
  or `check`), a realised or estimated metric is statistically worse than the value
  registered with the version whose rows it scored: its 95% interval lies wholly below the
  registered value (for a metric where lower is better, log-loss, MAE, RMSE: wholly
  above). A metric without an interval, or not registered with its version, claims nothing.
- `drifting`: the newest drift verdict (of a `drift` or a `check`) has a drifted feature,
  a drifted model output, or multivariate drift.
- `ok`: none of these.

It is a pure function over plain records (`judge`), so a face, a test or a scheduled job
can read it without a registry; `store/fleet.py` gathers its inputs for every model at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from jupyter_mlops.registry.display import counted

NEVER_CHECKED, ALERTING, DEGRADED, DRIFTING, OK = (
    "never checked",
    "alerting",
    "degraded",
    "drifting",
    "ok",
)
HEALTHS = (ALERTING, DEGRADED, DRIFTING, OK, NEVER_CHECKED)  # worst first
LOWER_IS_BETTER = frozenset({"log_loss", "mae", "rmse", "mse", "brier"})
# how a metric may have been spelled when it was registered
SPELLINGS = {"roc_auc": "auc", "logloss": "log_loss", "acc": "accuracy", "f1_score": "f1"}


@dataclass(frozen=True)
class FiringRule:
    """An alert rule whose stored state is firing."""

    id: int
    expression: str
    since: datetime | None


@dataclass(frozen=True)
class MetricReading:
    """One metric of the newest window of a check, beside what its version registered."""

    check_id: int
    metric: str
    version: int
    value: float | None
    ci_low: float | None
    ci_high: float | None
    estimated: bool
    registered: float | None  # the value registered with `version`; None: none was

    @property
    def comparable(self) -> bool:
        """Whether it has an interval and a registered value to hold it against."""
        return None not in (self.registered, self.ci_low, self.ci_high)

    def worse(self) -> bool:
        """Whether its interval lies wholly on the worse side of the registered value."""
        if self.registered is None or self.ci_low is None or self.ci_high is None:
            return False
        if self.metric in LOWER_IS_BETTER:
            return self.ci_low > self.registered
        return self.ci_high < self.registered

    def described(self) -> str:
        side = "above" if self.metric in LOWER_IS_BETTER else "below"
        kind = "estimated " if self.estimated else ""
        return (
            f"{kind}{self.metric} {_num(self.value)} [{_num(self.ci_low)}, {_num(self.ci_high)}]"
            f" is {side} {_num(self.registered)} registered with version {self.version}"
        )


@dataclass(frozen=True)
class DriftReading:
    """The newest drift verdict: how many features were judged, which drifted, and the
    multivariate domain classifier's AUC and threshold (None: not run)."""

    check_id: int
    features: int
    drifted: list[str] = field(default_factory=list)
    output_drifted: bool = False  # the model's output (`__prediction__`), not a feature
    multivariate_auc: float | None = None
    multivariate_threshold: float | None = None

    @property
    def multivariate(self) -> bool:
        auc, threshold = self.multivariate_auc, self.multivariate_threshold
        return auc is not None and threshold is not None and auc >= threshold

    def described(self, *, naming: int = 0) -> str:
        """`2 of 9 features drifted`, naming the first `naming` of them."""
        parts = []
        if self.features:
            said = f"{len(self.drifted)} of {counted(self.features, 'feature')} drifted"
            if naming and self.drifted:
                more = ", ..." if len(self.drifted) > naming else ""
                said += f" ({', '.join(self.drifted[:naming])}{more})"
            parts.append(said)
        if self.output_drifted:
            parts.append("the model's output drifted")
        if self.multivariate:
            parts.append(f"multivariate drift (AUC {self.multivariate_auc:.3f})")
        return "; ".join(parts) or "no feature judged"


@dataclass(frozen=True)
class Health:
    state: str
    why: str


def judge(
    *,
    checked: bool,
    firing: Sequence[FiringRule] = (),
    metrics: Sequence[MetricReading] = (),
    drift: DriftReading | None = None,
) -> Health:
    """The model's health by the rule of this module, with the evidence in one sentence."""
    if not checked:
        return Health(NEVER_CHECKED, "no check is stored for any of its versions")
    if firing:
        return Health(ALERTING, _firing(firing))
    worse = [m for m in metrics if m.worse()]
    if worse:
        told = "; ".join(m.described() for m in worse)
        return Health(DEGRADED, f"{told} (check {worse[0].check_id})")
    if drift is not None and (drift.drifted or drift.output_drifted or drift.multivariate):
        return Health(DRIFTING, f"{drift.described(naming=5)} in check {drift.check_id}")
    return Health(OK, _fine(metrics, drift))


def _firing(firing: Sequence[FiringRule]) -> str:
    first = firing[0]
    since = f" since {first.since:%Y-%m-%d %H:%M} UTC" if first.since else ""
    more = f" (and {counted(len(firing) - 1, 'other rule')})" if len(firing) > 1 else ""
    return f"rule {first.expression!r} firing{since}{more}"


def _fine(metrics: Sequence[MetricReading], drift: DriftReading | None) -> str:
    said = []
    if drift is not None:
        said.append(f"{drift.described()} in check {drift.check_id}")
    judged = sorted({m.metric for m in metrics if m.comparable})
    if judged:
        said.append(f"{', '.join(judged)} not worse than registered")
    return "; ".join(said) or "its newest checks found nothing wrong"


def _num(value: float | None) -> str:
    return "?" if value is None else f"{value:.3g}"


def registered_value(metrics: dict[str, object], metric: str) -> float | None:
    """The value of `metric` registered with a version (its `metrics`), however spelled."""
    for key, value in metrics.items():
        name = key.lower()
        if SPELLINGS.get(name, name) == metric and isinstance(value, int | float):
            return float(value)
    return None
