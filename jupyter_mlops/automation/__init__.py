"""The loop that runs without a person: monitoring and retraining notebooks run as recorded
jobs, their schedules, challengers compared with champions (gates), and retraining.

Plain Python over the registry, monitoring and deploying layers: notebooks are executed by
papermill in a child process, so nothing here imports a Jupyter package but jupyter_core
(where the running Jupyter servers describe themselves, for jupyter-scheduler's schedules).
"""
