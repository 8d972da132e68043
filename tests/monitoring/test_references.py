"""A version named any way a reference allows (`churn`, `churn@champion`, `churn:1`,
`churn@1`) reaches the same drift history, alert rules and alert log."""

from __future__ import annotations

import pytest

from jupyter_mlops import Monitor
from jupyter_mlops.errors import InvalidArgumentError
from jupyter_mlops.monitoring import synthetic

# every test of this file that uses `monitor` runs on a file and on a shared registry
BACKENDS = ("file", "lake")

NAMES = ["churn", "churn@champion", "churn:1", "churn@1", "churn@latest"]


def test_every_name_of_a_version_finds_its_history_rules_and_alert_log(monitor: Monitor) -> None:
    rule = monitor.add_alert("churn@champion", "drift.share > 0.2")
    shifted = synthetic.features(20_000, shifted=True, seed=52)
    fired = monitor.check("churn@champion", shifted, multivariate=False)
    assert [a.rule_id for a in fired.alerts] == [rule.id]
    for name in NAMES:
        assert len(monitor.history(name)) == 1, name
        assert [r.id for r in monitor.alerts(name)] == [rule.id], name
        assert [e.kind for e in monitor.alert_log(name)] == ["fired"], name


def test_a_rule_on_a_version_number_written_with_at_is_on_that_version(monitor: Monitor) -> None:
    rule = monitor.add_alert("churn@1", "drift.share > 0.2")
    assert rule.ref == "churn@1"
    assert [r.id for r in monitor.alerts("churn:1")] == [rule.id]


@pytest.mark.parametrize("name", ["churn@", "@champion"])
def test_a_reference_that_names_nothing_is_refused_not_answered_empty(
    monitor: Monitor, name: str
) -> None:
    with pytest.raises(InvalidArgumentError):
        monitor.alerts(name)
    with pytest.raises(InvalidArgumentError):
        monitor.alert_log(name)
