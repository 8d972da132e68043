"""Retraining as a job: a condition on the champion's log, a training notebook, the new
version made the challenger, a gate against the champion, and a promotion when it passes.

Each step is said in the job's detail and each alias move in the audit trail with its
reason and evidence, so `jobs` and `history` tell why the champion is what it is. The
steps around the notebook are `Retraining.before` (the condition: an alert-rule
expression read on a check of `MODEL@champion` over the window, recorded as the job's) and
`Retraining.after` (what the notebook registered, the challenger move, the gate). The
version a notebook registers is known by the job id it was registered with, never by
being the newest: a version someone else registered meanwhile is not this job's.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from jupyter_mlops.automation.gate_labels import Named
from jupyter_mlops.automation.outcomes import (
    ALERT_FIRED,
    GATE_KEPT,
    NOTEBOOK_FAILED,
    PASSED,
    Outcome,
    Steps,
)
from jupyter_mlops.automation.verdicts import GateResult
from jupyter_mlops.automation.workfolders import repeated
from jupyter_mlops.config import job_folder
from jupyter_mlops.errors import InvalidArgumentError
from jupyter_mlops.monitoring import Monitor
from jupyter_mlops.monitoring.rules import Rule
from jupyter_mlops.registry import Registry, Version
from jupyter_mlops.registry.outputs import TARGET
from jupyter_mlops.store import catalog

KEPT = "kept"  # a retraining's status when the gate kept the champion


@dataclass(frozen=True)
class Plan:
    """What a retraining was asked to do."""

    model: str
    when: str | None
    window: str
    metric: str
    min_gain: float = 0.0
    X: Any = None  # held-out rows to gate on (None: the new version's reference)
    y: Any = None
    live: str | None = None
    reason: str = ""  # why it was asked for (an alert that fired), when no condition
    named: Named = field(default_factory=Named)  # how the face names X and y, for messages


class Retraining(Steps):
    """The steps of a retraining job around its notebook; `gate` is the gate a passing
    challenger is promoted by (`operations.gate`)."""

    def __init__(self, registry: Registry, plan: Plan, *, gate: Callable[..., GateResult]):
        super().__init__()
        self.registry, self.plan, self.gate = registry, plan, gate
        self.reason = plan.reason or "no condition: retrained on request"
        self.check: int | None = None

    def before(self, job_id: int) -> Outcome | None:
        plan = self.plan
        if plan.when is None:
            self.detail["condition"] = {"expression": None, "said": self.reason}
            return None
        rule = Rule(plan.when)
        found = Monitor(self.registry).check(f"{plan.model}@champion", window=plan.window)
        used = {name: found.values.get(name) for name in rule.names}
        outcome = rule.evaluate(found.values)
        holds = None if outcome is None else bool(outcome)
        said = condition_said(rule, used, holds)
        self.check = found.check_id
        self.detail["condition"] = {
            "expression": rule.text,
            "check": found.check_id,
            "window": plan.window,
            "values": used,
            "holds": holds,
            "said": said,
        }
        if not holds:
            return Outcome("passed", PASSED, f"{said}: no retraining")
        self.reason = said
        return None

    def after(self, job_id: int, outcome: Outcome) -> Outcome:
        if outcome.exit_code not in (PASSED, ALERT_FIRED):  # the notebook failed: nothing to gate
            return outcome
        version, said = self._registered(job_id)
        if version is None:
            return Outcome("failed", NOTEBOOK_FAILED, said)
        self.detail["version"] = version.version
        reason = f"retrained by job {job_id}: {self.reason}"
        self.registry.promote(
            version.model,
            version.version,
            "challenger",
            reason=reason,
            evidence={"job": job_id, "check": self.check, "data": self._data(version)},
        )
        self.detail["challenger"] = f"{version.model}@challenger -> {version.version}"
        result = self._gate(version, job_id, reason=reason)
        self.detail["gate"] = result.to_dict()
        registered = f"{self.reason}; {said}"
        if not result.passed:
            return Outcome(KEPT, GATE_KEPT, f"{registered}, now the challenger; {result.why}")
        self.detail["promotion"] = result.promotion
        return Outcome(
            "passed", PASSED, f"{registered}; {result.summary()}; promoted: {result.promotion}"
        )

    def _registered(self, job_id: int) -> tuple[Version | None, str]:
        """The version the job's notebook registered, and what it did in words; of several
        the last (the one gated), and of none, why."""
        model = self.plan.model
        with self.registry.db.read() as conn:
            found = catalog.job_versions(conn, model, job_id)
        if not found:
            return None, self._nothing_new(job_id)
        self.detail["versions"] = found
        said = f"registered {model} version {found[0]}"
        if len(found) > 1:
            said = f"registered {model} versions {_listed(found)}; gated the last, {found[-1]}"
        return self.registry.get(f"{model}:{found[-1]}"), said

    def _nothing_new(self, job_id: int) -> str:
        """Why the notebook registered no version: what it registered repeated one (so no
        new version was stored), or it registered none of the model."""
        model = self.plan.model
        same = [r["version"] for r in repeated(job_folder(self.registry.home, job_id))
                if r.get("model") == model]  # fmt: skip
        if same:
            self.detail["repeated"] = same = sorted(set(same))
            what = f"version {same[0]}" if len(same) == 1 else f"versions {_listed(same)}"
            return (
                f"the notebook registered nothing new: what it trained is identical to {model} "
                f"{what} (same params, data, metrics and model), so no version was stored and "
                "there is nothing to gate; retrain on new data or change what it trains"
            )
        return (
            f"the notebook ran through but registered no version of {model}; register the "
            "model it trains (mlops.register or %mlops register) in it"
        )

    def _data(self, version: Version) -> dict[str, Any]:
        """What the notebook trained on and held out, as the registry recorded it."""
        return {
            "window": self.plan.window,
            "training_rows": version.data_rows,
            "training_fingerprint": version.data_fingerprint,
            "held_out_rows": version.reference_rows,
        }

    def _gate(self, version: Version, job_id: int, *, reason: str) -> GateResult:
        plan = self.plan
        X, y = plan.X, plan.y
        if plan.live is None and X is None:
            X, y = held_out(self.registry, version)
        return self.gate(
            model=version.model,
            challenger=version.version,
            X=X,
            y=y,
            live=plan.live,
            metric=plan.metric,
            min_gain=plan.min_gain,
            promote=True,
            reason=reason,
            evidence={"job": job_id},
            y_named=plan.named.labels,
            rows_named=plan.named.rows,
        )


def held_out(registry: Registry, version: Version) -> tuple[Any, Any]:
    """The held-out rows a version was registered with and their labels: the rows it never
    trained on, which the gate compares it with the champion on."""
    from jupyter_mlops.monitoring.versions import Versions

    sample = Versions(registry).reference_sample(version) if version.held_out else None
    if sample is None or TARGET not in sample:
        raise InvalidArgumentError(
            f"{version.model} version {version.version} was registered without held-out rows "
            "and their labels, so there is nothing to gate it on; register it with "
            "reference=(X_val, y_val) (--reference X_val y_val), or retrain with --holdout "
            "FILE --target COLUMN or --live 7d."
        )
    columns = [str(column["name"]) for column in version.schema or []]
    return sample[columns], sample[TARGET]


def condition_said(rule: Rule, used: dict[str, float | None], holds: bool | None) -> str:
    """The condition with its numbers: `drift.share 0.42 is > 0.3`, `drift.share 0.12 is
    not > 0.3`, or the expression and the values it read."""
    tree = rule.tree
    simple = tree.kind == "compare" and [c.kind for c in tree.children] == ["name", "number"]
    if simple and holds is not None:
        name, number = tree.children[0].value, tree.children[1].value
        return f"{name} {_number(used[name])} is {'' if holds else 'not '}{tree.value} {number:g}"
    values = ", ".join(f"{name} {_number(value)}" for name, value in used.items())
    verdict = {True: "holds", False: "does not hold", None: "cannot be told"}[holds]
    return f"{rule.text} {verdict} ({values})"


def _listed(numbers: list[int]) -> str:
    return ", ".join(map(str, numbers[:-1])) + f" and {numbers[-1]}"


def _number(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "unknown"
    return f"{value:.3g}"
