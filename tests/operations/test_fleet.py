"""The fleet overview on a registry built as a user would: each health reached through real
registrations, checks, alert rules and labelled performance; filters, a served deployment,
the faces, and JSON."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from jupyter_mlops import operations as ops
from jupyter_mlops.errors import InvalidArgumentError
from jupyter_mlops.monitoring import synthetic
from jupyter_mlops.operations.fleet_records import Fleet
from jupyter_mlops.operations.registering import registration
from jupyter_mlops.registry import Registry
from tests.conftest import free_port


def rows(count: int, *, seed: int, shifted: bool = False) -> tuple[pd.DataFrame, pd.Series]:
    X = synthetic.features(count, shifted=shifted, seed=seed)
    return X[synthetic.NUMERIC], synthetic.target(X)


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    """quiet: never checked; calm: checked on its own reference (ok); shifting: drifted;
    worse: labelled rows score below the AUC it registered, and it drifted too;
    alarmed: a rule fired on its drift; each model registered twice, calm served."""
    registry = Registry(tmp_path_factory.mktemp("fleet") / "registry")
    (train, y_train), (held, y_held) = rows(1_500, seed=1), rows(500, seed=2)
    model = LogisticRegression(max_iter=500).fit(train, y_train)
    for name in ("quiet", "calm", "shifting", "worse", "alarmed"):
        for auc in (0.7, 0.99 if name == "worse" else 0.7):
            given = registration(model, data=[train, y_train], reference=[held, y_held],
                                 metrics={"auc": auc}, description=f"{name} model")  # fmt: skip
            ops.register(registry, name=name, given=given, force=True)
        ops.promote(registry, model=name, version=2)
    shifted, y_shifted = rows(600, seed=3, shifted=True)
    ops.drift(registry, ref="calm@champion", current=held)
    ops.drift(registry, ref="shifting@champion", current=shifted)
    ops.drift(registry, ref="worse:2", current=shifted)
    ops.performance(registry, ref="worse:2", current=shifted.assign(label=y_shifted),
                    label_column="label")  # fmt: skip
    ops.add_alert(registry, ref="alarmed@champion", expression="drift.share > 0.1")
    ops.check(registry, ref="alarmed@champion", current=shifted)
    served = ops.deploy(registry, ref="calm@champion", port=free_port())
    try:
        yield registry
    finally:
        ops.undeploy(registry, target=served.id)


def healths(fleet: Fleet) -> dict[str, str]:
    return {row.name: row.health for row in fleet}


def test_each_model_gets_the_health_its_stored_checks_show(registry: Registry) -> None:
    fleet = ops.fleet(registry)
    assert healths(fleet) == {
        "alarmed": "alerting",
        "worse": "degraded",
        "shifting": "drifting",
        "calm": "ok",
        "quiet": "never checked",
    }
    assert [row.name for row in fleet] == ["alarmed", "worse", "shifting", "calm", "quiet"]


def test_the_why_names_the_evidence(registry: Registry) -> None:
    why = {row.name: row.why for row in ops.fleet(registry)}
    assert why["alarmed"].startswith("rule 'drift.share > 0.1' firing since ")
    assert "auc" in why["worse"] and "below 0.99 registered with version 2" in why["worse"]
    assert "features drifted (" in why["shifting"] and "n0" in why["shifting"]
    assert why["quiet"] == "no check is stored for any of its versions"


def test_the_model_output_is_judged_but_not_counted_as_a_feature(registry: Registry) -> None:
    """The models take 20 features; drift judges their output too, as a column of its own,
    which the verdict names apart (the shifted rows move what the model predicts)."""
    why = {row.name: row.why for row in ops.fleet(registry)}
    assert " of 20 features drifted" in why["shifting"]
    assert "__prediction__" not in why["shifting"]
    assert "the model's output drifted" in why["shifting"]
    assert " of 20 features drifted" in why["calm"] and "output" not in why["calm"]


def test_a_row_holds_aliases_latest_version_and_the_newest_check(registry: Registry) -> None:
    rows = {row.name: row for row in ops.fleet(registry)}
    alarmed = rows["alarmed"]
    assert alarmed.aliases == {"champion": 2} and alarmed.latest == 2 and alarmed.versions == 2
    assert alarmed.description == "alarmed model"
    assert alarmed.last_check is not None and alarmed.last_check.kind == "check"
    assert alarmed.last_check.verdict.endswith("; 1 rule firing")
    assert " features drifted" in alarmed.last_check.verdict
    worse = rows["worse"].last_check
    assert worse is not None and worse.kind == "performance" and "auc " in worse.verdict
    assert rows["quiet"].last_check is None


def test_a_running_deployment_shows_what_it_serves(registry: Registry) -> None:
    calm = next(row for row in ops.fleet(registry) if row.name == "calm")
    (served,) = calm.deployments
    assert (served.ref, served.status, served.version) == ("calm@champion", "running", 2)
    assert served.requests is not None and served.url.startswith("http://127.0.0.1:")
    assert "calm@champion (v2, running" in str(ops.fleet(registry, name="calm"))


def test_filters_keep_models_by_name_and_health(registry: Registry) -> None:
    assert [row.name for row in ops.fleet(registry, name="AL")] == ["alarmed", "calm"]
    assert healths(ops.fleet(registry, health="drifting")) == {"shifting": "drifting"}
    assert healths(ops.fleet(registry, health="never-checked")) == {"quiet": "never checked"}
    nothing = ops.fleet(registry, name="churn")
    assert not nothing and str(nothing) == "none of the 5 models matches name containing 'churn'"


def test_an_unknown_health_is_refused_with_the_one_meant(registry: Registry) -> None:
    with pytest.raises(InvalidArgumentError, match="did you mean 'drifting'"):
        ops.fleet(registry, health="drifted")


def test_the_fleet_round_trips_through_strict_json(registry: Registry) -> None:
    data = ops.fleet(registry).to_dict()
    assert json.loads(json.dumps(data, allow_nan=False)) == data
    assert data["counts"] == {"alerting": 1, "degraded": 1, "drifting": 1, "ok": 1,
                              "never checked": 1}  # fmt: skip
    alarmed = data["models"][0]
    assert alarmed["last_check"]["at"].endswith("+00:00")
    assert alarmed["aliases"] == {"champion": 2}


def test_the_html_marks_each_health_with_its_css_class(registry: Registry) -> None:
    page = ops.fleet(registry)._repr_html_()
    for css in ("alerting", "degraded", "drifting", "ok", "never-checked"):
        assert f'class="jp-mlops-health jp-mlops-health-{css}"' in page
    assert ".jp-mlops-health-alerting{" in page
    frame = ops.fleet(registry).to_frame()
    assert list(frame["model"]) == ["alarmed", "worse", "shifting", "calm", "quiet"]
    assert frame.loc[frame["model"] == "calm", "running"].item() == 1


def test_the_magic_shows_the_fleet(registry: Registry, ipython) -> None:
    assert ipython.run_cell(f"%mlops connect {registry.home}").success
    shown = ipython.run_cell("%mlops fleet --health alerting")
    assert shown.success and isinstance(shown.result, Fleet)
    assert [row.name for row in shown.result] == ["alarmed"]


def test_the_command_line_shows_the_fleet(registry: Registry, subprocess_env) -> None:
    from tests.test_cli import cli

    env = {**subprocess_env, "MLOPS_HOME": str(Path(registry.home))}
    done = cli("fleet", "--name", "worse", env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("1 model of 5: 1 degraded\n")
    assert "worse" in done.stdout and "0.99" in done.stdout
