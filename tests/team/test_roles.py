"""A team's roles, set up with the SQL the README gives: each person logs in as themselves,
the writers act as their group role, so the tables any of them makes are the group's, and
history names the person whatever MLOPS_USER claims; the reader reads (lists, loads,
measures drift) and is refused every change in one sentence before a file is written, and
can neither hold the writers up nor pose as one of them."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import zlib

import psycopg
import pytest
from sklearn.dummy import DummyClassifier

from jupyter_mlops import Registry, operations
from jupyter_mlops.cli import main
from jupyter_mlops.errors import ForbiddenError, NotFoundError, RegistryBusyError
from jupyter_mlops.monitoring import Monitor
from tests.team.people import files_under

FORBIDDEN_EXIT = 15
NOT_FOUND_EXIT = 4


def one_sentence(error: BaseException) -> str:
    message = str(error)
    assert "\n" not in message and message.count(". ") == 0, message
    return message


def test_each_writer_writes_as_the_group_and_is_recorded_as_themselves(team, dataset):
    X, y = dataset
    other = DummyClassifier(strategy="prior").fit(X, y)  # bytes no version has
    by_bob = Registry(team.bob).register("churn", other, X=X, y=y)  # tables alice's opening made
    assert by_bob.created_by == team.names["bob"]
    registry = Registry(team.carol)
    assert registry.get("churn:1").created_by == team.names["alice"]
    events = [(e.action, e.moved_by) for e in registry.history("churn")]
    assert events == [("promote", team.names["bob"])]
    assert team.owners() == {team.names["mlops_writer"]}  # bob's write made none of his own


def test_a_writer_acting_as_itself_is_refused_before_anything_is_made(team, dataset):
    X, y = dataset
    before = files_under(team.data)
    himself = Registry(team.url("bob"))  # no options=-crole=...: bob's own tables to come
    with pytest.raises(ForbiddenError) as refused:
        himself.register("solo", DummyClassifier().fit(X, y), X=X, y=y)
    message = one_sentence(refused.value)
    bob, group = team.names["bob"], team.names["mlops_writer"]
    whose = f"(tables its writes make would belong to {bob!r} alone)"
    assert f"its tables belong to role {group!r} {whose}" in message and "''s" not in message
    assert f"add options=-crole={team.names['mlops_writer']} to the URL" in message
    assert files_under(team.data) == before
    assert team.owners() == {team.names["mlops_writer"]}


def test_the_reading_role_lists_loads_by_alias_and_measures_drift(team, dataset, fitted):
    X, _ = dataset
    reader = Registry(team.carol)  # its data path: the one the registry was made with
    assert reader.home == team.data
    assert "churn" in [m.name for m in reader.models()]
    loaded = reader.load("churn@champion")
    assert (loaded.predict(X) == fitted.predict(X)).all()
    report = Monitor(reader).drift("churn@champion", X.iloc[:200])
    assert report.rows == 200 and report.check_id is None
    assert any("not recorded" in note and team.names["carol"] in note for note in report.notes)


def test_a_reader_not_granted_the_alias_tables_is_told_so_in_one_sentence(team, subprocess_env):
    """A team that granted SELECT once, not by default privileges, gives its readers no right
    on the aliases' tables an upgrade made: a read says which right PostgreSQL refused, in one
    sentence, not DuckDB's error."""
    role = f"dan_{team.schema}"
    team.postgres.execute(
        f"CREATE ROLE {role} LOGIN; GRANT USAGE ON SCHEMA {team.schema} TO {role}; "
        f"GRANT SELECT ON ALL TABLES IN SCHEMA {team.schema} TO {role}; "
        f"REVOKE SELECT ON {team.schema}.mlops_aliases, {team.schema}.mlops_alias_events "
        f"FROM {role}"
    )
    url = team.postgres.url(team.schema, user=role)
    with pytest.raises(ForbiddenError) as refused:
        Registry(url).models()
    said = str(refused.value)
    assert len(said.splitlines()) == 1 and "permission denied for table mlops_alias" in said, said
    shell = subprocess.run(
        [sys.executable, "-m", "jupyter_mlops.cli", "--home", url, "models"],
        capture_output=True, text=True, env=subprocess_env,
    )  # fmt: skip
    assert shell.returncode == FORBIDDEN_EXIT, shell.stderr
    assert "Traceback" not in shell.stderr and "grant it access" in shell.stderr


def test_the_reading_role_is_refused_each_change_in_one_sentence_leaving_no_file(
    team, dataset, subprocess_env
):
    X, y = dataset
    reader = Registry(team.carol)
    before = files_under(team.data)
    other = DummyClassifier(strategy="most_frequent").fit(X, y)  # bytes no version has
    with pytest.raises(ForbiddenError) as registering:
        reader.register("churn", other, X=X, y=y)
    with pytest.raises(ForbiddenError) as promoting:
        reader.promote("churn", 1, "challenger")
    plan = operations.plan_promote(reader, model="churn", version=1, alias="challenger")
    assert not plan.allowed and plan.refusal_kind == "forbidden"
    assert plan.to_dict()["refusal"] == str(promoting.value)
    for refused in (registering.value, promoting.value):
        message = one_sentence(refused)
        assert team.names["carol"] in message and "INSERT, UPDATE, DELETE" in message
    with pytest.raises(ForbiddenError):
        reader.gc(older_than=0)  # deleting the team's files is a change too
    assert files_under(team.data) == before  # no artifact left by the refused register
    shell = subprocess.run(
        [sys.executable, "-m", "jupyter_mlops.cli", "--home", team.carol, "promote", "churn", "1"],
        capture_output=True, text=True, env=subprocess_env, timeout=120,
    )  # fmt: skip
    assert shell.returncode == FORBIDDEN_EXIT, shell.stderr
    assert team.names["carol"] in shell.stderr and "Traceback" not in shell.stderr
    assert len(shell.stderr.strip().splitlines()) == 1
    assert Registry(team.alice).model_aliases("churn") == {"champion": 1}


def test_a_registry_a_role_may_not_make_leaves_its_folder_to_the_one_made_next(
    team, tmp_path, fitted
):
    """A role without the right to make a catalog is refused a new registry; the folder it
    was given is not kept from the registry its owner then makes there."""
    schema = team.postgres.new_schema()
    folder = tmp_path / "new"
    with pytest.raises(ForbiddenError) as refused:
        Registry(team.postgres.url(schema, user=team.names["carol"]), data_path=folder)
    said = one_sentence(refused.value)  # PostgreSQL's reason, not the SQL it echoed
    assert f"(Failed to initialize DuckLake: ERROR: permission denied for schema {schema})" in said
    assert not folder.exists()
    made = Registry(team.postgres.url(schema), data_path=folder)
    made.register("churn", fitted)
    assert [version.version for version in made.versions("churn")] == [1]


@pytest.mark.parametrize("person", ["carol", "alice"])
def test_a_mistyped_schema_is_said_to_hold_no_registry_and_nothing_is_made(
    team, tmp_path, capsys, person
):
    """A role that may not make a catalog where its URL points (the reader; a writer, whose
    group may make tables in its team's schema only) naming a schema that holds no registry
    (mistyped, or one made for a registry no writer opened yet) is told so in one sentence,
    whatever data path it gives, and nothing is made: no folder, no file, no schema or table
    in PostgreSQL. (A role that may make one makes a new registry there, by design.)"""
    typo, empty_schema = f"{team.schema}x", team.postgres.new_schema()
    team.postgres.execute(f"GRANT USAGE ON SCHEMA {empty_schema} TO PUBLIC")
    acting = {"options": f"-crole={team.names['mlops_writer']}"} if person == "alice" else {}
    empty = tmp_path / "empty"
    empty.mkdir()
    before = files_under(team.data)
    for schema in (typo, empty_schema):
        url = team.postgres.url(schema, user=team.names[person], **acting)
        for data_path in (tmp_path / "new" / "deeper", empty, team.data, None):
            with pytest.raises(NotFoundError) as refused:
                Registry(url, data_path=data_path)
            said = one_sentence(refused.value)
            assert said.startswith(f"there is no registry in PostgreSQL schema {schema!r} of ")
            assert f"role {team.names[person]!r} may not make one there" in said
            assert "check schema= and dbname= in the URL" in said
            given = [] if data_path is None else ["--data-path", str(data_path)]
            assert main(["--home", url, *given, "models"]) == NOT_FOUND_EXIT
            assert capsys.readouterr().err.strip() == f"jupyter-mlops: {said}"
    assert not (tmp_path / "new").exists() and list(empty.iterdir()) == []
    assert files_under(team.data) == before
    schemas = "SELECT nspname FROM pg_namespace WHERE nspname IN ('{}', '{}')"
    assert team.postgres.execute(schemas.format(typo, empty_schema)) == [(empty_schema,)]
    tables = f"SELECT count(*) FROM pg_tables WHERE schemaname = '{empty_schema}'"
    assert team.postgres.execute(tables) == [(0,)]


def test_a_role_with_no_right_on_the_schema_is_told_so_not_that_postgresql_is_down(team):
    role = f"nobody_{team.schema}"
    team.postgres.execute(f"CREATE ROLE {role} LOGIN")
    with pytest.raises(ForbiddenError) as refused:
        Registry(team.postgres.url(team.schema, user=role)).models()
    said = one_sentence(refused.value)
    assert f": ERROR: permission denied for schema {team.schema}); ask the catalog's" in said


def test_what_a_change_returns_names_the_person_as_its_record_does(team, fitted, monkeypatch):
    monkeypatch.setenv("MLOPS_USER", "mallory")
    writer = Registry(team.alice)
    version = writer.register("other", fitted, force=True)
    moved = writer.promote("other", version.version, reason="first")
    assert version.created_by == moved.moved_by == team.names["alice"]
    assert "mallory" not in str(Registry(team.carol).history("other"))


def test_a_reader_can_neither_hold_the_writers_up_nor_pose_as_one(team):
    """Every lock a reading role can take, held, with its session named as a writer's: the
    writers still write at once."""
    conninfo = team.postgres.conninfo("mlops", team.names["carol"])
    label = "jupyter-mlops process 1 on elsewhere"
    with psycopg.connect(conninfo, autocommit=True, application_name=label) as reader:
        old_key = (0x6D6C6F70, zlib.crc32(team.schema.encode()) - 2**31)  # the former lock
        reader.execute("SELECT pg_advisory_lock(%s, %s)", old_key)
        reader.execute("BEGIN")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            reader.execute(f"SELECT * FROM {team.schema}.mlops_writer_lock FOR UPDATE")
        reader.execute("ROLLBACK")
        reader.execute("BEGIN")
        reader.execute(f"LOCK TABLE {team.schema}.mlops_writer_lock IN ACCESS SHARE MODE")
        assert reader.execute(f"SELECT count(*) FROM {team.schema}.mlops_writer_lock").fetchone()
        writer = Registry(team.alice, lock_timeout=1.0)
        writer.describe("churn", "written while a reader holds what it can")
        reader.execute("ROLLBACK")
    assert Registry(team.carol).models()[0].description.startswith("written while")


def test_a_writer_kept_waiting_is_told_the_role_that_holds_the_lock(team, monkeypatch):
    """bob holds the lock from a session that names another machine: alice, kept waiting,
    is told the role it belongs to, which no session chooses."""
    holding, release = threading.Event(), threading.Event()
    bob = Registry(team.bob)
    bob.db.close()  # its next session is named as MLOPS_HOSTNAME says
    monkeypatch.setenv("MLOPS_HOSTNAME", "elsewhere")

    def hold() -> None:
        with bob.db.write():
            holding.set()
            release.wait(60)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert holding.wait(60), "bob did not take the lock"
        with pytest.raises(RegistryBusyError) as busy:
            Registry(team.alice, lock_timeout=1.0).describe("churn", "waits for bob")
    finally:
        release.set()
        holder.join(60)
        bob.db.close()
    message = one_sentence(busy.value)
    holder_named = f"PostgreSQL role {team.names['bob']!r} (process {os.getpid()} on elsewhere, "
    assert f"locked by {holder_named}PostgreSQL backend " in message, message
    assert ") for more than 1 s" in message, message
