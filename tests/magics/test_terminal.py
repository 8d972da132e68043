"""`%mlops` in IPython in a terminal: a shell that shows text only, and has no browser. Each
result reads as the text table its HTML shows, and a figure as a summary of its lines."""

from __future__ import annotations

from collections.abc import Iterator

import plotly.graph_objects as go
import pytest
from IPython.core.interactiveshell import InteractiveShell
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from jupyter_mlops import Monitor, Registry


@pytest.fixture
def terminal(ipython: InteractiveShell, tmp_path, dataset, fitted) -> Iterator[InteractiveShell]:
    """The shell with text/plain as its only format, as TerminalInteractiveShell sets it, and
    cancer versions 1 (a logistic regression) and 2 (a pipeline, champion)."""
    shell = ipython
    formats = shell.display_formatter.active_types
    shell.display_formatter.active_types = ["text/plain"]
    X, y = dataset
    scaled = make_pipeline(StandardScaler(), LogisticRegression(C=0.5)).fit(X, y)
    drifted = X.assign(**{"mean radius": X["mean radius"] * 1.5})
    shell.user_ns.update(X=X, y=y, first=fitted, second=scaled, drifted=drifted)
    for line in [
        f"%mlops connect {tmp_path / 'registry'}",
        "v1 = %mlops register cancer first --data X y --metrics auc=0.91",
        "v2 = %mlops register cancer second --data X y --metrics auc=0.95",
        "moved = %mlops promote cancer 2",
    ]:
        assert shell.run_cell(line).success, line
    try:
        yield shell
    finally:
        shell.display_formatter.active_types = formats


def shown(shell: InteractiveShell, capsys: pytest.CaptureFixture[str], line: str) -> str:
    """What the terminal prints for `line`."""
    capsys.readouterr()
    result = shell.run_cell(line, store_history=True)
    out, err = capsys.readouterr()
    assert result.success, out + err
    assert err == ""
    return out


def test_show_prints_the_whole_record_not_a_one_line_repr(terminal, capsys):
    out = shown(terminal, capsys, "%mlops show cancer@champion")
    assert "<Version" not in out
    facts = {line.split()[0]: line.split()[1:] for line in out.splitlines()[1:] if line.strip()}
    assert facts["class"] == ["sklearn.pipeline.Pipeline"]
    assert facts["aliases"] == ["champion"]
    assert "input schema (30 columns)" in out and "mean radius" in out
    assert '"logisticregression__C": 0.5' in out  # the params, as the HTML's details hold them
    assert "environment" in out


def test_versions_compare_drift_and_performance_print_their_tables(
    terminal, capsys, tmp_path, dataset
):
    versions = shown(terminal, capsys, "%mlops versions cancer").splitlines()
    columns = ["version", "created", "by", "class", "metrics", "aliases", "status", "lineage"]
    assert versions[1].split() == columns
    assert [line.split()[0] for line in versions[2:]] == ["1", "2"]
    compare = shown(terminal, capsys, "%mlops compare cancer 1 2").splitlines()
    assert "differences marked *" in compare[1]
    assert compare[3].split() == ["*", "metric", "auc", "0.91", "0.95", "0.04"]
    steps = [i for i, line in enumerate(compare) if " steps " in line]
    assert steps, "the pipeline's steps are missing"
    whole = " ".join(line.strip() for line in compare[steps[0] : steps[0] + 3])
    assert "('logisticregression', LogisticRegression(C=0.5))]" in whole  # wrapped, not cut
    drift = shown(terminal, capsys, "%mlops drift cancer@champion --current drifted --no-save")
    assert "1 of 30 features drifted" in drift
    lines = drift.splitlines()
    rows = lines[next(i for i, line in enumerate(lines) if line.startswith("feature")) + 1 :]
    drifted = [line.split()[:2] for line in rows if "DRIFT" in line.split()]
    assert drifted == [["mean", "radius"]]
    _, y = dataset
    assert terminal.run_cell("scored = %mlops predict cancer@champion X").success
    scored = terminal.user_ns["scored"]
    Monitor(Registry(tmp_path / "registry")).log_labels("cancer", scored["__request_id__"], y)
    performance = shown(terminal, capsys, "%mlops performance cancer@champion").splitlines()
    assert "window start" in performance[2] and "95% interval" in performance[2]
    assert {line.split()[4] for line in performance[3:]} >= {"accuracy", "auc", "f1"}
    assert {line.split()[5] for line in performance[3:]} == {"realised"}


def test_figures_are_summarised_where_no_browser_can_draw_them(terminal, capsys):
    out = shown(terminal, capsys, "%mlops metrics cancer").splitlines()
    assert out[1] == "figure: cancer: metrics of every registered version"
    header = out.index(
        "trace  points  first x              last x               min y  max y  last y"
    )
    auc = out[header + 1].split()
    assert auc[:2] == ["auc", "2"] and auc[-3:] == ["0.91", "0.95", "0.95"]
    assert terminal.run_cell("summary = %mlops metrics cancer").success
    assert isinstance(terminal.user_ns["summary"].figure, go.Figure)
    # where HTML can be shown (a notebook), the figure itself
    terminal.display_formatter.active_types = list(terminal.display_formatter.format_types)
    assert terminal.run_cell("figure = %mlops metrics cancer").success
    assert isinstance(terminal.user_ns["figure"], go.Figure)


def test_gc_dry_run_prints_a_sentence_not_a_quoted_string(terminal, capsys, tmp_path):
    stray = tmp_path / "registry" / "artifacts" / "sha256" / "ab" / ("c" * 62)
    stray.parent.mkdir(parents=True, exist_ok=True)
    stray.write_bytes(b"left by a crash")
    out = shown(terminal, capsys, "%mlops gc --dry-run --older-than 0")
    assert "'" not in out
    lines = out.splitlines()
    assert lines[1] == "would delete 1 unreferenced artifact file:"
    assert lines[-1] == "ab" + "c" * 62
    assert stray.exists()
