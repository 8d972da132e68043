"""What a reading role of a team (the README's roles) may do with monitoring and servers: it
measures performance and estimates, shown but not recorded, as its drift is; compacting logs
and stopping a server, which are changes, are refused in one sentence (exit 15) before
anything is merged or stopped; so is opening a catalog an older version made, which only a
writer can upgrade."""

from __future__ import annotations

import json
import subprocess
import sys
from functools import partial

import pytest

from jupyter_mlops import Registry, operations
from jupyter_mlops.errors import ForbiddenError
from jupyter_mlops.monitoring import Monitor
from jupyter_mlops.registry.marks import mark
from jupyter_mlops.store.lake import LakeDatabase
from jupyter_mlops.store.lake_aliases import move_in
from jupyter_mlops.store.migrations import LATEST
from jupyter_mlops.store.objects import Folder
from jupyter_mlops.store.upgrading import migrate
from tests.conftest import free_port
from tests.team.people import files_under, set_up

FORBIDDEN_EXIT = 15


def shell(url: str, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "jupyter_mlops.cli", "--home", url, *args],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip


def refused_in_one_sentence(done: subprocess.CompletedProcess[str], role: str) -> str:
    assert done.returncode == FORBIDDEN_EXIT, done.stderr
    message = done.stderr.strip()
    assert len(message.splitlines()) == 1 and "Traceback" not in message, message
    assert role in message and "may only read" in message and message.count(". ") == 0
    return message


@pytest.mark.parametrize("kind", ["performance", "estimate"])
def test_a_reader_measures_performance_and_estimates_shown_not_recorded(team, kind, subprocess_env):
    monitor = Monitor(Registry(team.carol))
    report = getattr(monitor, kind)("churn@champion")
    assert report.metrics and report.check_id is None
    assert "not recorded" in report.note and team.names["carol"] in report.note
    shown = shell(team.carol, kind, "churn@champion", env=subprocess_env)
    assert shown.returncode == 0, shown.stderr
    assert "not recorded" in shown.stdout and "auc" in shown.stdout
    assert Monitor(Registry(team.alice)).metric_history("churn").empty  # nothing recorded


def test_a_reader_is_refused_compacting_the_logs_before_any_merge(team, subprocess_env):
    logged = team.data / "logs" / "predictions" / "churn"
    before = files_under(logged)
    assert len(before) == 2  # two segments a compaction would merge
    done = shell(team.carol, "compact", "churn", env=subprocess_env)
    refused_in_one_sentence(done, team.names["carol"])
    assert files_under(logged) == before


@pytest.mark.parametrize("kind", ["monitor", "retrain"])
def test_a_readers_job_is_refused_before_its_lock_file_is_made(
    team, kind, tmp_path, subprocess_env
):
    """A job is recorded, so a role that may only read is refused running one before the
    lock file that keeps two runs apart is made in the team's data path."""
    notebook = tmp_path / "job.ipynb"
    kernel = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
    cells = {"cells": [], "metadata": kernel, "nbformat": 4, "nbformat_minor": 5}
    notebook.write_text(json.dumps(cells))
    asked = ["-p", "model", "churn@champion"] if kind == "monitor" else []
    command = [kind, *(["churn", "--notebook"] if kind == "retrain" else []), str(notebook)]
    done = shell(team.carol, *command, *asked, env=subprocess_env)
    refused_in_one_sentence(done, team.names["carol"])
    assert not (team.data / "jobs" / "locks").exists() or not any(
        (team.data / "jobs" / "locks").iterdir()
    )


def test_a_readers_undeploy_is_refused_and_the_server_keeps_serving(team, subprocess_env):
    writer = Registry(team.alice)
    started = operations.deploy(writer, ref="churn@champion", port=free_port())
    try:
        for target in ("churn@champion", str(started.id)):
            done = shell(team.carol, "undeploy", target, env=subprocess_env)
            refused_in_one_sentence(done, team.names["carol"])
        listed = operations.deployments(Registry(team.carol))
        assert [(d.id, d.status, d.version) for d in listed] == [(started.id, "running", 1)]
    finally:
        stopped = operations.undeploy(writer, target=str(started.id))
    assert [d.stopped_by for d in stopped] == [team.names["alice"]]


def test_a_reader_is_refused_logging_predictions_and_labels_and_may_score_unlogged(
    team, subprocess_env, dataset, tmp_path
):
    """The logs are the team's: what monitoring, alerts and gates read. A reader's logging
    is refused before a row is written; its scoring without logging goes ahead."""
    X, y = dataset
    logged = team.data / "logs"
    before = files_under(logged)
    reader = Monitor(Registry(team.carol))
    for attempt in (
        lambda: reader.log_predictions("churn@champion", X.iloc[:5]),
        lambda: reader.log_labels("churn", ["a", "b"], y.iloc[:2]),
        lambda: reader.predict("churn@champion", X.iloc[:5]),
    ):
        with pytest.raises(PermissionError) as refused:
            attempt()
        message = str(refused.value)
        assert "may only read" in message and "\n" not in message and message.count(". ") == 0
    assert "--no-log" in message
    assert len(reader.predict("churn@champion", X.iloc[:5], log=False)) == 5
    X.iloc[:5].to_parquet(rows := tmp_path / "rows.parquet")
    done = shell(team.carol, "predict", "churn@champion", str(rows), env=subprocess_env)
    refused_in_one_sentence(done, team.names["carol"])
    assert files_under(logged) == before


def test_a_reader_is_refused_a_model_server_before_one_starts_or_a_line_is_printed(
    team, subprocess_env
):
    before = files_under(team.data / "logs")
    recorded = [d.id for d in operations.deployments(Registry(team.alice))]
    for command in ("deploy", "serve"):
        done = shell(team.carol, command, "churn@champion", "--port", str(free_port()),
                     env=subprocess_env)  # fmt: skip
        refused_in_one_sentence(done, team.names["carol"])
        assert done.stdout == ""  # neither a token nor an address was shown
    assert [d.id for d in operations.deployments(Registry(team.alice))] == recorded
    assert files_under(team.data / "logs") == before  # no server log was begun


def test_a_readers_gate_that_would_promote_is_refused_before_anything_is_scored(
    team, subprocess_env, dataset, fitted, tmp_path
):
    """A gate without --promote changes nothing, so a reader may run it; with --promote it
    would move the champion, which a reader may not, so it is refused before it scores."""
    X, y = dataset
    writer = Registry(team.alice)
    for _ in range(2):
        writer.register("gated", fitted, X=X.iloc[:300], y=y.iloc[:300], force=True)
    writer.promote("gated", 1)
    X, y = X.iloc[300:], y.iloc[300:]  # held out from both versions' training
    X.assign(label=y).to_parquet(rows := tmp_path / "holdout.parquet")
    gate = ["gate", "gated", "--challenger", "2", "--holdout", str(rows), "--target", "label",
            "--metric", "auc"]  # fmt: skip
    scored = shell(team.carol, *gate, env=subprocess_env)
    assert scored.returncode == 13 and "gate gated: keep" in scored.stdout, scored.stderr
    done = shell(team.carol, *gate, "--promote", env=subprocess_env)
    message = refused_in_one_sentence(done, team.names["carol"])
    assert done.stdout == "" and "gate" not in message  # no result, no numbers: none scored
    with pytest.raises(ForbiddenError, match="may only read"):
        operations.gate(Registry(team.carol), model="gated", challenger=2, X=X, y=y,
                        metric="auc", promote=True)  # fmt: skip
    assert [e.to_version for e in writer.history("gated")] == [1]


def test_a_reader_of_a_catalog_an_older_version_made_is_told_a_writer_upgrades_it(
    postgres, tmp_path, fitted, subprocess_env
):
    """A catalog missing this version's newest migration needs upgrading, a write: a reader
    opening it is told, in one sentence, that a writer opening it once with this version
    upgrades it (not that it lacks rights to ask for); once a writer has, the reader reads."""
    team = set_up(postgres, tmp_path / "shared")
    older = LakeDatabase(team.alice, team.data)
    with older.read():  # attaching makes the catalog
        pass
    with older.write() as conn:  # what the release before the newest migration made
        migrate(conn, upto=LATEST - 1, shared=True, aliases_moved=partial(move_in, older))
    (team.data / "artifacts").mkdir(parents=True)
    mark(older, Folder(team.data))  # its data folder, as opening it marks one
    done = shell(team.carol, "--data-path", str(team.data), "models", env=subprocess_env)
    assert done.returncode == FORBIDDEN_EXIT, done.stderr
    message = done.stderr.strip()
    assert len(message.splitlines()) == 1 and message.count(". ") == 0, message
    assert "made by an older jupyter-mlops" in message and team.names["carol"] in message
    assert "which upgrades it (jupyter-mlops models as that role)" in message
    assert "grant" not in message
    with pytest.raises(ForbiddenError, match=r"upgrades it \(Registry\(URL\) as that role\)"):
        Registry(team.carol, data_path=team.data)
    Registry(team.alice, data_path=team.data).register("churn", fitted)  # upgrades it
    assert Registry(team.carol, data_path=team.data).model_names() == ["churn"]
