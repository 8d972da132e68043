"""What a job's run comes to: its status, its exit code and one message saying why.

The exit codes are the command line's (commands/exits.py names the same numbers for the
faces; a test holds them equal): a scheduler, CI or a shell script tells from them why a
job did not pass.
"""

from __future__ import annotations

import signal
from dataclasses import dataclass
from typing import Any

from jupyter_mlops.automation import notebooks
from jupyter_mlops.automation.cadence import spoken
from jupyter_mlops.registry.display import counted

PASSED = 0
ALERT_FIRED = 3  # a rule of the job's model fired during the job, or is still firing
NOTEBOOK_FAILED = 10  # a cell raised (or papermill could not run the notebook)
TIMED_OUT = 11  # killed at its timeout
SKIPPED = 12  # the previous run of the same job is still going
GATE_KEPT = 13  # a retraining's gate kept the champion: nothing was promoted
STOPPED_BY = 128  # stopped by a signal: 128 + its number, as a shell reports it (130 Ctrl-C)


class Stopped(KeyboardInterrupt):
    """The runner was asked to stop by signal `signum` (Ctrl-C sends SIGINT); once the job
    is finished as stopped, raised again holding it (`job`)."""

    def __init__(self, signum: int = signal.SIGINT, *, job: Any = None) -> None:
        super().__init__(signum)
        self.signum = int(signum)
        self.job = job


@dataclass(frozen=True)
class Found:
    """How the notebook's run ended, as the runner saw it."""

    seconds: float
    timed_out: bool = False
    returncode: int = 0
    failure: notebooks.Failure | None = None
    last_words: str = ""
    stored: bool = False
    signum: int = 0  # the signal that stopped the runner; 0: none did
    timeout: float | None = None
    running: int | None = None  # the cell papermill last started (`In [n]`), when it failed

    @classmethod
    def of(
        cls,
        execution: notebooks.Execution,
        data: bytes | None,
        *,
        seconds: float,
        timeout: float | None,
    ) -> Found:
        raised = execution.returncode != 0 and not execution.timed_out and data is not None
        return cls(
            seconds,
            timed_out=execution.timed_out,
            returncode=execution.returncode,
            failure=notebooks.failure(data) if raised and data is not None else None,
            last_words=execution.last_words,
            stored=data is not None,
            timeout=timeout,
            running=notebooks.last_started(data) if raised and data is not None else None,
        )

    @classmethod
    def stopped(cls, seconds: float, *, signum: int) -> Found:
        """The runner was stopped by `signum` (Ctrl-C, SIGTERM) and killed the notebook."""
        return cls(seconds, signum=signum)


@dataclass(frozen=True)
class Outcome:
    status: str
    exit_code: int
    message: str


class Steps:
    """What a kind of job does around its notebook: `before` it runs (an Outcome ends the
    job there, the notebook not run) and `after` (given how the notebook's run came out,
    the job's result). `detail` is what the steps add to the job's detail."""

    def __init__(self) -> None:
        self.detail: dict[str, Any] = {}

    def before(self, job_id: int) -> Outcome | None:
        return None

    def after(self, job_id: int, outcome: Outcome) -> Outcome:
        return outcome


def verdict(
    found: Found,
    *,
    checks: list[int],
    fired: list[dict[str, Any]],
    firing: list[dict[str, Any]],
    model: str | None,
) -> Outcome:
    """The job's status, exit code and message from how it ran and what fires now."""
    alerts = _alerts(fired, firing)
    if found.signum:
        name = signal.Signals(found.signum).name
        said = f"stopped by {name}{' (Ctrl-C)' if name == 'SIGINT' else ''}: the runner killed "
        stopped = said + "the notebook before it finished"
        return Outcome("stopped", STOPPED_BY + found.signum, _joined(stopped, alerts))
    if found.timed_out:
        kept = (
            "the stored notebook is what papermill had written by then"
            if found.stored
            else "papermill had written no notebook yet, so none is stored"
        )
        limit = "" if found.timeout is None else f" of {spoken(found.timeout)}"
        killed = f"killed at its timeout{limit}; {kept}"
        return Outcome("timeout", TIMED_OUT, _joined(killed, alerts))
    if found.returncode != 0:
        return Outcome("failed", NOTEBOOK_FAILED, _joined(_failed(found), alerts))
    if alerts:
        return Outcome("alert", ALERT_FIRED, "; ".join(alerts))
    recorded = f"{counted(len(checks), 'check')} recorded, no alert fired"
    return Outcome("passed", PASSED, recorded + (f", no rule of {model} firing" if model else ""))


def _failed(found: Found) -> str:
    if found.failure is not None:
        cell = "a cell" if found.failure.cell is None else f"cell In [{found.failure.cell}]"
        return f"{cell} raised {found.failure.error}"
    said = found.last_words
    at = "" if found.running is None else f" at cell In [{found.running}]"
    if "NotebookValidationError" in said:  # the cell ran; its output cannot be stored
        return (
            f"papermill could not store an output of cell In [{found.running or '?'}], "
            f"which is not valid in a notebook ({said}); have that cell display text, "
            "or JSON without NaN or infinity"
        )
    return f"papermill could not run the notebook (exit {found.returncode}){at}" + (
        f": {said}" if said else ""
    )


def _alerts(fired: list[dict[str, Any]], firing: list[dict[str, Any]]) -> list[str]:
    """A sentence per rule that fired in the job's checks, or is still firing."""
    said = [
        f"rule {row['rule']} ({row['expression']}) fired in check {row['check']}" for row in fired
    ]
    new = {row["rule"] for row in fired}
    said += [
        f"rule {row['rule']} ({row['expression']}) is still firing"
        for row in firing
        if row["rule"] not in new
    ]
    return said


def _joined(first: str, alerts: list[str]) -> str:
    return "; ".join([first, *alerts])
