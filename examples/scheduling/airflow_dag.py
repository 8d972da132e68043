"""The monitoring notebook every hour from Airflow, as a job the registry records.

The task runs the same runner `jupyter-mlops schedule` installs in a crontab, through a
BashOperator. Airflow's PapermillOperator (apache-airflow-providers-papermill) would
execute the notebook too, but the registry would know nothing of the run and an alert
would look like a pass; the runner records the job (status, exit code, the executed
notebook, the checks it made) and exits 3 when an alert fires and 10 when a cell raises,
which fails the task, so Airflow's retries, alerts and SLAs see it.
"""

from __future__ import annotations

import shlex
from datetime import datetime, timedelta

from airflow import DAG
from airflow.operators.bash import BashOperator

JUPYTER_MLOPS = "/srv/venv/bin/jupyter-mlops"  # the environment jupyter-mlops is installed in
REGISTRY = "/srv/mlops"
NOTEBOOK = "/srv/notebooks/monitoring.ipynb"
MODELS = {"churn": "churn@champion", "fraud": "fraud@champion"}


def runner(model: str, *, window: str = "1d", timeout: str = "30m") -> str:
    """The runner's command line, every word quoted for the shell."""
    words = [JUPYTER_MLOPS, "--home", REGISTRY, "monitor", NOTEBOOK]
    words += ["-p", "model", model, "-p", "window", window, "--timeout", timeout]
    return shlex.join(words)


with DAG(
    dag_id="jupyter_mlops_monitoring",
    schedule="@hourly",
    start_date=datetime(2026, 1, 1),
    catchup=False,  # the notebook reads the newest window; a backfill would repeat it
    max_active_runs=1,  # one run at a time, as the runner's own overlap lock would insist
    default_args={"retries": 0, "execution_timeout": timedelta(minutes=40)},
    tags=["mlops"],
) as dag:
    for name, ref in MODELS.items():
        BashOperator(
            task_id=f"monitor_{name}",
            bash_command=runner(ref),
            # 3 (an alert fired) fails the task on purpose; 12 (skipped: a run still going) too
        )
