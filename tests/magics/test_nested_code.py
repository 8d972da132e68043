"""A run started inside a tracked cell records the cell as it was typed, as its outer run does."""

from __future__ import annotations

from jupyter_mlops import Registry, Tracker


def test_a_nested_run_records_the_cell_as_typed(ipython, tmp_path, monkeypatch, dataset) -> None:
    home = tmp_path / "registry"
    monkeypatch.setenv("MLOPS_HOME", str(home))
    shell = ipython
    shell.run_cell(f"%mlops connect {home}")
    X, y = dataset
    shell.user_ns.update(X=X, y=y)
    shell.run_cell(
        "from sklearn.tree import DecisionTreeClassifier\nimport jupyter_mlops as mlops"
    ).raise_error()
    body = (
        "%time clf = DecisionTreeClassifier(max_depth=3).fit(X, y)\n"
        'with mlops.run("inner"):\n'
        "    %time clf = DecisionTreeClassifier(max_depth=3).fit(X, y)\n"
    )
    shell.run_cell(f"%%mlops track outer\n{body}", store_history=True).raise_error()
    runs = {run.experiment: run for run in Tracker(Registry(home)).runs()}
    assert runs["outer"].code == body
    assert runs["inner"].code == body
    assert "get_ipython()" not in str(shell.run_cell("%mlops run 2").result)
