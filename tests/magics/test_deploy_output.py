"""What `%mlops deploy` shows: URL and token, wherever the line sits in its cell, and not
in the notebook a kernel saves (a real IPython shell; a real kernel run by nbclient)."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import nbclient
import nbformat
import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

from jupyter_mlops import Registry
from jupyter_mlops.deploying import deployments, undeploy
from jupyter_mlops.store import deployments as sql
from tests.conftest import free_port

REF = "diagnosis@champion"


@pytest.fixture
def registry(tmp_path: Path, dataset, fitted) -> Registry:
    X, y = dataset
    found = Registry(tmp_path / "registry")
    found.register("diagnosis", fitted, X=X, y=y)
    found.promote("diagnosis", 1)
    return found


def token_sha256(registry: Registry, *, port: int) -> str:
    with registry.db.read() as conn:
        rows = sql.deployments_of(conn, model="diagnosis", running_only=False)
    [row] = [row for row in rows if row["port"] == port]
    return str(row["token_sha256"])


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def test_deploy_followed_by_a_statement_shows_url_and_token(
    ipython: InteractiveShell, registry: Registry
) -> None:
    shell = ipython
    shell.run_cell(f"%mlops connect {registry.home}")
    port = free_port()
    try:
        with capture_output() as shown:
            shell.run_cell(f"%mlops deploy {REF} --port {port}\nafter = 1").raise_error()
        text = "\n".join(output.data["text/plain"] for output in shown.outputs)
        assert f"{REF} at http://127.0.0.1:{port}" in text
        [token] = re.findall(r"token \(shown once\): (\S+)", text)
        assert sha256(token) == token_sha256(registry, port=port)
    finally:
        undeploy(registry, REF)


def test_deploy_as_the_cells_value_shows_the_token_once(
    ipython: InteractiveShell, registry: Registry
) -> None:
    shell = ipython
    shell.run_cell(f"%mlops connect {registry.home}")
    port = free_port()
    try:
        with capture_output() as shown:
            result = shell.run_cell(f"%mlops deploy {REF} --port {port}")
        result.raise_error()
        token = result.result.token
        assert [o.data["text/plain"].count(token) for o in shown.outputs] == [1]
        assert token not in shown.stdout  # the value (Out) is shown without it
        assert f"{REF} at http://127.0.0.1:{port}" in shown.stdout
    finally:
        undeploy(registry, REF)


@pytest.mark.slow
def test_a_kernel_shows_the_token_in_a_widget_the_saved_notebook_does_not_hold(
    registry: Registry, tmp_path: Path
) -> None:
    port = free_port()
    cells = [
        "%load_ext jupyter_mlops",
        f"%mlops connect {registry.home}",
        f"%mlops deploy {REF} --port {port}\nafter = 1",
        f"%mlops undeploy {REF}",
    ]
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    client = nbclient.NotebookClient(
        notebook, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    try:
        executed = client.execute()  # keeps widget state, as papermill does
    finally:
        if [d for d in deployments(registry) if d.status == "running"]:
            undeploy(registry, REF)

    [deployed] = executed.cells[2].outputs
    assert deployed.data["text/plain"].startswith(f"{REF} at http://127.0.0.1:{port} (pid ")
    assert "not saved with it" in deployed.data["text/plain"]
    states = executed.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    shown = [s["state"]["value"] for s in states.values() if s["model_name"] == "HTMLModel"]
    [token] = [t for v in shown for t in re.findall(r"token .*?<code>(\S+)</code>", v)]
    assert sha256(token) == token_sha256(registry, port=port)  # the page was sent the token

    del executed.metadata["widgets"]  # as JupyterLab saves a notebook (widget state off)
    assert token not in nbformat.writes(executed)
    assert token not in json.dumps([cell.get("outputs", []) for cell in executed.cells])
