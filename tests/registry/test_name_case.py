"""A model's logs are kept in folders named after it, which a file system that ignores case
(macOS, Windows, SMB shares) makes one for `Churn` and `churn`: so a new model whose name
differs from another's only by case is refused, before any file is written, from Python,
a shell and a notebook; a registry that holds two such models already keeps working."""

from __future__ import annotations

import pytest
import skops.io

from jupyter_mlops.cli import main
from jupyter_mlops.errors import ConflictError, InvalidArgumentError
from jupyter_mlops.monitoring import Monitor
from jupyter_mlops.registry.locations import options
from jupyter_mlops.store import catalog
from tests.conftest import logged_ids

# every test of this file that uses `registry` runs on a file and on a shared registry
BACKENDS = ("file", "lake")
CONFLICT_EXIT = 5


def test_a_name_differing_only_by_case_is_refused_before_any_file_is_written(
    registry, fitted, dataset, tmp_path, capsys, ipython
):
    X, _ = dataset
    registry.register("Churn", fitted)
    logged = Monitor(registry).log_predictions("Churn:1", X.iloc[:20])
    artifacts = sorted(registry.artifacts.digests())
    other = fitted.__class__(C=0.5, max_iter=5000).fit(*dataset)  # bytes no version has
    for name in ("churn", "CHURN", "cHuRn"):
        try:
            registry.register(name, other, X=X, y=dataset[1])
        except ConflictError as refused:
            said = str(refused)
        else:
            raise AssertionError(f"{name} was registered beside Churn")
        assert said.startswith(f"model {name!r} differs only by case from model 'Churn'")
        assert "register it as 'Churn'" in said and "\n" not in said
    model_file = tmp_path / "other.skops"
    skops.io.dump(other, model_file)
    assert main([*options(registry), "register", "churn", str(model_file)]) == CONFLICT_EXIT
    assert "differs only by case from model 'Churn'" in capsys.readouterr().err
    ipython.user_ns.update(other=other)
    location = " ".join(options(registry)[1:])  # the folder, or the URL --data-path folder
    assert ipython.run_cell(f"%mlops connect {location}").success
    result = ipython.run_cell("%mlops register churn other")
    assert not result.success
    assert "differs only by case from model 'Churn'" in str(result.error_in_exec)
    assert registry.model_names() == ["Churn"]
    assert sorted(registry.artifacts.digests()) == artifacts
    assert len(logged_ids(registry.home, "Churn")) == len(logged) == 20
    assert registry.register("Churn", other).version == 2  # the model itself takes versions


def test_two_models_an_older_registry_holds_in_two_cases_both_keep_working(
    registry, fitted, dataset
):
    """Stored before names were compared ignoring case (or copied in by `migrate`): each
    model is looked up by its own name and takes new versions."""
    registry.register("Churn", fitted)
    at = registry.get("Churn:1").created_at
    with registry.db.write() as conn:
        catalog.insert_model(conn, "churn", at=at, by="ana", description="")
    assert registry.register("churn", fitted).version == 1
    assert registry.register("Churn", fitted, force=True).version == 2
    assert registry.model_names() == ["Churn", "churn"]
    assert [v.version for v in registry.versions("churn")] == [1]


def test_a_name_a_windows_share_would_fold_or_refuse_is_refused(registry, fitted, dataset):
    """`churn.` is `churn` to Windows and SMB shares, which drop a name's trailing dots, and
    `con` or `nul.v2` a device no folder may be named after: neither is made a new model."""
    X, y = dataset
    registry.register("churn", fitted)
    for name, said in (
        ("churn.", "ends in a dot"),
        ("fresh.", "ends in a dot"),
        ("con", "is a name Windows keeps for a device"),
        ("NUL.v2", "is a name Windows keeps for a device"),
        ("lpt1", "is a name Windows keeps for a device"),
        ("COM0", "is a name Windows keeps for a device"),
        ("con.x", "is a name Windows keeps for a device"),
    ):
        with pytest.raises(InvalidArgumentError) as refused:
            registry.register(name, fitted, X=X, y=y)
        message = str(refused.value)
        assert message.startswith(f"model name {name!r} {said}") and "\n" not in message
        suggested = message.rpartition("such as ")[2].strip("'.")
        registry.register(suggested, fitted)  # the name suggested is taken
    assert "con-model.x" in registry.model_names() and "churn-model" in registry.model_names()
    assert registry.register("console", fitted).model == "console"  # only the names themselves


def test_a_name_an_older_registry_holds_with_a_trailing_dot_keeps_its_twin_out(registry, fitted):
    registry.register("base", fitted)
    at = registry.get("base:1").created_at
    with registry.db.write() as conn:
        catalog.insert_model(conn, "churn.", at=at, by="ana", description="")
    with pytest.raises(ConflictError) as refused:
        registry.register("Churn", fitted)
    assert str(refused.value).startswith("model 'Churn' differs only by trailing dots from")
    assert registry.register("churn.", fitted).version == 1  # the model itself takes versions
