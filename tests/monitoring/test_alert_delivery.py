"""Delivering alerts: a total deadline per target, addresses checked, passwords never shown.

The receivers are real local servers: `Receiver` (tests/monitoring/test_alerts.py) answers
HTTP, and `Trickler` answers one header line every 2 s without ever ending its headers.
Checks run through the real `jupyter-mlops` command in a subprocess where a user would.
"""

from __future__ import annotations

import base64
import select
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from jupyter_mlops import Monitor
from jupyter_mlops.clock import utc_now
from jupyter_mlops.errors import InvalidArgumentError
from jupyter_mlops.monitoring import synthetic
from jupyter_mlops.store import monitoring as sql
from tests.conftest import free_port, wait_for
from tests.monitoring.test_alerts import Receiver

SECRET = "hunter2-secret"


class Trickler:
    """A receiver that answers a status line, then one header line every 2 s, forever; it
    notes each connection it accepts and each one its client closes."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"webhook:http://127.0.0.1:{self.listener.getsockname()[1]}/hook"
        self.accepted: list[int] = []
        self.closed: list[int] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return  # closed
            self.accepted.append(len(self.accepted))
            threading.Thread(
                target=self._trickle, args=(connection, self.accepted[-1]), daemon=True
            ).start()

    def _trickle(self, connection: socket.socket, number: int) -> None:
        with connection:
            try:
                connection.sendall(b"HTTP/1.1 200 OK\r\n")
                while True:
                    readable, _, _ = select.select([connection], [], [], 2.0)
                    if not readable:
                        connection.sendall(b"X-Still-Thinking: yes\r\n")
                    elif not connection.recv(65536):
                        break  # the client closed its end
            except OSError:
                pass  # or reset it
            self.closed.append(number)

    def close(self) -> None:
        self.listener.close()


@pytest.fixture
def current(tmp_path: Path) -> Path:
    path = tmp_path / "current.parquet"
    synthetic.features(2_000, seed=53).to_parquet(path)
    return path


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


def cli(home: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """`jupyter-mlops --home HOME ARGS...` in its own process; past `timeout` s, a failure."""
    command = [sys.executable, "-m", "jupyter_mlops.cli", "--home", str(home), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout)


def test_a_receiver_that_trickles_its_headers_cannot_hold_a_check(
    monitor: Monitor, current: Path
) -> None:
    trickler = Trickler()
    prompt = Receiver(witness=lambda: len(trickler.closed))
    try:
        slow = monitor.add_alert("churn@champion", "rows > 0", notify=[trickler.url])
        fast = monitor.add_alert("churn@champion", "rows > 1", notify=[prompt.url])
        home = monitor.registry.home
        done = cli(home, "check", "churn@champion", "--current", str(current), "--no-multivariate")
        assert done.returncode == 3, done.stderr  # an alert fired; the check ended (within 60 s)
        # each attempt was cut by its deadline: the receiver saw every connection closed
        wait_for(
            lambda: len(trickler.closed) == len(trickler.accepted) == 3, "the closes", seconds=30
        )
        assert [m["rule_id"] for m in prompt.received] == [fast.id]
        assert prompt.witnessed[0] < 3  # delivered while the trickler still held a connection
    finally:
        trickler.close()
        prompt.close()
    log = {event.rule_id: event for event in monitor.alert_log("churn")}
    assert log[fast.id].delivered and log[fast.id].attempts == 1
    assert not log[slow.id].delivered and log[slow.id].attempts == 3
    assert log[slow.id].error == f"{trickler.url}: no complete answer within 3 s"
    assert "no complete answer within 3 s" in done.stdout and "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("target", "problem"),
    [
        ("webhook:http://[::1", "'http://[::1' cannot be read (Invalid IPv6 URL)"),
        ("webhook:http://::1]/hook", "cannot be read (Invalid IPv6 URL)"),
        ("webhook:http://", "names no host"),
        ("webhook:http:///hook", "names no host"),
        ("webhook:http://example.com:99999/hook", "cannot be read (Port out of range"),
        ("webhook:http://example.com:https/hook", "cannot be read (Port could not be cast"),
        ("webhook:http://example.com:0/hook", "names port 0"),
        ("webhook:ftp://example.com/hook", "is not an http(s) URL"),
        ("webhook:example.com/hook", "is not an http(s) URL"),
        ("webhook:http://example.com/a hook", "contains a space or a control character"),
        ("webhook:http://example.com/caf\u00e9", "contains a character outside ASCII"),
        ("slack:#ops", "cannot deliver alerts to 'slack:#ops'"),
    ],
)
def test_a_webhook_address_is_checked_when_the_rule_is_added(
    monitor: Monitor, target: str, problem: str
) -> None:
    with pytest.raises(InvalidArgumentError, match="webhook:http://host:port/path") as refused:
        monitor.add_alert("churn@champion", "rows > 0", notify=[target])
    message = str(refused.value)
    assert problem in message and "\n" not in message and message.endswith(".")
    assert len(monitor.alerts()) == 0


def test_good_webhook_addresses_are_kept_as_written(monitor: Monitor) -> None:
    targets = [
        "webhook:http://[::1]:8080/hook",
        "webhook:https://hooks.example.com/services/T0/B0?channel=ops",
        "webhook:http://127.0.0.1/",
    ]
    rule = monitor.add_alert("churn@champion", "rows > 0", notify=targets)
    assert rule.notify == targets == monitor.alerts("churn")[0].notify


def test_a_bad_address_stored_earlier_fails_only_its_own_delivery(
    monitor: Monitor, receiver: Receiver, current: Path
) -> None:
    home = monitor.registry.home
    now = utc_now()
    with monitor.registry.db.write() as conn:  # as a version that did not check addresses did
        old = sql.insert_rule(
            conn,
            {
                "model": "churn",
                "alias": "champion",
                "expression": "rows > 0",
                "notify": "webhook:http://[::1",
                "created_at": now,
                "created_by": "an older version",
                "state": "ok",
                "state_since": now,
            },
        )
    good = monitor.add_alert("churn@champion", "rows > 1", notify=[receiver.url])
    done = cli(home, "check", "churn@champion", "--current", str(current), "--no-multivariate")
    assert done.returncode == 3 and "Traceback" not in done.stderr, done.stderr
    assert "delivery failed: rows > 0: webhook:http://[::1: the webhook address" in done.stdout
    assert [m["rule_id"] for m in receiver.received] == [good.id]
    log = {event.rule_id: event for event in monitor.alert_log("churn")}
    assert log[good.id].delivered
    assert not log[old].delivered and log[old].attempts == 0
    assert "'http://[::1' cannot be read (Invalid IPv6 URL)" in (log[old].error or "")
    again = cli(home, "check", "churn@champion", "--current", str(current), "--no-multivariate")
    assert again.returncode == 0 and "Traceback" not in again.stderr  # both still firing
    listed = cli(home, "alert", "list", "churn")
    assert listed.returncode == 0 and "webhook:http://[::1" in listed.stdout
    refused = cli(
        home, "alert", "add", "churn@champion", "rows > 2", "--notify", "webhook:http://[::1"
    )
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1, refused.stderr
    assert "cannot be read (Invalid IPv6 URL)" in refused.stderr


def test_a_webhook_password_is_used_but_never_shown(
    monitor: Monitor, receiver: Receiver, current: Path
) -> None:
    port = receiver.url.rsplit(":", 1)[1]
    reachable = f"webhook:http://ops:{SECRET}@127.0.0.1:{port}"
    down = f"webhook:http://ops:{SECRET}@127.0.0.1:{free_port()}/hook"
    rule = monitor.add_alert("churn@champion", "rows > 0", notify=[reachable, down])
    result = monitor.check("churn@champion", synthetic.features(2_000, seed=53), multivariate=False)
    credentials = base64.b64encode(f"ops:{SECRET}".encode()).decode()
    assert receiver.authorizations == [f"Basic {credentials}"]  # delivery used the real URL
    (alert,) = result.alerts
    assert not alert.delivered and "ops:***@127.0.0.1" in (alert.error or "")
    home, bad = monitor.registry.home, f"webhook:http://ops:{SECRET}@[::1/hook"
    with pytest.raises(InvalidArgumentError) as refused:
        monitor.add_alert("churn@champion", "rows > 1", notify=[bad])
    rules, log = monitor.alerts("churn"), monitor.alert_log("churn")
    shown = [
        repr(rule),
        str(rules),
        rules._repr_html_(),
        rules.to_frame().to_string(),
        repr(result),
        result._repr_html_(),
        repr(result.alerts),
        repr(alert),
        repr(result.evaluations),
        str(log),
        log._repr_html_(),
        log.to_frame().to_string(),
        str(refused.value),
        *_outputs(cli(home, "alert", "list")),
        *_outputs(cli(home, "alert", "log", "churn")),
        *_outputs(cli(home, "alert", "add", "churn@champion", "rows > 2", "--notify", down)),
        *_outputs(cli(home, "alert", "add", "churn@champion", "rows > 3", "--notify", bad)),
        *_outputs(cli(home, "check", "churn@champion", "--current", str(current))),  # fires
        repr(monitor.remove_alert(rule.id)),
    ]
    assert [text for text in shown if SECRET in text] == []
    assert f"webhook:http://ops:***@127.0.0.1:{port}" in repr(rule)


def _outputs(done: subprocess.CompletedProcess[str]) -> list[str]:
    return [done.stdout, done.stderr]


def test_every_user_name_password_and_query_value_is_masked_but_sent(
    monitor: Monitor, receiver: Receiver, current: Path
) -> None:
    """Addresses as a hurried user writes them: the scheme forgotten, an @ in a password,
    a token in the query string, a token as the user name."""
    home, port = monitor.registry.home, receiver.url.rsplit(":", 1)[1].partition("/")[0]
    no_scheme = cli(
        home, "alert", "add", "churn@champion", "rows > 0",
        "--notify", f"webhook:bob:{SECRET}@127.0.0.1:{port}/x",
    )  # fmt: skip
    assert no_scheme.returncode == 2 and no_scheme.stderr.count("\n") == 1, no_scheme.stderr
    assert f"'bob:***@127.0.0.1:{port}/x' is not an http(s) URL" in no_scheme.stderr
    two_ats = cli(
        home, "alert", "add", "churn@champion", "rows > 0",
        "--notify", f"webhook:http://bob@{SECRET}@127.0.0.1:{port}/x",
    )  # fmt: skip
    assert two_ats.returncode == 2 and two_ats.stderr.count("\n") == 1, two_ats.stderr
    assert f"'http://***@127.0.0.1:{port}/x' has more than one @ before its host" in two_ats.stderr
    in_query = f"webhook:http://127.0.0.1:{port}/hook?team=ops&token={SECRET}"
    as_user = f"webhook:http://{SECRET}@127.0.0.1:{port}/hook"
    added = cli(home, "alert", "add", "churn@champion", "rows > 0", "--notify", in_query, as_user)
    assert added.returncode == 0, added.stderr
    assert f"/hook?team=***&token=*** webhook:http://***@127.0.0.1:{port}/hook" in added.stdout
    assert monitor.alerts("churn")[0].notify == [in_query, as_user]  # kept as written
    checked = cli(home, "check", "churn@champion", "--current", str(current), "--no-multivariate")
    assert checked.returncode == 3, checked.stderr
    # delivered to the real address: the query as written, the user name as basic auth
    assert sorted(receiver.paths) == ["/hook", f"/hook?team=ops&token={SECRET}"]
    token = base64.b64encode(f"{SECRET}:".encode()).decode()
    assert sorted(receiver.authorizations, key=str) == [f"Basic {token}", None]
    rules, log = monitor.alerts("churn"), monitor.alert_log("churn")
    shown = [
        *_outputs(no_scheme),
        *_outputs(two_ats),
        *_outputs(added),
        *_outputs(checked),
        *_outputs(cli(home, "alert", "list", "churn")),
        *_outputs(cli(home, "alert", "log", "churn")),
        repr(rules),
        rules._repr_html_(),
        rules.to_frame().to_string(),
        str(log),
        log._repr_html_(),
    ]
    assert [text for text in shown if SECRET in text] == []
