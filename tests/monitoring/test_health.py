"""The health rule on plain records: what each health needs, and which wins when several hold."""

from __future__ import annotations

from datetime import datetime

from jupyter_mlops.monitoring.health import (
    DriftReading,
    FiringRule,
    MetricReading,
    judge,
    registered_value,
)

FIRING = [FiringRule(3, "auc < 0.85", datetime(2026, 11, 30, 14, 0))]
DRIFTED = DriftReading(7, features=9, drifted=["age", "income"])
STILL = DriftReading(7, features=9)


def auc(low: float, high: float, *, registered: float | None = 0.91) -> MetricReading:
    return MetricReading(8, "auc", 3, (low + high) / 2, low, high, False, registered)


def test_a_model_without_checks_is_never_checked_whatever_else_is_given() -> None:
    judged = judge(checked=False, firing=FIRING, drift=DRIFTED)
    assert (judged.state, judged.why) == (
        "never checked",
        "no check is stored for any of its versions",
    )


def test_a_firing_rule_outranks_worse_metrics_and_drift() -> None:
    judged = judge(checked=True, firing=FIRING, metrics=[auc(0.78, 0.84)], drift=DRIFTED)
    assert judged.state == "alerting"
    assert judged.why == "rule 'auc < 0.85' firing since 2026-11-30 14:00 UTC"


def test_a_metric_whose_interval_lies_below_its_registered_value_is_degraded() -> None:
    judged = judge(checked=True, metrics=[auc(0.78, 0.84)], drift=DRIFTED)
    assert judged.state == "degraded"
    assert judged.why == "auc 0.81 [0.78, 0.84] is below 0.91 registered with version 3 (check 8)"


def test_an_interval_that_reaches_the_registered_value_claims_nothing() -> None:
    assert judge(checked=True, metrics=[auc(0.80, 0.92)], drift=STILL).state == "ok"
    assert judge(checked=True, metrics=[auc(0.5, 0.6, registered=None)]).state == "ok"
    assert judge(checked=True, metrics=[auc(0.80, 0.92)], drift=DRIFTED).state == "drifting"


def test_for_a_loss_higher_is_worse() -> None:
    loss = MetricReading(8, "log_loss", 2, 0.52, 0.48, 0.56, False, 0.40)
    judged = judge(checked=True, metrics=[loss])
    assert judged.state == "degraded" and "is above 0.4 registered with version 2" in judged.why
    lower = MetricReading(8, "mae", 2, 1.0, 0.9, 1.1, True, 1.5)
    assert judge(checked=True, metrics=[lower]).state == "ok"


def test_a_drifted_feature_or_multivariate_drift_is_drifting() -> None:
    judged = judge(checked=True, drift=DRIFTED)
    assert (judged.state, judged.why) == (
        "drifting",
        "2 of 9 features drifted (age, income) in check 7",
    )
    joint = DriftReading(7, features=9, multivariate_auc=0.7, multivariate_threshold=0.55)
    assert judge(checked=True, drift=joint).state == "drifting"
    below = DriftReading(7, features=9, multivariate_auc=0.52, multivariate_threshold=0.55)
    assert judge(checked=True, drift=below).state == "ok"


def test_a_registered_metric_is_found_however_it_was_spelled() -> None:
    assert registered_value({"ROC_AUC": 0.9}, "auc") == 0.9
    assert registered_value({"note": "x", "auc": "high"}, "auc") is None
