"""`--refresh`: the browser's timer asks, the kernel reads once and answers; `%mlops
dashboard` in a real shell; a refresh span that is no span is refused."""

from __future__ import annotations

import pytest
from IPython.core.interactiveshell import InteractiveShell

from jupyter_mlops import Registry
from jupyter_mlops.errors import InvalidArgumentError
from jupyter_mlops.widgets import dashboard
from jupyter_mlops.widgets.dashboard import every
from jupyter_mlops.widgets.model import ModelDashboard
from tests.conftest import wait_for
from tests.widgets.conftest import connecting


def test_a_tick_from_the_browser_reads_once_and_is_answered(registry: Registry) -> None:
    dash = dashboard(registry, "churn", refresh="30s")
    assert isinstance(dash, ModelDashboard)
    dash.opening.result(timeout=60)
    ticker = dash.ticker
    assert ticker.seconds == 30 and ticker.answered == 0
    registry.rollback("churn", reason="from elsewhere")
    ticker._handle_custom_msg({"refresh": 0}, [])  # what the front end's timer sends
    wait_for(lambda: ticker.answered == 1, "the refresh to be answered")
    assert "from elsewhere" in dash.controls.audit.value


@pytest.mark.parametrize("given", ["30s", "5m", "1h", 45, "12.5s", "1d"])
def test_spans_of_refresh(given: str | int) -> None:
    expected = {"30s": 30, "5m": 300, "1h": 3600, 45: 45, "12.5s": 12.5, "1d": 86_400}
    assert every(given) == expected[given]


@pytest.mark.parametrize("given", ["0s", "1s", "soon", "-5m", "2d", "", "٣٠s"])
def test_a_refresh_that_is_no_span_is_refused(given: str) -> None:
    with pytest.raises(InvalidArgumentError, match="cannot refresh every"):
        every(given)


@pytest.mark.backends("file", "lake")
def test_the_magic_opens_the_fleet_and_a_model(
    ipython: InteractiveShell, registry: Registry
) -> None:
    ipython.run_cell(f"%mlops connect {connecting(registry)}").raise_error()
    fleet = ipython.run_cell("%mlops dashboard")
    fleet.raise_error()
    fleet.result.opening.result(timeout=60)
    assert "churn" in fleet.result.static_html()
    one = ipython.run_cell("dash = %mlops dashboard churn --refresh 1m")
    one.raise_error()
    assert ipython.user_ns["dash"].ticker.seconds == 60
    wrong = ipython.run_cell("%mlops dashboard churn@nope")
    assert not wrong.success and "give its name alone" in str(wrong.error_in_exec)
    bad = ipython.run_cell("%mlops dashboard churn --refresh soon")
    assert not bad.success and "--refresh 30s" in str(bad.error_in_exec)
