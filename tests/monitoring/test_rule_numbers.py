"""Numbers in alert rules are read as written: sign, finiteness and the digits 0-9."""

from __future__ import annotations

import pytest

from jupyter_mlops import Monitor
from jupyter_mlops.errors import InvalidArgumentError


@pytest.mark.parametrize(
    ("expression", "says"),
    [
        ("psi.n0 > -1e999", "holds the number -1e999, which is past the largest"),
        ("psi.n0 > -1e999", "would be -infinity"),
        ("psi.n0 > nan", "holds nan, a number that is not finite"),
        ("psi.n0 < -inf", "holds -inf, a number that is not finite"),
        ("psi.n0 > ١", "holds '١', a digit other than 0-9"),
        ("psi.n0 > 0.١", "holds '١', a digit other than 0-9"),
    ],
)
def test_a_number_a_check_cannot_read_as_written_is_refused(
    monitor: Monitor, expression: str, says: str
) -> None:
    with pytest.raises(InvalidArgumentError) as refused:
        monitor.add_alert("churn@champion", expression)
    assert says in str(refused.value) and "no check produces" not in str(refused.value)
    assert list(monitor.alerts("churn")) == []


def test_a_finite_negative_number_is_still_a_rule(monitor: Monitor) -> None:
    rule = monitor.add_alert("churn@champion", "psi.n0 > -1e300")
    assert rule.expression == "psi.n0 > -1e300"
