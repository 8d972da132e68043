"""A team's roles, set up with the SQL the README gives: the writer changes the registry, the
reader reads it (lists, loads, measures drift) and is refused every change in one sentence
before a file is written, and history names the role whatever MLOPS_USER claims."""

from __future__ import annotations

import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sklearn.dummy import DummyClassifier

from jupyter_mlops import Registry
from jupyter_mlops.errors import ForbiddenError
from jupyter_mlops.monitoring import Monitor
from tests.conftest import ROOT
from tests.postgres import Cluster

FORBIDDEN_EXIT = 15


@dataclass(frozen=True)
class Team:
    writer: str  # the URLs each role connects with
    reader: str
    writer_role: str
    reader_role: str
    data: Path


def readme_sql() -> str:
    """The SQL the README's "Team mode" section tells a database owner to run."""
    text = (ROOT / "README.md").read_text()
    section = text[text.index("### Team mode") :]
    found = re.search(r"```sql\n(.*?)```", section, re.DOTALL)
    assert found, "the README's Team mode section shows no SQL"
    return found.group(1)


@pytest.fixture(scope="module")
def team(
    postgres: Cluster, tmp_path_factory: pytest.TempPathFactory, dataset, fitted
) -> Iterator[Team]:
    """The README's roles and schema (names of this test's own), then a model registered
    and promoted by the writer while MLOPS_USER claims to be someone else."""
    names = {name: f"{name}_{uuid.uuid4().hex[:8]}" for name in ("mlops_writer", "mlops_reader")}
    schema = f"t_{uuid.uuid4().hex[:12]}"
    sql = re.sub(r"\bmlops_writer\b", names["mlops_writer"], readme_sql())
    sql = re.sub(r"\bmlops_reader\b", names["mlops_reader"], sql)
    postgres.execute(re.sub(r"\bmlops\b", schema, sql))  # tables yet to come: default grants
    found = Team(
        writer=postgres.url(schema, user=names["mlops_writer"]),
        reader=postgres.url(schema, user=names["mlops_reader"]),
        writer_role=names["mlops_writer"],
        reader_role=names["mlops_reader"],
        data=tmp_path_factory.mktemp("team") / "shared",
    )
    X, y = dataset
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLOPS_USER", "mallory")
        writer = Registry(found.writer, data_path=found.data)
        writer.register("churn", fitted, X=X, y=y)
        writer.promote("churn", 1, reason="first")
        yield found


def files_under(folder: Path) -> set[Path]:
    return {path for path in folder.rglob("*") if path.is_file()}


def test_the_reading_role_lists_loads_by_alias_and_measures_drift(team, dataset, fitted):
    X, _ = dataset
    reader = Registry(team.reader)  # its data path: the one the registry was made with
    assert reader.home == team.data
    assert [m.name for m in reader.models()] == ["churn"]
    loaded = reader.load("churn@champion")
    assert (loaded.predict(X) == fitted.predict(X)).all()
    report = Monitor(reader).drift("churn@champion", X.iloc[:200])
    assert report.rows == 200 and report.check_id is None
    assert any("not recorded" in note and team.reader_role in note for note in report.notes)


def test_the_reading_role_is_refused_each_change_in_one_sentence_leaving_no_file(
    team, dataset, subprocess_env
):
    X, y = dataset
    reader = Registry(team.reader)
    before = files_under(team.data)
    other = DummyClassifier(strategy="prior").fit(X, y)  # bytes no version has
    with pytest.raises(ForbiddenError) as registering:
        reader.register("churn", other, X=X, y=y)
    with pytest.raises(ForbiddenError) as promoting:
        reader.promote("churn", 1, "challenger")
    for refused in (registering.value, promoting.value):
        message = str(refused)
        assert team.reader_role in message and "INSERT, UPDATE, DELETE" in message
        assert "\n" not in message and message.count(". ") == 0, message
    with pytest.raises(ForbiddenError):
        reader.gc(older_than=0)  # deleting the team's files is a change too
    assert files_under(team.data) == before  # no artifact left by the refused register
    shell = subprocess.run(
        [sys.executable, "-m", "jupyter_mlops.cli", "--home", team.reader, "promote", "churn", "1"],
        capture_output=True, text=True, env=subprocess_env, timeout=120,
    )  # fmt: skip
    assert shell.returncode == FORBIDDEN_EXIT, shell.stderr
    assert team.reader_role in shell.stderr and "Traceback" not in shell.stderr
    assert len(shell.stderr.strip().splitlines()) == 1
    writer = Registry(team.writer)
    assert [v.version for v in writer.versions("churn")] == [1]
    assert writer.model_aliases("churn") == {"champion": 1}


def test_what_a_change_returns_names_the_role_as_its_record_does(team, fitted, monkeypatch):
    monkeypatch.setenv("MLOPS_USER", "mallory")
    writer = Registry(team.writer)
    version = writer.register("other", fitted, force=True)
    moved = writer.promote("other", version.version, reason="first")
    assert version.created_by == moved.moved_by == team.writer_role


def test_history_names_the_role_whatever_mlops_user_claims(team):
    registry = Registry(team.reader)
    events = list(registry.history("churn"))
    assert [(e.action, e.moved_by) for e in events] == [("promote", team.writer_role)]
    assert registry.get("churn:1").created_by == team.writer_role
    assert "mallory" not in str(registry.history("churn"))
