"""Alert actions: what a rule does when it fires besides telling a webhook.

`retrain:NOTEBOOK` starts `jupyter-mlops retrain MODEL --notebook NOTEBOOK` on the
registry the check wrote to (named as `locations.options` names it: a shared registry by its
URL and data path), as a process of its own session that outlives the check, so
a check never waits for a retraining (nor does a killed monitoring job end it). Two at
once never retrain one model: a retraining holds its model's overlap lock, and a second
records 'skipped'. The notebook's path is made absolute when the rule is added, since a
check runs in whatever directory its job runs. What the action started (the process, the
file its output goes to) is the alert log's note of the event.
"""

from __future__ import annotations

import shlex
import subprocess
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from jupyter_mlops.config import JOB_VARIABLE
from jupyter_mlops.errors import InvalidArgumentError, NotFoundError, StorageError
from jupyter_mlops.registry.locations import environment, options

if TYPE_CHECKING:
    from jupyter_mlops.registry import Registry

PREFIX = "retrain:"
OUTPUT = Path("jobs") / "retraining.log"  # under the registry home: the processes' output


def is_action(target: str) -> bool:
    """Whether `target` is an action (`retrain:...`) rather than a delivery."""
    return target.startswith(PREFIX)


def checked(target: str) -> str:
    """`retrain:NOTEBOOK` with the notebook's absolute path; refused when it is no notebook."""
    given = target.removeprefix(PREFIX).strip()
    path = Path(given).expanduser().absolute()
    if path.suffix != ".ipynb":
        raise InvalidArgumentError(
            f"the action {target!r} names {given!r}, which is not a notebook (.ipynb); write "
            "retrain:examples/retrain.ipynb with the training notebook's path."
        )
    if not path.is_file():
        raise NotFoundError(
            f"the action {target!r} names the notebook {str(path)!r}, which does not exist; "
            "check the path (a relative one is read from the current directory)."
        )
    return f"{PREFIX}{path}"


def command(target: str, *, registry: Registry, model: str, reason: str) -> list[str]:
    """The command line an action runs: retrain `model` with the action's notebook."""
    cli = [sys.executable, "-m", "jupyter_mlops.cli", *options(registry)]
    return [*cli, *_retrain_words(target, model), "--reason", reason]


def start(target: str, *, registry: Registry, model: str, reason: str) -> str:
    """Start the action's process, detached, `reason` saying why for the audit trail; what
    was started, in words."""
    words = command(target, registry=registry, model=model, reason=reason)
    log = registry.home / OUTPUT
    env = environment(registry)
    env.pop(JOB_VARIABLE, None)  # not the check's job
    try:
        log.parent.mkdir(parents=True, exist_ok=True)
        with open(log, "ab") as output:
            child = subprocess.Popen(
                words,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )
    except OSError as exc:
        raise StorageError.of(
            exc, log.parent, doing="start the retraining", outcome="nothing was started"
        ) from None
    # reaped when it ends, so a long-lived kernel that started it keeps no zombie behind
    threading.Thread(target=child.wait, name="mlops-retraining", daemon=True).start()
    # a path's spaces and quotes as typed; the registry (a URL's password) left out
    shown = shlex.join(["jupyter-mlops", *_retrain_words(target, model)])
    return f"started `{shown}` as process {child.pid} (its output: {log})"


def _retrain_words(target: str, model: str) -> list[str]:
    return ["retrain", model, "--notebook", target.removeprefix(PREFIX)]
