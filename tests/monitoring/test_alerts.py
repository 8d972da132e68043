"""Alert rules: parsing, evaluation, state per rule, delivery to a real local webhook."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from jupyter_mlops import Monitor
from jupyter_mlops.errors import InvalidArgumentError, NotFoundError
from jupyter_mlops.monitoring import synthetic
from jupyter_mlops.monitoring.rules import Rule
from tests.conftest import free_port

# every test of this file that uses `monitor` runs on a file and on a shared registry
BACKENDS = ("file", "lake")


class Receiver:
    """A webhook receiver on a free loopback port that records what it is sent."""

    def __init__(
        self, *, hold: bool = False, status: int = 200, witness: Callable[[], object] = list
    ) -> None:
        """`hold`: answer nothing until closed (a webhook that has stopped answering)."""
        self.released = released = threading.Event()
        if not hold:
            released.set()
        received: list[dict] = []
        self.received = received
        self.authorizations: list[str | None] = []
        self.paths: list[str] = []  # each request's path and query
        self.witnessed: list[object] = []  # what `witness` said as each alert arrived
        authorizations, paths, witnessed = self.authorizations, self.paths, self.witnessed

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                released.wait()
                received.append(json.loads(body))
                authorizations.append(self.headers["Authorization"])
                paths.append(self.path)
                witnessed.append(witness())
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"webhook:http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


def test_rules_parse_and_evaluate_with_unknowns() -> None:
    rule = Rule("drift.share > 0.3 or (auc < 0.85 and not drift.prediction)")
    assert rule.names == ["drift.share", "auc", "drift.prediction"]
    assert rule.evaluate({"drift.share": 0.5}) is True
    assert rule.evaluate({"drift.share": 0.1, "auc": 0.8, "drift.prediction": 0}) is True
    assert rule.evaluate({"drift.share": 0.1}) is None  # auc unknown: neither fires nor recovers
    assert rule.evaluate({"drift.share": 0.1, "auc": 0.9}) is False
    assert Rule("psi.`n0` >= -1e-3").evaluate({"psi.n0": 0.0}) is True


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("drift.share >", "ends too early"),
        ("__import__('os').system('true')", "cannot read the alert rule"),
        ("drift.share > 0.3 or", "ends too early"),
        ("(auc < 0.8", "not closed"),
        ("", "is empty"),
    ],
)
def test_malformed_rules_are_refused_without_evaluation(text: str, message: str) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        Rule(text)


def test_unknown_names_are_refused_with_a_suggestion(monitor: Monitor) -> None:
    with pytest.raises(
        InvalidArgumentError, match=r"names 'drift.shares'.*did you mean 'drift.share'"
    ):
        monitor.add_alert("churn@champion", "drift.shares > 0.3")
    with pytest.raises(InvalidArgumentError, match="cannot deliver alerts to 'mailto:x'"):
        monitor.add_alert("churn@champion", "drift.share > 0.3", notify=["mailto:x"])


def test_an_alert_fires_once_while_it_holds_and_reports_recovery(
    monitor: Monitor, receiver: Receiver
) -> None:
    rule = monitor.add_alert("churn@champion", "drift.share > 0.2", notify=[receiver.url])
    calm = synthetic.features(20_000, seed=51)
    shifted = synthetic.features(20_000, shifted=True, seed=52)
    first = monitor.check("churn@champion", calm, multivariate=False)
    assert first.alerts == [] and first.firing == []
    second = monitor.check("churn@champion", shifted, multivariate=False)
    assert [a.rule_id for a in second.alerts] == [rule.id]
    third = monitor.check("churn@champion", shifted, multivariate=False)
    assert third.alerts == [] and third.firing == ["drift.share > 0.2"]
    fourth = monitor.check("churn@champion", calm, multivariate=False)
    assert [a.kind for a in fourth.recoveries] == ["recovered"]
    assert [(m["event"], m["check_id"]) for m in receiver.received] == [
        ("fired", second.check_id),
        ("recovered", fourth.check_id),
    ]
    assert receiver.received[0]["values"]["drift.share"] == pytest.approx(6 / 25)
    log = monitor.alert_log("churn")
    assert [e.kind for e in log] == ["recovered", "fired"] and all(e.delivered for e in log)
    assert monitor.alerts("churn")[0].state == "ok"


def test_a_webhook_that_is_down_or_slow_is_bounded_and_recorded(
    monitor: Monitor, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jupyter_mlops.monitoring import delivery

    monkeypatch.setattr(delivery, "TIMEOUT", 0.5)
    slow = Receiver(hold=True)
    try:
        down = f"webhook:http://127.0.0.1:{free_port()}/hook"
        monitor.add_alert("churn@champion", "rows > 0", notify=[down, slow.url])
        result = monitor.check(
            "churn@champion", synthetic.features(2_000, seed=53), multivariate=False
        )
    finally:
        slow.close()
    (alert,) = result.alerts
    assert not alert.delivered and alert.attempts == 6
    assert "Connection refused" in (alert.error or "")
    assert "no complete answer within 0.5 s" in (alert.error or "")
    (event,) = monitor.alert_log("churn")
    assert not event.delivered and "Connection refused" in (event.error or "")


def test_the_alert_log_says_no_target_where_a_rule_has_none(
    monitor: Monitor, receiver: Receiver
) -> None:
    monitor.add_alert("churn@champion", "rows > 0")
    monitor.add_alert("churn@champion", "rows > 1", notify=[receiver.url])
    monitor.check("churn@champion", synthetic.features(2_000, seed=54), multivariate=False)
    log = monitor.alert_log("churn")
    shown = log.to_frame().set_index("rule")[["delivered", "attempts"]]
    assert shown.loc["rows > 0"].tolist() == ["no target", "-"]
    assert shown.loc["rows > 1"].tolist() == ["yes", 1]
    logged_only = next(line for line in str(log).splitlines() if "rows > 0" in line)
    assert "no target  -" in logged_only and "yes" not in logged_only
    assert "no target" in log._repr_html_()


def test_a_rule_over_hundreds_of_features_is_checked_and_a_deep_one_refused(
    monitor: Monitor,
) -> None:
    """A rule generated over a wide table's features (600 terms, 8.9k characters) is
    accepted and evaluated by every check; one nested past the limit is refused when added,
    never accepted to break the checks later."""
    features = [*synthetic.NUMERIC, *synthetic.CATEGORICAL]
    wide = " or ".join(f"psi.{features[i % len(features)]} > {1 + i}" for i in range(600))
    assert len(wide) > 8_000
    rule = monitor.add_alert("churn@champion", wide + " or drift.share > 0.2")
    shifted = monitor.check(
        "churn@champion", synthetic.features(20_000, shifted=True, seed=53), multivariate=False
    )
    assert [a.rule_id for a in shifted.alerts] == [rule.id]
    assert Rule("not " * 40 + "auc < 1").evaluate({"auc": 0.5}) is True
    assert Rule(" and ".join(["rows > 1"] * 3 + ["auc < 1"])).evaluate({"rows": 5}) is None
    assert Rule("rows > 9 and auc < 1").evaluate({"rows": 5}) is False
    deep = "(" * 60 + "auc < 0.9" + ")" * 60
    with pytest.raises(InvalidArgumentError, match="nests deeper than 50 levels"):
        monitor.add_alert("churn@champion", deep)
    assert [r.id for r in monitor.alerts("churn")] == [rule.id]


def test_rules_can_be_listed_and_removed(monitor: Monitor) -> None:
    rule = monitor.add_alert("churn@champion", "psi.n3 > 0.2")
    assert [r.expression for r in monitor.alerts()] == ["psi.n3 > 0.2"]
    monitor.remove_alert(rule.id)
    assert len(monitor.alerts("churn")) == 0
    with pytest.raises(NotFoundError, match=f"no alert rule {rule.id}"):
        monitor.remove_alert(rule.id)


def test_a_rule_added_again_is_the_rule_in_force_not_a_second_one(monitor: Monitor) -> None:
    """A notebook's cell run again adds nothing: two copies would each fire every alert."""
    HOOK = "webhook:http://127.0.0.1:9/alerts"  # never called: nothing is checked
    first = monitor.add_alert("churn@champion", "drift.share > 0.3", notify=[HOOK])
    again = monitor.add_alert("churn@champion", "drift.share  >  0.3", notify=[HOOK])
    assert again.id == first.id
    both = monitor.add_alert("churn@champion", "rows > 1", notify=[HOOK, HOOK + "/b"])
    assert monitor.add_alert("churn@champion", "rows > 1", notify=[HOOK + "/b", HOOK]).id == both.id
    monitor.remove_alert(both.id)
    other = monitor.add_alert("churn@champion", "drift.share > 0.3")  # no target: another rule
    assert other.id != first.id
    assert [r.id for r in monitor.alerts("churn")] == [first.id, other.id]
    monitor.remove_alert(first.id)
    assert monitor.add_alert("churn@champion", "drift.share > 0.3", notify=[HOOK]).id
    assert len(monitor.alerts("churn")) == 2  # a removed rule is not in force


CHECKER = """
import sys
from jupyter_mlops import Monitor, Registry
from jupyter_mlops.monitoring import synthetic
current = synthetic.features(20_000, shifted=True, seed=int(sys.argv[2]))
sys.stdin.readline()  # both processes start checking together
result = Monitor(Registry(sys.argv[1])).check("churn@champion", current, multivariate=False)
print(len(result.alerts))
"""


def test_two_checks_at_once_fire_an_alert_once(monitor: Monitor) -> None:
    import subprocess
    import sys

    monitor.add_alert("churn@champion", "drift.share > 0.2")
    checkers = [
        subprocess.Popen(
            [sys.executable, "-c", CHECKER, monitor.registry.location, str(seed)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for seed in (71, 72)
    ]
    for checker in checkers:
        assert checker.stdin is not None
        checker.stdin.write("go\n")
        checker.stdin.flush()
    fired = [int(checker.communicate(timeout=300)[0].strip()) for checker in checkers]
    assert sorted(fired) == [0, 1]
    assert [e.kind for e in monitor.alert_log("churn")] == ["fired"]
    with monitor.registry.db.read() as conn:
        checks = conn.execute("SELECT count(*) FROM checks WHERE kind = 'check'").fetchone()
    assert checks == (2,)
