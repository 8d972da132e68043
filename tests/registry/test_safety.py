"""Loading never runs untrusted code by default, and altered bytes never load."""

from __future__ import annotations

import pytest
from sklearn.linear_model import LogisticRegression

from jupyter_mlops.errors import IntegrityError, UnsafeModelError
from tests.registry.custom_model import ThresholdModel

CUSTOM = "tests.registry.custom_model.ThresholdModel"


def test_untrusted_types_are_refused_with_their_names(registry):
    with pytest.raises(UnsafeModelError) as raised:
        registry.register("custom", ThresholdModel())
    assert CUSTOM in str(raised.value)
    assert "trust=" in str(raised.value)
    assert registry.models() == []


def test_trusted_types_are_recorded_and_trusted_again_on_load(registry, dataset):
    X, _ = dataset
    version = registry.register("custom", ThresholdModel(14.0), trust=[CUSTOM])
    assert CUSTOM in version.trusted_types
    loaded = registry.load("custom")
    assert isinstance(loaded, ThresholdModel)
    assert (loaded.predict(X) == ThresholdModel(14.0).predict(X)).all()


def test_library_internals_need_no_explicit_trust(registry, dataset):
    from sklearn.ensemble import RandomForestClassifier

    X, y = dataset
    forest = RandomForestClassifier(n_estimators=3, random_state=0).fit(X, y)
    version = registry.register("forest", forest)
    assert "sklearn.tree._tree.Tree" in version.trusted_types
    assert (registry.load("forest").predict(X) == forest.predict(X)).all()


def test_pickle_needs_an_explicit_allow_when_stored_and_when_loaded(registry, dataset):
    X, _ = dataset
    version = registry.register("pickled", ThresholdModel(14.0), allow_pickle=True)
    assert version.format == "pickle" and version.unsafe
    assert "UNSAFE" in str(registry.get("pickled"))
    with pytest.raises(UnsafeModelError, match="pickle"):
        registry.load("pickled")
    assert (
        registry.load("pickled", allow_pickle=True).predict(X) == ThresholdModel(14.0).predict(X)
    ).all()


def test_one_flipped_byte_fails_the_load_naming_version_and_file(registry, fitted, dataset):
    X, y = dataset
    registry.register("m", LogisticRegression(C=0.5, max_iter=5000).fit(X, y))
    version = registry.register("m", fitted)
    path = registry.artifacts.path(version.artifact_sha256)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(IntegrityError) as raised:
        registry.load("m:2")
    assert "m version 2" in str(raised.value)
    assert str(path) in str(raised.value)
    registry.load("m:1")
    report = registry.verify()
    assert not report.ok and len(report.problems) == 1 and "m version 2" in report.problems[0]


def test_a_missing_artifact_is_reported_not_crashed_on(registry, fitted):
    version = registry.register("m", fitted)
    registry.artifacts.path(version.artifact_sha256).unlink()
    with pytest.raises(IntegrityError, match="missing"):
        registry.load("m")


def test_gc_deletes_only_old_files_nothing_refers_to(registry, fitted):
    import os
    import time

    kept = registry.register("m", fitted)
    orphan = registry.artifacts.put(b"left by a crash before the row was committed")
    fresh = registry.artifacts.put(b"a registration still committing")
    hour_ago = time.time() - 7200
    os.utime(registry.artifacts.path(orphan), (hour_ago, hour_ago))
    os.utime(registry.artifacts.path(kept.artifact_sha256), (hour_ago, hour_ago))
    assert registry.gc(dry_run=True) == [orphan]
    assert registry.artifacts.path(orphan).exists()
    assert registry.gc() == [orphan]
    assert not registry.artifacts.path(orphan).exists()
    assert registry.artifacts.path(fresh).exists()
    assert registry.verify().ok
    registry.load("m")
