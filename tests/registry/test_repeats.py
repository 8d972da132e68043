"""Registering what is already there returns the version that holds it, unless forced."""

from __future__ import annotations

from sklearn.linear_model import LogisticRegression, Ridge

from tests.registry.custom_model import StampedThreshold

STAMPED = "tests.registry.custom_model.StampedThreshold"


def artifact_files(registry):
    return sorted(path for path in registry.artifacts.root.rglob("*") if path.is_file())


def test_the_same_fitted_model_registered_again_stores_nothing(registry, fitted, dataset):
    X, y = dataset
    first = registry.register("m", fitted, X=X, y=y, metrics={"auc": 0.9})
    files = artifact_files(registry)
    again = registry.register("m", fitted, X=X, y=y, metrics={"auc": 0.9})
    assert again.version == first.version == 1
    assert again.note.startswith("version 1 is identical")
    assert "nothing stored; pass force=True to store another" in again.note
    assert [v.version for v in registry.versions("m")] == [1]
    assert artifact_files(registry) == files


def test_force_stores_another_version_that_shares_the_artifact_file(registry, fitted, dataset):
    X, y = dataset
    first = registry.register("m", fitted, X=X, y=y)
    files = artifact_files(registry)
    forced = registry.register("m", fitted, X=X, y=y, force=True)
    assert forced.version == 2 and forced.note == ""
    assert forced.artifact_sha256 == first.artifact_sha256
    assert forced.reference_sha256 == first.reference_sha256
    assert artifact_files(registry) == files  # two versions, one file each of model and sample
    assert registry.verify().ok


def test_a_model_refitted_the_same_way_is_the_same_version(registry, dataset):
    X, y = dataset
    first = registry.register("m", LogisticRegression(max_iter=5000).fit(X, y), X=X, y=y)
    again = registry.register("m", LogisticRegression(max_iter=5000).fit(X, y), X=X, y=y)
    assert again.version == first.version == 1 and "identical" in again.note


def test_a_model_refitted_with_another_param_is_stored_as_new(registry, dataset):
    X, y = dataset
    registry.register("m", Ridge(alpha=0.37).fit(X, y), X=X, y=y)
    assert registry.register("m", Ridge(alpha=0.37).fit(X, y), X=X, y=y).version == 1
    changed = registry.register("m", Ridge(alpha=0.81).fit(X, y), X=X, y=y)
    assert changed.version == 2 and changed.note == ""
    assert changed.params["alpha"] == 0.81


def test_other_data_or_metrics_make_a_new_version(registry, fitted, dataset):
    X, y = dataset
    registry.register("m", fitted, X=X, y=y, metrics={"auc": 0.9})
    assert registry.register("m", fitted, X=X, y=y, metrics={"auc": 0.9}).version == 1
    assert registry.register("m", fitted, X=X, y=y, metrics={"auc": 0.8}).version == 2
    assert registry.register("m", fitted, X=X.iloc[:300], y=y.iloc[:300]).version == 3
    assert registry.register("m", fitted).version == 4  # no data at all is other data too


def test_a_model_stored_as_other_bytes_that_predicts_the_same_is_identical(registry, dataset):
    X, y = dataset
    first = registry.register("m", StampedThreshold(14.0).fit(X, y), X=X, y=y, trust=[STAMPED])
    again = registry.register("m", StampedThreshold(14.0).fit(X, y), X=X, y=y, trust=[STAMPED])
    assert again.version == first.version == 1 and "identical" in again.note
    other = registry.register("m", StampedThreshold(15.0).fit(X, y), X=X, y=y, trust=[STAMPED])
    assert other.version == 2
