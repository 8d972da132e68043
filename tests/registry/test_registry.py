"""The registry as a user drives it from Python: register, promote, roll back, inspect."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression

from jupyter_mlops import Registry
from jupyter_mlops.cli import main
from jupyter_mlops.errors import (
    AliasNotFoundError,
    ConflictError,
    InvalidArgumentError,
    ModelNotFoundError,
    VersionNotFoundError,
)
from jupyter_mlops.registry.locations import options
from jupyter_mlops.registry.outputs import PREDICTION, TARGET
from tests.conftest import recorded_user

# every test of this file that uses `registry` runs on a file and on a shared registry
BACKENDS = ("file", "lake")


def test_register_captures_what_the_model_was_made_from(registry, fitted, dataset, tmp_path):
    X, y = dataset
    version = registry.register(
        "churn",
        fitted,
        X=X,
        y=y,
        metrics={"auc": 0.91},
        description="baseline",
        tags={"team": "risk"},
    )
    assert (version.model, version.version, version.status) == ("churn", 1, "ready")
    assert version.metrics == {"auc": 0.91}
    assert version.params["max_iter"] == 5000
    assert version.data_rows == len(X)
    assert len(version.data_fingerprint) == 64
    assert [c["name"] for c in version.schema] == list(X.columns)
    assert version.schema[0]["min"] == X.iloc[:, 0].min()
    assert "registry.register(" in version.code
    assert version.env["packages"]["scikit-learn"]
    assert version.created_by
    assert version.tags == {"team": "risk"}
    assert version.model_class == "sklearn.linear_model._logistic.LogisticRegression"
    assert registry.get("churn:1").data_fingerprint == version.data_fingerprint
    assert registry.models()[0].description == "baseline"


def test_reference_profile_covers_every_feature_the_target_and_the_output(
    registry, fitted, dataset
):
    X, y = dataset
    registry.register("churn", fitted, X=X, y=y)
    trained = registry.profile("churn")  # the model's outputs on its training rows: never
    assert [p["feature"] for p in trained] == [*X.columns, TARGET]
    assert sum(trained[0]["stats"]["counts"]) == len(X)
    held_out = (X.iloc[:200] * 1.001, y.iloc[:200])  # rows the model was not fitted on
    registry.register("churn", fitted, X=X, y=y, reference=held_out, force=True)
    profile = registry.profile("churn:2")
    assert [p["feature"] for p in profile] == [*X.columns, TARGET, PREDICTION]
    first = profile[0]["stats"]
    assert sum(first["counts"]) == 200  # of the held-out rows
    assert len(first["counts"]) == len(first["edges"]) + 1
    assert profile[-1]["kind"] == "numeric"


def test_categorical_and_missing_values_are_profiled(registry, fitted, dataset):
    X, y = dataset
    frame = X.iloc[:, :3].copy()
    frame["region"] = np.where(X.iloc[:, 0] > 14, "north", "south")
    frame.loc[frame.index[:10], "mean radius"] = np.nan
    from sklearn.ensemble import HistGradientBoostingClassifier

    model = HistGradientBoostingClassifier(max_iter=5, categorical_features=["region"])
    model.fit(frame, y)
    version = registry.register("regional", model, X=frame, y=y)
    schema = {c["name"]: c for c in version.schema}
    assert schema["region"]["categories"] == ["north", "south"]
    assert schema["mean radius"]["nulls"] == 10
    stats = {p["feature"]: p["stats"] for p in registry.profile("regional:1")}
    assert stats["region"]["counts"]["north"] + stats["region"]["counts"]["south"] == len(frame)
    assert stats["mean radius"]["nulls"] == 10


def test_versions_are_numbered_per_model_without_gaps(registry, fitted):
    for _ in range(3):
        registry.register("a", fitted, force=True)
    registry.register("b", fitted)
    assert [v.version for v in registry.versions("a")] == [1, 2, 3]
    assert [v.version for v in registry.versions("b")] == [1]
    assert registry.get("a").version == 3


def test_promote_rollback_and_history_form_an_audit_trail(registry, fitted):
    for _ in range(3):
        registry.register("churn", fitted, force=True)
    registry.promote("churn", 1, "champion", reason="first model")
    registry.promote("churn", 2, "champion", reason="better auc")
    registry.promote("churn", 3, "champion", reason="even better")
    assert registry.get("churn@champion").version == 3

    event = registry.rollback("churn", "champion", reason="complaints")
    assert (event.from_version, event.to_version, event.action) == (3, 2, "rollback")
    assert registry.get("churn@champion").version == 2
    registry.rollback("churn", reason="still bad")
    assert registry.get("churn@champion").version == 1

    history = registry.history("churn")
    assert [(e.action, e.from_version, e.to_version, e.reason) for e in history] == [
        ("promote", None, 1, "first model"),
        ("promote", 1, 2, "better auc"),
        ("promote", 2, 3, "even better"),
        ("rollback", 3, 2, "complaints"),
        ("rollback", 2, 1, "still bad"),
    ]
    assert all(e.moved_by and e.moved_at for e in history)
    assert history[3].evidence == {"undoes_event": history[2].id}
    with pytest.raises(ConflictError, match="nothing to roll back to"):
        registry.rollback("churn")
    assert "rollback" in history._repr_html_()


def test_a_promote_after_a_rollback_is_the_next_move_undone(registry, fitted):
    for _ in range(3):
        registry.register("m", fitted, force=True)
    registry.promote("m", 1)
    registry.promote("m", 2)
    registry.rollback("m")
    registry.promote("m", 3)
    registry.rollback("m")
    assert registry.get("m@champion").version == 1


def test_a_move_chosen_before_another_moved_the_alias_is_refused(registry, fitted, monkeypatch):
    for _ in range(3):
        registry.register("m", fitted, force=True)
    registry.promote("m", 1, expect=None)  # no expectation: no check
    monkeypatch.setenv("MLOPS_USER", "ana")
    registry.promote("m", 2, expect=1, reason="ana saw 1")
    with pytest.raises(ConflictError) as raised:
        registry.promote("m", 3, expect=1, reason="bo saw 1 too")
    message = str(raised.value)
    who = recorded_user(registry, "ana")
    assert f"m@champion moved since you looked: it points at version 2 (promote by {who}" in message
    assert message.endswith("look at m again and choose again.")
    with pytest.raises(ConflictError):
        registry.rollback("m", expect=1)
    assert registry.get("m@champion").version == 2
    assert registry.rollback("m", expect=2).to_version == 1
    with pytest.raises(ConflictError, match="it points at nothing"):
        registry.promote("m", 3, "challenger", expect=2)
    assert registry.model_aliases("m") == {"champion": 1}


def test_a_rollback_planned_to_one_version_never_goes_to_another(registry, fitted):
    for _ in range(3):
        registry.register("m", fitted, force=True)
    registry.promote("m", 1)
    registry.promote("m", 2)
    planned = registry.plan_rollback("m")  # a dialog shows "2 -> 1"
    assert (planned.before, planned.after) == (2, 1)
    registry.promote("m", 3)  # meanwhile others promote 3, then 2 again
    registry.promote("m", 2)
    with pytest.raises(ConflictError) as raised:
        registry.rollback("m", expect=2, to=planned.after)
    assert "would now go to version 3, not to version 1 as planned" in str(raised.value)
    assert registry.get("m@champion").version == 2
    assert registry.rollback("m", expect=2, to=3).to_version == 3  # what a new plan shows
    with pytest.raises(InvalidArgumentError, match="to 0 is not a version number"):
        registry.rollback("m", to=0)
    with pytest.raises(InvalidArgumentError, match="expect -1 is not a version number"):
        registry.promote("m", 1, expect=-1)


def test_a_promote_to_where_the_alias_points_records_nothing(registry, fitted):
    for _ in range(2):
        registry.register("m", fitted, force=True)
    registry.promote("m", 1, reason="first")
    registry.promote("m", 2, reason="better")
    unmoved = registry.promote("m", 2, reason="again")
    assert (unmoved.from_version, unmoved.to_version) == (2, 2)
    assert str(unmoved) == (
        "m@champion points at version 2 already; nothing changed, so no move was recorded."
    )
    assert unmoved.to_dict()["kind"] == "unchanged" and unmoved.to_dict()["changes"] is False
    assert [e.reason for e in registry.history("m")] == ["first", "better"]
    back = registry.rollback("m", reason="worse")  # undoes the real move: 2 -> 1
    assert (back.from_version, back.to_version) == (2, 1)


def test_a_rollback_keeps_its_evidence_beside_the_move_it_undoes(registry, fitted):
    for _ in range(2):
        registry.register("m", fitted, force=True)
    registry.promote("m", 1)
    promoted = registry.promote("m", 2, evidence={"via": "jupyterlab"})
    back = registry.rollback("m", evidence={"via": "jupyterlab", "jupyter_user": "ana"})
    assert promoted.evidence == {"via": "jupyterlab"}
    assert back.evidence == {"via": "jupyterlab", "jupyter_user": "ana",
                             "undoes_event": promoted.id}  # fmt: skip


def test_aliases_are_independent(registry, fitted):
    for _ in range(2):
        registry.register("m", fitted, force=True)
    registry.promote("m", 1, "champion")
    registry.promote("m", 2, "challenger")
    assert registry.get("m@challenger").aliases == ["challenger"]
    assert registry.get("m").aliases == ["challenger"]
    assert registry.get("m:1").aliases == ["champion"]
    registry.remove_alias("m", "challenger", reason="done")
    with pytest.raises(AliasNotFoundError, match="challenger"):
        registry.get("m@challenger")
    assert registry.history("m", "challenger")[-1].action == "remove"


def test_archiving_a_version_an_alias_points_at_is_refused(registry, fitted):
    registry.register("m", fitted)
    registry.register("m", fitted, force=True)
    registry.promote("m", 1)
    with pytest.raises(ConflictError, match="alias champion points at m version 1, so it cannot"):
        registry.archive("m", 1)
    archived = registry.archive("m", 2, reason="bad data")
    assert archived.status == "archived"
    assert registry.get("m").version == 1
    with pytest.raises(ConflictError, match="archived"):
        registry.promote("m", 2, "challenger")


def test_unknown_names_suggest_the_closest(registry, fitted):
    registry.register("churn", fitted)
    registry.promote("churn", 1)
    with pytest.raises(ModelNotFoundError, match="did you mean 'churn'"):
        registry.get("chrun")
    with pytest.raises(AliasNotFoundError, match="did you mean 'champion'") as typo:
        registry.get("churn@champoin")
    assert "promote" not in str(typo.value)  # creating the typo is not the fix
    with pytest.raises(VersionNotFoundError, match=r"versions: 1\.\.1"):
        registry.get("churn:7")
    with pytest.raises(InvalidArgumentError, match="not valid"):
        registry.register("bad name!", fitted)
    with pytest.raises(InvalidArgumentError, match="read as a version"):
        registry.promote("churn", 1, "42")


def test_a_name_too_long_for_any_model_is_said_to_be_too_long_not_missing(registry, fitted, capsys):
    registry.register("churn", fitted)
    name = "m" * 129
    lookups = [
        lambda: registry.versions(name),
        lambda: registry.history(name),
        lambda: registry.model_aliases(name),
        lambda: registry.describe(name, "text"),
        lambda: registry.get(f"{name}@champion"),
        lambda: registry.register(name, fitted),
    ]
    for lookup in lookups:
        with pytest.raises(InvalidArgumentError, match=r"too long \(129 characters\)"):
            lookup()
    home = options(registry)  # --home, and a shared registry's --data-path
    for command in (["versions", name], ["history", name], ["undeploy", name]):
        assert main([*home, *command]) == 2
        said = capsys.readouterr().err.strip()
        assert said.endswith("is too long (129 characters); use at most 128."), said
    assert registry.model_names() == ["churn"]


def test_bad_inputs_are_refused_before_anything_is_written(registry, fitted, dataset):
    X, y = dataset
    with pytest.raises(InvalidArgumentError, match="not a model"):
        registry.register("m", X)
    with pytest.raises(InvalidArgumentError, match="not a finite number"):
        registry.register("m", fitted, metrics={"auc": "high"})
    with pytest.raises(InvalidArgumentError, match="rows"):
        registry.register("m", fitted, X=X, y=y[:10])
    with pytest.raises(InvalidArgumentError, match="cannot predict"):
        registry.register("m", fitted, X=X.iloc[:, :5])
    assert registry.models() == []
    assert list(registry.artifacts.digests()) == []


def test_compare_marks_what_differs(registry, fitted, dataset):
    X, y = dataset
    registry.register("m", fitted, X=X, y=y, metrics={"auc": 0.9})
    forest = RandomForestClassifier(n_estimators=5, random_state=0).fit(X, y)
    registry.register("m", forest, X=X.iloc[:300], y=y.iloc[:300], metrics={"auc": 0.95})
    comparison = registry.compare("m", 1, 2)
    rows = {(section, name): (a, b, delta) for section, name, a, b, delta in comparison.rows}
    assert rows[("metric", "auc")][2] == pytest.approx(0.05)
    assert rows[("data", "rows")] == (len(X), 300, 300 - len(X))
    assert rows[("param", "n_estimators")] == (None, 5, None)
    assert ("metric", "auc") in {(r[0], r[1]) for r in comparison.differences}
    assert 'class="jp-mlops-diff"' in comparison._repr_html_()


def test_compare_tells_two_models_apart_that_differ_only_in_what_they_learned(registry, dataset):
    """Same class, params and training rows, labels flipped: only the model file differs,
    and compare says so; a model registered again unchanged shows no difference."""
    X, y = dataset
    registry.register("m", LogisticRegression(max_iter=5000).fit(X, y), X=X, y=y)
    registry.register("m", LogisticRegression(max_iter=5000).fit(X, 1 - y), X=X, y=y)
    registry.register("m", LogisticRegression(max_iter=5000).fit(X, y), X=X, y=y, force=True)

    flipped = registry.compare("m", 1, 2)

    assert [(r[0], r[1]) for r in flipped.differences] == [("model", "file")]
    assert "(1 difference marked *)" in str(flipped)
    unchanged = registry.compare("m", 1, 3).differences
    assert [r for r in unchanged if r[0] != "provenance"] == []  # a commit between is one


def test_git_commit_is_recorded_inside_a_repository(tmp_path, fitted, monkeypatch):
    repo = tmp_path / "project"
    repo.mkdir()
    run = lambda *args: subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)  # noqa: E731
    run("init", "-q")
    (repo / "train.py").write_text("print(1)\n")
    run("add", ".")
    run("-c", "user.email=a@b", "-c", "user.name=a", "commit", "-qm", "x")
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True)
    monkeypatch.chdir(repo)
    registry = Registry(tmp_path / "reg")
    assert registry.register("m", fitted).git_commit == head.stdout.strip()
    (repo / "train.py").write_text("print(2)\n")
    assert registry.register("m", fitted, force=True).git_commit == head.stdout.strip() + "+dirty"


def test_reprs_are_short_in_text_and_rich_in_html(registry, fitted, dataset):
    X, y = dataset
    version = registry.register("m", fitted, X=X, y=y, metrics={"auc": 0.9})
    registry.promote("m", 1)
    assert repr(registry.get("m@champion")) == "<Version m:1 (champion) LogisticRegression>"
    html = registry.get("m:1")._repr_html_()
    assert "auc=0.9" in html and "input schema (30 columns)" in html
    assert "m" in str(registry.models()) and "champion=1" in str(registry.models())
    assert registry.versions("m").to_frame().loc[0, "aliases"] == ["champion"]
    assert version.ref == "m:1"


def test_an_unwritable_location_is_a_usage_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(InvalidArgumentError, match="is a file"):
        Registry(blocker)
    with pytest.raises(InvalidArgumentError, match="cannot create the registry directory"):
        Registry(blocker / "below")


def test_repeated_column_names_are_refused(registry, fitted, dataset):
    X, y = dataset
    doubled = X.copy()
    doubled.columns = [*X.columns[:-1], X.columns[0]]
    with pytest.raises(InvalidArgumentError, match="repeated column names"):
        registry.register("m", fitted, X=doubled, y=y)


def test_rollback_never_points_an_alias_at_an_archived_version(registry, fitted, dataset):
    X, _ = dataset
    for _ in range(3):
        registry.register("m", fitted, force=True)
    registry.promote("m", 1)
    registry.promote("m", 2)
    registry.archive("m", 1, reason="leaked labels")
    with pytest.raises(ConflictError) as refused:
        registry.rollback("m", reason="complaints")
    message = str(refused.value)
    assert "version 1, which is archived" in message
    assert "registry.promote('m', VERSION, 'champion')" in message
    assert registry.get("m@champion").version == 2
    assert [e.action for e in registry.history("m")] == ["promote", "promote", "archive"]
    assert (registry.load("m@champion").predict(X) == fitted.predict(X)).all()


def test_rollback_after_removing_an_alias_refuses_an_archived_version(registry, fitted):
    registry.register("m", fitted)
    registry.register("m", fitted, force=True)
    registry.promote("m", 1, "challenger")
    registry.remove_alias("m", "challenger", reason="gate failed")
    registry.archive("m", 1)
    with pytest.raises(ConflictError, match=r"m@challenger .* version 1, which is archived"):
        registry.rollback("m", "challenger")
    assert registry.aliases("m") == []


def test_evidence_is_stored_as_json_or_refused_in_one_line(registry, fitted):
    registry.register("m", fitted)
    event = registry.promote("m", 1, evidence={"auc": np.float64(0.91), "check": 12})
    assert registry.history("m")[0].evidence == {"auc": 0.91, "check": 12} == event.evidence
    for evidence, shown in [({"a": object()}, "'a'=<object"), ({"p": float("nan")}, "'p'=nan")]:
        with pytest.raises(InvalidArgumentError, match="cannot be stored as JSON") as refused:
            registry.promote("m", 1, "challenger", evidence=evidence)
        assert shown in str(refused.value) and "\n" not in str(refused.value)
    with pytest.raises(InvalidArgumentError, match="evidence key 1 is an int"):
        registry.promote("m", 1, "challenger", evidence={1: 0.5})
    assert len(registry.history("m")) == 1


def test_a_repeat_says_when_it_returns_a_version_without_the_tags_given(registry, fitted):
    first = registry.register("m", fitted, tags={"stage": "dev"}, description="baseline")
    assert first.note == ""
    again = registry.register("m", fitted, tags={"stage": "dev"})
    assert again.version == 1 and "version 1 is identical" in again.note
    assert "nothing stored; pass force=True" in again.note and "not applied" not in again.note
    changed = registry.register("m", fitted, tags={"stage": "prod"}, description="retrained")
    assert changed.version == 1 and changed.tags == {"stage": "dev"}
    assert "not applied: tag stage=prod, description 'retrained'" in changed.note
    assert "registry.tag('m', 1, {KEY: VALUE})" in changed.note
    assert str(changed).splitlines()[1].startswith("note")
    assert registry.get("m:1").note == ""


def test_history_and_model_tables_keep_version_numbers_whole(registry, fitted):
    registry.register("m", fitted)
    registry.register("m", fitted, force=True)
    registry.promote("m", 1)
    registry.promote("m", 2)
    registry.remove_alias("m", "champion")
    frame = registry.history("m").to_frame()
    assert str(frame["from"].dtype) == "Int64" and str(frame["to"].dtype) == "Int64"
    assert frame["from"].tolist()[1:] == [1, 2] and frame["from"].isna().tolist()[0]
    assert frame["to"].tolist()[:2] == [1, 2] and frame["to"].isna().tolist()[2]
    assert registry.models().to_frame()["latest"].tolist() == [2]
    assert str(registry.models().to_frame()["latest"].dtype) == "Int64"
