"""A schedule's crontab entry run as cron runs it (`sh -c`, the user's shell environment):
the runner records a job of that schedule, and each parameter reaches the notebook whole.
The command lines of examples/scheduling/ are ones the runner takes."""

from __future__ import annotations

import ast
import json
import re
import shlex
import subprocess
from collections.abc import Callable
from pathlib import Path

from crontab import CronTab

from jupyter_mlops import Registry, operations
from jupyter_mlops.cli import build_parser
from tests.automation.conftest import NEEDS_CRONTAB

EXAMPLES = Path(__file__).parents[2] / "examples" / "scheduling"

WRITES_PARAMETERS = """\
import json, pathlib
pathlib.Path(out).write_text(json.dumps({"model": model, "odd": odd}))"""


@NEEDS_CRONTAB
def test_the_installed_entry_run_as_cron_runs_it_records_a_job_of_its_schedule(
    served: Registry,
    write_notebook: Callable[..., Path],
    crontab_text: None,
    tmp_path: Path,
) -> None:
    out = tmp_path / "seen.json"
    odd = '\'; touch x # $(id) `id` "q" 50% off'
    notebook = write_notebook(
        "scheduled.ipynb", "model = ''\nodd = ''\nout = ''", WRITES_PARAMETERS
    )
    made = operations.schedule(
        served,
        notebook=notebook,
        parameters={"model": "tumour@champion", "odd": odd, "out": str(out)},
        every="1h",
        timeout="5m",
    )
    (command,) = [
        entry.command
        for entry in CronTab(user=True)
        if entry.comment == f"jupyter-mlops schedule {made.id} {served.home}"
    ]

    cron = {"PATH": "/usr/bin:/bin", "HOME": str(Path.home()), "SHELL": "/bin/sh"}
    ran = subprocess.run(
        ["sh", "-c", command], cwd=tmp_path, env=cron, capture_output=True, text=True
    )

    log = (served.home / "jobs" / f"schedule-{made.id}.log").read_text()
    assert ran.returncode == 0, log
    assert json.loads(out.read_text()) == {"model": "tumour@champion", "odd": odd}
    (job,) = operations.jobs(served, model="tumour")
    assert (job.schedule_id, job.status, job.exit_code) == (made.id, "passed", 0)
    assert job.parameters["odd"] == odd
    (listed,) = operations.schedules(served)
    assert listed.last_job is not None and "passed" in str(listed)
    assert not (tmp_path / "x").exists()


def runner_words(text: str) -> list[list[str]]:
    """Each `jupyter-mlops ...` command line of a file, as the words after the program."""
    found = []
    for line in re.findall(r"jupyter-mlops --home .*", text):
        words = shlex.split(line.strip().strip('"').strip("'"))
        found.append(words[1:])
    return found


def airflow_command() -> list[str]:
    """The Airflow DAG's `runner("churn@champion")`, run without Airflow: only its constants
    and that function, taken from the file."""
    tree = ast.parse((EXAMPLES / "airflow_dag.py").read_text())
    kept = [
        node
        for node in tree.body
        if isinstance(node, ast.Assign | ast.FunctionDef | ast.ImportFrom)
        and not (isinstance(node, ast.ImportFrom) and node.module != "__future__")
        and (not isinstance(node, ast.FunctionDef) or node.name == "runner")
    ]
    names: dict[str, object] = {"shlex": shlex}
    exec(compile(ast.Module(body=kept, type_ignores=[]), "airflow_dag.py", "exec"), names)
    return shlex.split(names["runner"]("churn@champion"))[1:]  # type: ignore[operator]


def test_the_examples_command_lines_are_ones_the_runner_takes() -> None:
    parser = build_parser()
    service = EXAMPLES / "systemd" / "jupyter-mlops-monitor.service"
    kubernetes = (EXAMPLES / "kubernetes-cronjob.yaml").read_text()
    args = re.findall(r"^\s+- (.+)$", kubernetes.split("args:")[1].split("env:")[0], re.M)
    for words in [*runner_words(service.read_text()), args[1:], airflow_command()]:
        parsed = parser.parse_args(words)
        assert parsed.command == "monitor"
        assert dict(parsed.parameters)["model"] == "churn@champion"
        assert parsed.timeout == "30m"
