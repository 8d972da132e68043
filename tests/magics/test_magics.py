"""`%mlops` in a real IPython shell: the story a user types, and every misuse in one line."""

from __future__ import annotations

import pytest
from IPython.core.completer import provisionalcompleter

from jupyter_mlops import Registry


@pytest.fixture
def shell(ipython, tmp_path, dataset, fitted):
    ip = ipython
    ip.run_cell(f"%mlops connect {tmp_path / 'registry'}")
    X, y = dataset
    ip.user_ns.update(X_train=X, y_train=y, clf=fitted, val_auc=0.93)
    return ip


def run(shell, line):
    result = shell.run_cell(line, store_history=True)
    return result


def test_the_quickstart_story_from_cells(shell, tmp_path, dataset):
    assert run(
        shell,
        "%mlops register churn clf --data X_train y_train --metrics auc=0.91 "
        '--description "baseline"',
    ).success
    run(shell, '%mlops promote churn 1 champion --reason "first model"')
    run(shell, "%mlops register churn clf --data X_train y_train --metrics auc=val_auc")
    run(shell, '%mlops promote churn 2 champion --reason "better auc"')
    run(shell, '%mlops rollback churn --alias champion --reason "complaints"')
    result = run(shell, "history = %mlops history churn")
    assert result.success
    history = shell.user_ns["history"]
    assert [(e.from_version, e.to_version) for e in history] == [(None, 1), (1, 2), (2, 1)]
    assert [e.reason for e in history] == ["first model", "better auc", "complaints"]
    run(shell, "model = %mlops load churn@champion")
    X, _ = dataset
    assert (shell.user_ns["model"].predict(X) == shell.user_ns["clf"].predict(X)).all()

    registry = Registry(tmp_path / "registry")
    second = registry.get("churn:2")
    assert second.metrics == {"auc": 0.93}
    assert "%mlops register churn clf" in second.code
    assert registry.get("churn@champion").version == 1
    for line in [
        "%mlops models",
        "%mlops versions churn",
        "%mlops show churn@champion",
        "%mlops compare churn 1 2",
        "%mlops verify",
        "%mlops gc --dry-run",
        "%mlops tag churn 1 stage=prod",
        "%mlops describe churn 'churn model'",
        "%mlops help",
        "%mlops help register",
        "%mlops archive churn 2 --reason old",
        "%mlops connect",
    ]:
        assert run(shell, line).success, line
    assert registry.get("churn:1").tags == {"stage": "prod"}
    assert registry.get("churn:2").status == "archived"


def test_results_display_as_html(shell):
    run(shell, "%mlops register churn clf --data X_train y_train")
    run(shell, "v = %mlops show churn")
    formatted, _ = shell.display_formatter.format(shell.user_ns["v"])
    assert "text/html" in formatted and "input schema" in formatted["text/html"]


MISUSES = [
    ("%mlops bogus", "invalid choice"),
    ("%mlops register churn", "give the model's variable, or --from-run"),
    ("%mlops promote", "required"),
    ("%mlops show chrun", "did you mean 'churn'"),
    ("%mlops show churn@champio", "did you mean 'champion'"),
    ("%mlops load churn:9", "no version 9"),
    ("%mlops register churn clff", "did you mean 'clf'"),
    ("%mlops register churn X_train", "not a model"),
    ("%mlops register churn clf --metrics auc=high", "neither a number nor a variable"),
    ("%mlops register churn clf --metrics auc", "not name=number"),
    ("%mlops register churn clf --data X_train y_train y_train", "at most two"),
    ("%mlops register churn clf --data X_train", None),
    ("%mlops rollback churn", "nothing to roll back to"),
    ("%mlops promote churn one", "no alias 'one'"),
    ("%mlops tag churn 1 stage", "not key=value"),
    ("%mlops help nope", "no subcommand 'nope'"),
    ("%mlops show 'unbalanced", "check the quotes"),
    ("%mlops runs --top -1", "--top -1 is not a number of runs"),
    ("%mlops runs --top 0", "--top 0 is not a number of runs"),
    ("%mlops promote churn 1.0", "version '1.0' is not a version number"),
    ("%mlops promote churn 1 1.5", "alias '1.5' would be read as a version"),
    ("%mlops register churn clf --metrics auc=0.91 auc=0.5", "metric 'auc' is given twice"),
    ("%mlops register churn clf --metrics auc=0.91 --metrics auc=0.5", "is given twice"),
    ("%mlops register churn clf --tag stage=dev --tag stage=prod", "tag 'stage' is given twice"),
    ("%mlops tag churn 1 stage=dev stage=prod", "tag 'stage' is given twice"),
    ("%mlops gc --older-than -5", "--older-than -5.0 is not a number of seconds"),
    ("%mlops gc --older-than nan", "--older-than nan is not a number of seconds"),
]


@pytest.mark.parametrize(("line", "expected"), MISUSES)
def test_every_misuse_prints_one_line_and_no_traceback(shell, capsys, line, expected):
    run(shell, "%mlops register churn clf --data X_train y_train")
    run(shell, "%mlops promote churn 1 champion")
    capsys.readouterr()
    result = run(shell, line)
    out, err = capsys.readouterr()
    if expected is None:  # a valid line, for contrast
        assert result.success
        return
    assert not result.success
    lines = [text for text in (out + err).splitlines() if text.strip()]
    assert len(lines) == 1, lines
    assert lines[0].startswith("UsageError: ")
    assert expected in lines[0]
    assert "Traceback" not in out + err


def completions(shell, line):
    with provisionalcompleter():
        return sorted({c.text for c in shell.Completer.completions(line, len(line))})


def test_tab_completion_offers_subcommands_models_and_aliases(shell):
    run(shell, "%mlops register churn clf --data X_train y_train")
    run(shell, "%mlops promote churn 1 champion")
    assert "promote" in completions(shell, "%mlops pro")
    assert completions(shell, "%mlops show ch") == ["churn"]
    assert completions(shell, "%mlops show churn@") == ["champion"]
    assert completions(shell, "%mlops show churn@cha") == ["champion"]


def test_tab_completion_offers_a_models_versions_after_its_colon(shell):
    run(shell, "%mlops register wine clf --data X_train y_train")
    run(shell, "%mlops register wine clf --data X_train y_train --metrics auc=0.9")
    assert completions(shell, "%mlops load wine:") == ["1", "2"]
    assert completions(shell, "%mlops show wine:2") == ["2"]


@pytest.mark.parametrize(
    ("topic", "says"),
    [
        ("promote", "(default: champion)"),
        ("run", "a figure of the run's metrics over its steps"),
        ("drift-history", "a figure of each feature's drift statistic per check"),
        ("performance", "a figure of each metric per window, with its 95% interval"),
        ("estimate", "a figure of each estimated (and realised) metric per window"),
    ],
)
def test_help_says_what_a_default_or_a_figure_is(shell, capsys, topic, says):
    capsys.readouterr()
    assert run(shell, f"%mlops help {topic}").success
    assert says in " ".join(capsys.readouterr().out.split())


def test_repeated_options_add_up_rather_than_replace_each_other(shell, tmp_path):
    line = (
        "%mlops register churn clf --metrics auc=0.91 --metrics f1=0.8 "
        "--tag stage=dev --tag team=risk"
    )
    assert run(shell, line).success
    version = Registry(tmp_path / "registry").get("churn:1")
    assert version.metrics == {"auc": 0.91, "f1": 0.8}
    assert version.tags == {"stage": "dev", "team": "risk"}


TUTORIAL_CELL = """from sklearn.linear_model import LogisticRegression
model = LogisticRegression(max_iter=5000).fit(X_train, y_train)
%mlops register diagnosis model --data X_train y_train --metrics auc=0.91
"""


def test_running_a_registering_cell_again_returns_the_version_it_made(shell, tmp_path):
    first = run(shell, TUTORIAL_CELL).result
    again = run(shell, TUTORIAL_CELL).result
    assert first.version == again.version == 1
    shown = str(again).splitlines()[1]
    assert shown.startswith("note") and "version 1 is identical" in shown
    assert "pass --force" in shown
    registry = Registry(tmp_path / "registry")
    assert [v.version for v in registry.versions("diagnosis")] == [1]
    forced = run(shell, TUTORIAL_CELL.replace("auc=0.91", "auc=0.91 --force")).result
    assert forced.version == 2 and forced.artifact_sha256 == first.artifact_sha256


def test_a_promote_to_where_the_alias_points_says_nothing_changed(shell, tmp_path):
    run(shell, "%mlops register churn clf")
    run(shell, "%mlops register churn clf --force")
    run(shell, '%mlops promote churn 1 --reason "first"')
    run(shell, '%mlops promote churn 2 --reason "better"')
    assert run(shell, 'again = %mlops promote churn 2 --reason "again"').success
    assert "nothing changed, so no move was recorded" in str(shell.user_ns["again"])
    assert run(shell, 'back = %mlops rollback churn --reason "worse"').success
    back = shell.user_ns["back"]
    assert (back.from_version, back.to_version) == (2, 1)
    history = Registry(tmp_path / "registry").history("churn")
    assert [e.reason for e in history] == ["first", "better", "worse"]
