"""How a registry is named to another process: a child given a registry file's environment
opens that file even when it inherited a shared registry's URL (which would come first); a
shared registry is named by its URL and data path, as the command line reads them, and
identified without its password, which never goes on a command line; its schema is the one
the URL writes, never another whose name differs only by case, and a name no schema can
have is refused as one. A data path names a shared registry's files: a registry file given
one refuses it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from IPython.core.interactiveshell import InteractiveShell

from jupyter_mlops import Registry
from jupyter_mlops.cli import build_parser
from jupyter_mlops.config import Location
from jupyter_mlops.errors import InvalidArgumentError
from jupyter_mlops.registry.locations import environment, identity, options

TEAM = "ducklake:postgres:dbname=team host=db.internal user=alice"
SECRET = f"{TEAM} password=hush"
# what the child opens, read as `jupyter-mlops [--home X] [--data-path Y]` reads it
OPENED = """\
import sys
from jupyter_mlops.config import resolve_location
given = dict(zip(sys.argv[1::2], sys.argv[2::2]))
found = resolve_location(given.get("--home"), data_path=given.get("--data-path"))
print(found.url, found.home)"""


def opened_by_child(options: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-c", OPENED, *options], env=env, capture_output=True, text=True,
        check=True,
    )  # fmt: skip
    return done.stdout.strip()


def test_a_child_of_a_registry_file_opens_it_whatever_shared_registry_it_inherited(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLOPS_REGISTRY", TEAM)
    monkeypatch.setenv("MLOPS_DATA_PATH", str(tmp_path / "team"))
    mine = Registry(tmp_path / "mine")
    env = environment(mine)
    assert "MLOPS_REGISTRY" not in env and "MLOPS_DATA_PATH" not in env
    assert opened_by_child([], env) == f"None {tmp_path / 'mine'}"
    assert opened_by_child(options(mine), env) == f"None {tmp_path / 'mine'}"


def test_a_shared_registry_is_named_by_url_and_data_path_its_password_by_environment_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLOPS_DATA_PATH", str(tmp_path / "inherited"))
    team, secret = Location(tmp_path / "mounted", TEAM), Location(tmp_path / "mounted", SECRET)
    parsed = build_parser().parse_args([*options(team), "models"])
    assert (parsed.home, parsed.data_path) == (TEAM, str(tmp_path / "mounted"))
    bare = {name: value for name, value in os.environ.items() if not name.startswith("MLOPS_")}
    assert opened_by_child(options(team), bare) == f"{TEAM} {tmp_path / 'mounted'}"
    assert "hush" not in " ".join(options(secret))  # a command line is anyone's to read
    assert (
        opened_by_child(options(secret), environment(secret)) == f"{SECRET} {tmp_path / 'mounted'}"
    )
    assert identity(secret) == f"{TEAM} password=***"
    assert identity(Location(tmp_path / "elsewhere", SECRET)) == identity(secret)
    blank = bare | {"MLOPS_REGISTRY": TEAM, "MLOPS_DATA_PATH": " "}  # a blank is none given
    assert opened_by_child([], blank) == f"{TEAM} None"


@pytest.mark.parametrize(
    "url",
    [
        "postgres://alice:hush@db.internal/mlops",
        "postgresql://alice:hush@127.0.0.1:5432/mlops",
        "ducklake:postgresql://alice:hush@db.internal/mlops",
        # a password holding an @, a space or a / runs to the address's last @
        "postgresql://alice:x@hush@db.internal/mlops",
        "postgresql://alice:hush now@db.internal/mlops",
        "postgres://hush/now@db.internal/mlops?password=hush@now",
        # look-alikes: a Cyrillic a, a fullwidth colon; and no scheme at all
        "duckl\u0430ke:postgres:dbname=mlops host=127.0.0.1 user=alice password=hush",
        "ducklake\uff1apostgres\uff1adbname=mlops host=127.0.0.1 password=hush",
        "dbname=mlops host=127.0.0.1 user=alice password=hush",
    ],
)
def test_a_url_that_names_no_shared_registry_is_refused_and_makes_no_folder(
    url: str, tmp_path: Path, subprocess_env: dict[str, str]
) -> None:
    """A PostgreSQL URL in another form is no folder: refused in one sentence that shows the
    form to give, never the password, and nothing is made on disk under its name."""
    env = subprocess_env | {"MLOPS_REGISTRY": url}
    done = subprocess.run(
        [sys.executable, "-m", "jupyter_mlops.cli", "--data-path", str(tmp_path / "d"), "models"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    message = done.stderr.strip()
    assert done.returncode == 2 and len(message.splitlines()) == 1, done.stderr
    assert "hush" not in message and "'ducklake:postgres:dbname=NAME" in message
    assert [p.name for p in tmp_path.iterdir()] == []  # no folder named after the URL


def test_a_shared_registrys_url_typed_in_capitals_or_with_blanks_is_that_registry(
    postgres, tmp_path: Path, fitted, subprocess_env: dict[str, str]
) -> None:
    """`DuckLake:Postgres:...` or a URL with blanks or quotes around it (pasted, from .env)
    opens the shared registry, from Python, the shell and the notebook: never a registry file
    made in the current folder under the URL's name, password and all."""
    url = postgres.url(postgres.new_schema(), password="hush")
    data = tmp_path / "team"
    typed = ["  DuckLake:Postgres:" + url.removeprefix("ducklake:postgres:") + " "]
    typed.append("DUCKLAKE:postgres:" + url.removeprefix("ducklake:postgres:"))
    typed.append(f"'{url}'")  # quotes kept, as .env loaders keep them
    Registry(typed[0], data_path=data).register("churn", fitted)
    done = subprocess.run(
        [sys.executable, "-m", "jupyter_mlops.cli", "versions", "churn"],
        cwd=tmp_path, env=subprocess_env | {"MLOPS_REGISTRY": typed[2]},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0 and "LogisticRegression" in done.stdout, done.stderr
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "jupyter_mlops")
    try:
        shell.run_line_magic("mlops", f'connect "{typed[1]}"')
        assert shell.run_line_magic("mlops", "models")  # the shared one, with churn
    finally:
        shell.run_line_magic("mlops", f"connect {tmp_path / 'own'}")
    assert Registry(url).model_names() == ["churn"]
    assert Registry(typed[1]).model_names() == ["churn"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["own", "team"]


def test_a_schema_named_in_another_case_than_one_beside_it_is_refused_and_makes_nothing(
    postgres, tmp_path: Path, fitted, subprocess_env: dict[str, str]
) -> None:
    """PostgreSQL keeps a schema's name as the URL writes it, DuckDB's lookups ignore case:
    `schema=MLOPS` beside a schema `mlops` is refused in one sentence naming the one to write,
    before a table is made in either or a file in the data folder."""
    lower, empty = postgres.new_schema(), postgres.new_schema()
    Registry(postgres.url(lower), data_path=tmp_path / "team").register("churn", fitted)
    tables = "SELECT schemaname, count(*) FROM pg_tables GROUP BY 1 ORDER BY 1"
    before = postgres.execute(tables)
    for schema in (lower, empty):
        url = postgres.url(schema.upper())
        for data_path in (tmp_path / "other", None):
            with pytest.raises(InvalidArgumentError) as refused:
                Registry(url, data_path=data_path)
            message = str(refused.value)
            assert "\n" not in message and message.count("; ") == 1, message
            assert f"differs only by case from schema {schema!r}" in message
            assert f"write schema={schema} in the URL" in message
        done = subprocess.run(
            [sys.executable, "-m", "jupyter_mlops.cli", "--home", url, "--data-path",
             str(tmp_path / "other"), "models"],
            env=subprocess_env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
        assert "differs only by case" in done.stderr
    assert postgres.execute(tables) == before and not (tmp_path / "other").exists()
    assert Registry(postgres.url(lower)).model_names() == ["churn"]


def test_a_data_path_given_with_a_registry_file_is_refused_and_the_teams_variable_ignored(
    tmp_path: Path, subprocess_env: dict[str, str], ipython: InteractiveShell
) -> None:
    """A registry file keeps its files beside it: a data path given with one would be
    ignored, so it is refused in one sentence before anything is made; $MLOPS_DATA_PATH,
    which a team sets for its shared registry, leaves a person's own registry file alone."""
    mine, team = tmp_path / "mine", tmp_path / "team"
    with pytest.raises(InvalidArgumentError) as refused:
        Registry(mine, data_path=team)
    assert str(refused.value) == (
        f"data path {str(team)!r} applies only to a shared registry, which keeps its files "
        f"there, and {str(mine)!r} is a registry file's folder; leave out data_path= or name "
        "a shared registry's catalog (Registry('ducklake:postgres:dbname=NAME host=HOST "
        "user=ROLE', data_path=...))."
    )
    command = [sys.executable, "-m", "jupyter_mlops.cli", "--home", str(mine)]
    done = subprocess.run(
        [*command, "--data-path", str(team), "models"],
        env=subprocess_env, capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert "leave out --data-path or name a shared registry's catalog (MLOPS_" in done.stderr
    connected = ipython.run_cell(f"%mlops connect {mine} --data-path {team}")
    assert "--data-path goes with a shared registry's URL" in str(connected.error_in_exec)
    assert not mine.exists() and not team.exists()  # refused before anything was made
    env = subprocess_env | {"MLOPS_DATA_PATH": str(team)}
    ignored = subprocess.run([*command, "models"], env=env, capture_output=True, text=True)
    assert ignored.returncode == 0 and "no models registered yet" in ignored.stdout
    assert (mine / "registry.duckdb").is_file() and not team.exists()


@pytest.mark.parametrize("schema", ["a'b", "", 'mlops"; DROP SCHEMA mlops CASCADE; --', "'a b'"])
def test_a_schema_no_catalog_can_be_named_is_refused_as_a_schema_name(
    schema: str, postgres, tmp_path: Path, subprocess_env: dict[str, str]
) -> None:
    """A schema name with a quote, a space or nothing in it is refused in one sentence that
    says what a schema name may hold (a usage error), not sent on to PostgreSQL's client,
    whose refusal of a `schema` option read as the server not being reached."""
    url = f"ducklake:postgres:{postgres.conninfo('mlops')} schema={schema}"
    done = subprocess.run(
        [sys.executable, "-m", "jupyter_mlops.cli", "--home", url, "--data-path",
         str(tmp_path / "team"), "models"],
        env=subprocess_env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    message = done.stderr.strip()
    assert done.returncode == 2 and len(message.splitlines()) == 1, done.stderr
    assert "letters, digits and underscores" in message and "reached" not in message
    assert not (tmp_path / "team").exists()
    with pytest.raises(InvalidArgumentError, match="such as schema=mlops"):
        Registry(url, data_path=tmp_path / "team")


@pytest.mark.parametrize("schema", ["information_schema", "pg_catalog", "pg_temp", "PG_toast"])
def test_a_schema_of_postgresqls_own_is_refused(schema: str, postgres, tmp_path: Path) -> None:
    """PostgreSQL's own schemas take no catalog: pg_dump leaves information_schema out of a
    backup, and no role may make tables in the others; refused before anything is made."""
    url = f"ducklake:postgres:{postgres.conninfo('mlops')} schema={schema}"
    with pytest.raises(InvalidArgumentError) as refused:
        Registry(url, data_path=tmp_path / "team")
    assert "one of PostgreSQL's own" in str(refused.value) and not (tmp_path / "team").exists()
