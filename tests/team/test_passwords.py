"""A password in a shared registry's URL is never shown: not by `repr`, `shown`, a refusal,
an error of an unreachable server, nor the command line. (The throwaway server trusts every
login, so the password is never checked; what is tested is that it is never printed.)

An unreachable server is one sentence that says what to check, with no traceback; an
unquoted password with a space in it is refused in one sentence that shows none of it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from jupyter_mlops import Registry
from jupyter_mlops.errors import InvalidArgumentError, MlopsError, UnavailableError
from jupyter_mlops.store.lake_urls import shown as shown_url
from tests.conftest import free_port
from tests.postgres import SUPERUSER, Cluster, cluster

UNAVAILABLE_EXIT = 9
USAGE_EXIT = 2
SECRET = "hunter2-Tr0ub4dor"
SPELLINGS = [f"password={SECRET}", f"password='{SECRET} and more'"]


def role_with_password(postgres: Cluster, spelling: str) -> str:
    """A new registry's URL whose role has a password, spelled in it as `spelling`."""
    schema = postgres.new_schema()
    role = f"r_{schema}"
    postgres.execute(
        f"CREATE ROLE {role} LOGIN PASSWORD '{SECRET}'; GRANT ALL ON SCHEMA {schema} TO {role}"
    )
    return f"{postgres.url(schema, user=role)} {spelling}"


def unreachable(url: str, postgres: Cluster) -> str:
    """`url` pointing at a port nothing listens on."""
    return url.replace(f"port={postgres.port}", f"port={free_port()}")


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_a_password_is_never_shown_by_a_registry_or_its_errors(postgres, tmp_path, spelling):
    url = role_with_password(postgres, spelling)
    with pytest.raises(MlopsError) as no_data_path:
        Registry(url)
    registry = Registry(url, data_path=tmp_path / "shared")
    with pytest.raises(MlopsError) as wrong_folder:
        Registry(url, data_path=tmp_path)
    with pytest.raises(UnavailableError) as unreached:
        Registry(unreachable(url, postgres), data_path=tmp_path / "shared")
    shown = [repr(registry), registry.shown, repr(registry.db), registry.db.shown]
    errors = [str(e.value) for e in (no_data_path, wrong_folder, unreached)]
    for text in shown + errors:
        assert SECRET not in text and "password=***" in text, text
    assert "could not be reached (connection to server at" in errors[-1]
    assert "Connection refused); check that PostgreSQL runs there" in errors[-1]
    assert "the URL given to Registry() names its database" in errors[-1]


def test_an_unreachable_server_is_one_sentence_from_a_shell(postgres, tmp_path, subprocess_env):
    url = unreachable(f"{postgres.url('anything')} password={SECRET}", postgres)
    shell = subprocess.run(
        [sys.executable, "-m", "jupyter_mlops.cli", "--home", url, "models"],
        capture_output=True, text=True, env=subprocess_env, timeout=120,
    )  # fmt: skip
    assert shell.returncode == UNAVAILABLE_EXIT, shell.stderr
    message = shell.stderr.strip()
    assert len(message.splitlines()) == 1 and "Traceback" not in message
    assert SECRET not in message and "password=***" in message
    assert "could not be reached" in message and "check that PostgreSQL runs there" in message
    assert message.endswith("the URL given to MLOPS_REGISTRY or --home names its database, "
                            "host, port and user.")  # fmt: skip


def test_a_server_gone_mid_session_is_one_sentence_without_the_password(tmp_path, fitted):
    """PostgreSQL stopped while a process holds the registry open: each read and each write
    is refused in one sentence (never DuckDB's or psycopg's text, which quote the connection
    string with its password), and the registry works again once the server is back."""
    with cluster() as own:
        url = f"{own.url(own.new_schema())} password={SECRET}"
        registry = Registry(url, data_path=tmp_path / "shared")
        registry.register("m", fitted)
        registry.promote("m", 1)  # this process's writer session is open now
        own.stop()
        for attempt in (lambda: registry.versions("m"), lambda: registry.promote("m", 1, "b")):
            with pytest.raises(UnavailableError) as gone:
                attempt()
            message = str(gone.value)
            assert SECRET not in message and "could not be reached" in message, message
            assert "\n" not in message
        own.start()
        assert registry.promote("m", 1, "b").to_version == 1


def test_a_quoted_password_that_holds_schema_is_a_password(postgres, tmp_path, fitted):
    schema = postgres.new_schema()
    url = (
        f"ducklake:postgres:{postgres.conninfo('mlops')} password='x schema=evil {SECRET}' "
        f"schema={schema}"
    )
    registry = Registry(url, data_path=tmp_path / "shared")
    registry.register("m", fitted)
    assert registry.db.schema == schema  # type: ignore[attr-defined]
    tables = postgres.execute(f"SELECT count(*) FROM pg_tables WHERE schemaname = '{schema}'")
    assert tables[0][0] > 0
    assert SECRET not in repr(registry) and SECRET not in registry.shown


def refused_from_python_and_a_shell(url: str, data_path: Path, env: dict[str, str]) -> str:
    """The sentence `url` is refused with as a bad argument, the same from Python and from
    `jupyter-mlops` (exit 2)."""
    with pytest.raises(InvalidArgumentError) as refused:
        Registry(url, data_path=data_path)
    shell = subprocess.run(
        [sys.executable, "-m", "jupyter_mlops.cli", "--home", url, "models"],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert shell.returncode == USAGE_EXIT, shell.stderr
    assert shell.stderr.strip() == f"jupyter-mlops: {refused.value}"
    return str(refused.value)


def test_an_unquoted_password_with_a_space_is_refused_without_showing_it(
    postgres, tmp_path, subprocess_env
):
    first, rest = "hunter2", "Tr0ub4dor-and-more"
    url = f"{postgres.url(postgres.new_schema())} password={first} {rest}"
    message = refused_from_python_and_a_shell(url, tmp_path / "shared", subprocess_env)
    assert "\n" not in message and message.count(". ") == 0, message
    assert "holds a space" in message and "quote it as password='...'" in message
    for shown in (message, shown_url(url)):
        assert first not in shown and rest not in shown, shown
    assert not (tmp_path / "shared").exists()


def test_a_password_in_a_uri_with_no_user_name_is_never_shown(postgres, tmp_path):
    """`postgresql://:PASSWORD@host/db?user=ROLE`: libpq takes the password with no user
    name before it, and so must the masking."""
    schema = postgres.new_schema()
    role = f"r_{schema}"
    postgres.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{SECRET}'")
    uri = f"postgresql://:{SECRET}@127.0.0.1:{free_port()}/mlops?user={role}"
    url = f"ducklake:postgres:{uri} schema={schema}"
    with pytest.raises(UnavailableError) as unreached:
        Registry(url, data_path=tmp_path / "shared")
    message = str(unreached.value)
    assert SECRET not in message and "://:***@127.0.0.1" in message, message


def test_a_password_among_a_uris_parameters_is_never_shown(postgres, tmp_path):
    port = free_port()
    uri = f"postgresql://127.0.0.1:{port}/mlops?sslmode=disable&password={SECRET}&user=x"
    url = f"ducklake:postgres:{uri} schema={postgres.new_schema()}"
    with pytest.raises(UnavailableError) as unreached:
        Registry(url, data_path=tmp_path / "shared")
    message = str(unreached.value)
    assert "could not be reached" in message and f"127.0.0.1:{port}/mlops?sslmode=" in message
    for shown in (message, shown_url(url)):
        assert SECRET not in shown, shown


@pytest.mark.parametrize(
    ("spelling", "said"),
    [
        (f"password={SECRET}'x", "holds a quote or a backslash; quote it as password='...'"),
        (f"password='{SECRET}", "opens a quote after password= that it never closes"),
        (f"password='{SECRET} schema=other", "opens a quote after password= that it never"),
        (f'password="{SECRET} x"', "inside double quotes, which PostgreSQL reads as part of"),
    ],
)
def test_a_password_with_a_stray_quote_is_refused_as_that_without_showing_it(
    postgres, tmp_path, spelling, said
):
    url = f"{postgres.url(postgres.new_schema())} {spelling}"
    with pytest.raises(InvalidArgumentError) as refused:
        Registry(url, data_path=tmp_path / "shared")
    message = str(refused.value)
    assert said in message and "\n" not in message and message.endswith("."), message
    assert SECRET not in message and "schema" not in message
    assert not (tmp_path / "shared").exists()


@pytest.mark.parametrize(
    ("spelling", "said"),
    [
        ("schema=other", "gives schema= 2 times"),
        (f"password={SECRET} password='{SECRET}2'", "gives password= 2 times"),
        ("dbname=mlops", "gives dbname= 2 times"),
    ],
)
def test_a_keyword_given_twice_is_refused_without_showing_either_value(
    postgres, tmp_path, spelling, said
):
    """libpq would take the last of two, so a schema= pasted on would quietly name another
    registry: refused instead, in one sentence that shows neither value."""
    schema = postgres.new_schema()
    url = f"{postgres.url(schema)} {spelling}"
    with pytest.raises(InvalidArgumentError) as refused:
        Registry(url, data_path=tmp_path / "shared")
    message = str(refused.value)
    assert said in message and "\n" not in message and message.endswith("."), message
    assert SECRET not in message and schema not in message and "other" not in message
    assert not (tmp_path / "shared").exists()


@pytest.mark.parametrize(
    ("spelling", "said"),
    [
        (f"passwd={SECRET}", "gives passwd=, which is no PostgreSQL connection keyword (did you"),
        (f"pwd={SECRET} dbname=mlops", "gives pwd=, which is no PostgreSQL connection keyword"),
        (f"pasword={SECRET} more", "(did you mean password=?)"),
        ("extra", "holds a word after schema= that is no keyword=value pair"),
    ],
)
def test_a_mistyped_keyword_or_a_stray_word_is_refused_without_showing_a_value(
    postgres, tmp_path, subprocess_env, spelling, said
):
    """A password's keyword mistyped would reach PostgreSQL's client as an unknown option,
    and the URL quoted in the error would show the password: refused before, unshown."""
    url = f"{postgres.url(postgres.new_schema())} {spelling}"
    message = refused_from_python_and_a_shell(url, tmp_path / "shared", subprocess_env)
    assert said in message and "\n" not in message and message.endswith("."), message
    for shown in (message, shown_url(url)):
        assert SECRET not in shown, shown
    assert not (tmp_path / "shared").exists()


# what a message might show of SECRET if the address's userinfo were taken to end early
PIECES = ["hunter2", "Tr0ub4dor"]


@pytest.mark.parametrize(
    "address",
    [
        f"postgresql://alice:{SECRET} x@127.0.0.1/mlops",
        f"postgresql://alice:a@{SECRET}@h/mlops",
        "postgresql://alice:hunter2/Tr0ub4dor@127.0.0.1:{port}/mlops",
        "postgresql://alice:hunter2?Tr0ub4dor@127.0.0.1:{port}/mlops",
        "postgresql://alice:hunter2#Tr0ub4dor@127.0.0.1:{port}/mlops",
        "postgresql://alice:hunter2/x?password=Tr0ub4dor@127.0.0.1:{port}/mlops",
        "postgresql://alice:hunter2?sslmode=disable&x=Tr0ub4dor@127.0.0.1:{port}/mlops",
        "postgresql://hunter2/Tr0ub4dor@127.0.0.1:{port}/mlops",
        "postgresql://alice:hunter2/a@b/Tr0ub4dor@127.0.0.1:{port}/mlops",
        "postgresql://127.0.0.1:{port}/mlops?user=alice&password=hunter2@Tr0ub4dor",
    ],
)
def test_a_uri_whose_password_holds_a_space_at_slash_question_mark_or_hash_is_refused_unshown(
    postgres, tmp_path, subprocess_env, address
):
    """A `/`, `?` or `#` in a password would end the userinfo where PostgreSQL's client reads
    the host, so it would quote a piece of the password back as a host, port or database:
    the userinfo runs to the address's last @, is masked whole, and is refused if it holds
    one of them, from Python and from a shell alike."""
    uri = address.format(port=postgres.port)
    url = f"ducklake:postgres:{uri} schema={postgres.new_schema()}"
    message = refused_from_python_and_a_shell(url, tmp_path / "shared", subprocess_env)
    assert "write them as %20, %40, %2F, %3F and %23" in message and "\n" not in message
    for shown in (message, shown_url(url)):
        assert not any(piece in shown for piece in PIECES), shown
    assert not (tmp_path / "shared").exists()


def test_a_uri_whose_password_is_written_percent_encoded_is_taken_and_never_shown(
    postgres, tmp_path, fitted
):
    schema = postgres.new_schema()
    encoded = "hunter2%2F%3F%23%40%20Tr0ub4dor"
    url = f"ducklake:postgres:postgresql://{SUPERUSER}:{encoded}@127.0.0.1:{postgres.port}/mlops"
    registry = Registry(f"{url} schema={schema}", data_path=tmp_path / "shared")
    registry.register("m", fitted)
    masked = f"postgresql://{SUPERUSER}:***@127.0.0.1:{postgres.port}/mlops schema={schema}"
    assert masked in repr(registry)
    for shown in (repr(registry), registry.shown, repr(registry.db)):
        assert not any(piece in shown for piece in PIECES), shown


@pytest.mark.parametrize(
    "database",
    [
        "dbname='dbname=mlops password={secret}'",
        "dbname=postgresql://alice:{secret}@127.0.0.1/mlops",
        "dbname='postgresql://alice:{secret}@127.0.0.1/mlops'",
        "postgresql://127.0.0.1:{port}/dbname%3Dmlops%20password%3D{secret}",
        "postgresql://127.0.0.1:{port}/mlops?dbname=dbname%3Dmlops%20password%3D{secret}",
    ],
)
def test_a_database_name_that_is_a_connection_string_is_refused_unshown(
    postgres, tmp_path, subprocess_env, database
):
    """PostgreSQL's client may read a database name holding `=` or `://` as a connection
    string of its own; a message would show it whole, its password with it."""
    named = database.format(secret=SECRET, port=postgres.port)
    pairs = "" if named.startswith("postgresql:") else f" host=127.0.0.1 port={postgres.port}"
    url = f"ducklake:postgres:{named}{pairs} schema={postgres.new_schema()}"
    message = refused_from_python_and_a_shell(url, tmp_path / "shared", subprocess_env)
    assert "database name holds a connection string (an = or ://)" in message, message
    assert message.endswith("write its keywords as keyword=value pairs of the URL itself.")
    for shown in (message, shown_url(url)):
        assert SECRET not in shown, shown


@pytest.mark.parametrize("parameters", ["schema={schema}", "sslmode=disable&schema={schema}"])
def test_a_schema_given_as_a_uri_parameter_is_refused_saying_where_it_goes(
    postgres, tmp_path, subprocess_env, parameters
):
    """PostgreSQL's client knows no `schema` parameter (it would call the registry
    unreachable): the schema goes after the address, as ` schema=NAME`."""
    query = parameters.format(schema=postgres.new_schema())
    url = f"ducklake:postgres:postgresql://{SUPERUSER}@127.0.0.1:{postgres.port}/mlops?{query}"
    message = refused_from_python_and_a_shell(url, tmp_path / "shared", subprocess_env)
    assert "gives schema as a parameter of its postgresql:// address" in message, message
    assert "write it after the address, a space then schema=NAME" in message
    assert "\n" not in message and not (tmp_path / "shared").exists()


def test_a_quoted_schema_is_read_as_postgresql_reads_it(postgres, tmp_path):
    """`schema='we\\'ird'` names the schema we'ird, as PostgreSQL's client would read it."""
    base = postgres.url(postgres.new_schema()).rsplit(" schema=", 1)[0]
    with pytest.raises(InvalidArgumentError) as refused:
        Registry(f"{base} schema='we\\'ird'", data_path=tmp_path / "shared")
    assert 'names schema "we\'ird", which is no schema name' in str(refused.value)


def test_a_uri_followed_by_a_schema_keeps_the_registry_in_that_schema(postgres, tmp_path, fitted):
    schema = postgres.new_schema()
    uri = f"postgresql://{SUPERUSER}@127.0.0.1:{postgres.port}/mlops"
    registry = Registry(f"ducklake:postgres:{uri} schema={schema}", data_path=tmp_path / "s")
    registry.register("m", fitted)
    tables = postgres.execute(f"SELECT count(*) FROM pg_tables WHERE schemaname = '{schema}'")
    assert tables[0][0] > 0
    assert [
        v.version for v in Registry(f"ducklake:postgres:{uri} schema={schema}").versions("m")
    ] == [1]
