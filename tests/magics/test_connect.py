"""The registry a notebook connects to (a directory, or a shared registry's URL) is where
`mlops.run()` and `Tracker()` write."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

from jupyter_mlops import Registry, Tracker
from tests.conftest import close_shell, free_port
from tests.postgres import Cluster


def experiments(home: Path) -> list[str]:
    return [run.experiment for run in Tracker(Registry(home)).runs()]


def test_a_run_in_a_connected_notebook_is_recorded_in_its_registry(
    ipython: InteractiveShell, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chosen, environment, other = tmp_path / "chosen", tmp_path / "environment", tmp_path / "other"
    monkeypatch.setenv("MLOPS_HOME", str(environment))
    assert ipython.run_cell(f"%mlops connect {chosen}").success
    assert ipython.run_cell('with mlops.run("e"):\n    mlops.log_metric("loss", 0.5)').success
    assert ipython.run_cell('mlops.Tracker().start("started").end()').success
    assert sorted(experiments(chosen)) == ["e", "started"]
    assert ipython.run_cell(f"%config MlopsMagics.home = '{other}'").success
    assert ipython.run_cell('with mlops.run("configured"):\n    pass').success
    assert experiments(other) == ["configured"]
    assert ipython.run_cell("%unload_ext jupyter_mlops").success
    assert ipython.run_cell('with mlops.run("unloaded"):\n    pass').success
    assert experiments(environment) == ["unloaded"]
    assert len(experiments(chosen)) == 2 and experiments(other) == ["configured"]
    assert ipython.run_cell("%load_ext jupyter_mlops").success


def test_a_shared_registry_is_connected_by_its_url_as_typed_and_its_password_never_shown(
    ipython: InteractiveShell,
    postgres: Cluster,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    dataset: Any,
    fitted: Any,
) -> None:
    url = postgres.url(postgres.new_schema(), password="hush")  # spaces, unquoted
    team = tmp_path / "team"
    monkeypatch.setenv("MLOPS_DATA_PATH", str(tmp_path / "not this one"))
    ipython.user_ns.update(X=dataset[0], y=dataset[1], clf=fitted)
    connected = ipython.run_cell(f"%mlops connect {url} --data-path {team}")
    assert connected.success and "hush" not in repr(connected.result)
    assert ipython.run_cell("%mlops register tumour clf --data X y").success
    models = ipython.run_cell("%mlops models")
    assert models.success and "tumour" in str(models.result)
    assert ipython.run_cell('with mlops.run("e"):\n    mlops.log_metric("loss", 0.5)').success
    shared = Registry(url, data_path=team)
    assert [m.name for m in shared.models()] == ["tumour"]
    assert [run.experiment for run in Tracker(shared).runs()] == ["e"]
    assert ipython.run_cell("mlops.Registry().home").result == team
    home = ipython.run_cell("%config MlopsMagics.home").result
    assert home == url.replace("hush", "***")

    monkeypatch.setenv("MLOPS_REGISTRY", url)  # a new session starts on it
    monkeypatch.setenv("MLOPS_DATA_PATH", str(team))
    fresh = InteractiveShell()
    try:
        assert fresh.run_cell("%load_ext jupyter_mlops").success
        assert fresh.run_cell("%mlops models").result.to_dict() == models.result.to_dict()
    finally:
        close_shell(fresh)


def failure(shell: InteractiveShell, line: str) -> str:
    result = shell.run_cell(line)
    assert not result.success and isinstance(result.error_in_exec, UsageError), result
    return str(result.error_in_exec)


def test_a_password_quoted_in_a_connect_line_is_one_and_a_spaced_one_asks_to_quote_the_url(
    ipython: InteractiveShell, postgres: Cluster, tmp_path: Path
) -> None:
    """`password='a b'` in an unquoted `%mlops connect` line is the password `a b`, as in a
    connection string; one with no quotes is refused, asking for the whole URL in quotes,
    the way the line keeps it one word."""
    schema, team = postgres.new_schema(), tmp_path / "team"
    conninfo = postgres.conninfo("mlops")
    quoted = f"%mlops connect ducklake:postgres:{conninfo} password='hush now' schema={schema}"
    connected = ipython.run_cell(f"{quoted} --data-path {team}")
    assert connected.success, connected.error_in_exec
    assert ipython.run_cell("%config MlopsMagics.home").result == (
        f"ducklake:postgres:{conninfo} password=*** schema={schema}"
    )
    read = ipython.run_cell("mlops.Registry().db.conninfo").result
    assert read == f"{conninfo} password='hush now'"  # as PostgreSQL's client reads it
    said = failure(ipython, quoted.replace("'hush now'", "hush now"))
    assert said.endswith(
        "quote the whole URL, as in %mlops connect \"ducklake:postgres:... password='...'\", "
        "with \\' for a quote in it (or keep it out of the URL, in ~/.pgpass or PGPASSWORD)."
    ), said
    assert "hush" not in said and "now" not in said
    # a quote in the password, escaped as PostgreSQL reads it, in a line a shell cannot split
    escaped = quoted.replace("'hush now'", "'it\\'s'")
    connected = ipython.run_cell(f"{escaped} --data-path {team}")
    assert connected.success, connected.error_in_exec
    assert ipython.run_cell("mlops.Registry().db.conninfo").result == (
        f"{conninfo} password='it\\'s'"
    )


# a password with both quotes in it, as PostgreSQL reads it in a connection string
BOTH = "'K7q\\'Zx\"Wv9'"


@pytest.mark.parametrize(
    "spelling",
    [
        "{pairs} password='K7q\\'Zx\"Wv9' schema={schema}",  # as the URL itself spells it
        '{pairs} password="K7q\'Zx\\"Wv9" schema={schema}',  # as a shell quotes a word
        "{pairs} password=K7q\\'Zx\\\"Wv9 schema={schema}",  # as a shell escapes one
        "\"{pairs} password='K7q\\'Zx\\\"Wv9' schema={schema}\"",  # the URL in double quotes
    ],
)
def test_a_password_with_both_quotes_connects_however_the_line_quotes_it(
    ipython: InteractiveShell, postgres: Cluster, tmp_path: Path, spelling: str
) -> None:
    """A connection string escapes a quote as \\' inside single quotes, which a shell cannot
    split; a shell's quotes and backslashes hold the value together another way. Each
    spelling reaches PostgreSQL as the one password, and none of it is shown."""
    schema, team = postgres.new_schema(), tmp_path / "team"
    pairs = f"ducklake:postgres:{postgres.conninfo('mlops')}"
    line = f"%mlops connect {spelling.format(pairs=pairs, schema=schema)} --data-path {team}"
    connected = ipython.run_cell(line)
    assert connected.success, connected.error_in_exec
    conninfo = ipython.run_cell("mlops.Registry().db.conninfo").result
    assert conninfo == f"{postgres.conninfo('mlops')} password={BOTH}"
    shown = [repr(connected.result), ipython.run_cell("%config MlopsMagics.home").result]
    assert not any("K7q" in text or "Wv9" in text for text in shown), shown


def test_a_double_quoted_url_with_a_bare_double_quote_says_how_to_write_it(
    ipython: InteractiveShell, postgres: Cluster, tmp_path: Path
) -> None:
    url = f"ducklake:postgres:{postgres.conninfo('mlops')} password='K7q\\'Zx\"Wv9'"
    said = failure(ipython, f'%mlops connect "{url}" --data-path {tmp_path}')
    assert said.startswith("%mlops: cannot split the line (No closing quotation); "), said
    assert said.endswith(
        "write the URL unquoted, as PostgreSQL reads it (password='...' with \\' for a quote "
        'in it), or in double quotes with \\" for a double quote in it.'
    ), said
    assert "K7q" not in said and "Wv9" not in said


def test_an_unreachable_server_names_the_connect_line_in_a_notebook(
    ipython: InteractiveShell, postgres: Cluster, tmp_path: Path
) -> None:
    """The fix of a shared registry out of reach names where a notebook gives its URL."""
    url = postgres.url("anything").replace(f"port={postgres.port}", f"port={free_port()}")
    said = failure(ipython, f"%mlops connect {url} --data-path {tmp_path / 'team'}")
    assert "could not be reached" in said and "\n" not in said
    assert said.endswith(
        "that the URL given to %mlops connect names its database, host, port and user."
    ), said
