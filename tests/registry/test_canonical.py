"""A fitted model is stored as the same bytes every time, and those bytes load with skops."""

from __future__ import annotations

import hashlib
import io
import subprocess
import sys
import zipfile

import numpy as np
import skops.io
from sklearn.ensemble import RandomForestClassifier

from jupyter_mlops.registry import serialization

TREE = "sklearn.tree._tree.Tree"
DIGEST = """
import hashlib
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import RandomForestClassifier
from jupyter_mlops.registry import serialization
X, y = load_breast_cancer(return_X_y=True, as_frame=True)
model = RandomForestClassifier(n_estimators=5, random_state=0).fit(X, y)
print(hashlib.sha256(serialization.dump(model, trust=["sklearn.tree._tree.Tree"]).data).hexdigest())
"""


def test_one_fitted_model_dumped_twice_is_the_same_bytes(fitted):
    first, second = serialization.dump(fitted).data, serialization.dump(fitted).data
    assert first == second
    assert skops.io.dumps(fitted) != skops.io.dumps(fitted)  # what skops alone writes differs


def test_the_same_model_fitted_in_two_processes_is_the_same_bytes(subprocess_env):
    digests = {
        subprocess.run(
            [sys.executable, "-c", DIGEST], capture_output=True, text=True, check=True
        ).stdout.strip()
        for _ in range(2)
    }
    assert len(digests) == 1 and len(digests.pop()) == 64


def test_the_bytes_load_with_skops_itself_and_keep_shared_objects_shared(fitted, dataset):
    X, _ = dataset
    fitted.shared_ = fitted.coef_  # one array in two places stays one array
    try:
        data = serialization.dump(fitted).data
    finally:
        del fitted.shared_
    loaded = skops.io.loads(data, trusted=skops.io.get_untrusted_types(data=data))
    assert (loaded.predict(X) == fitted.predict(X)).all()
    assert loaded.shared_ is loaded.coef_
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        entries = archive.infolist()
    names = [entry.filename for entry in entries]
    assert names == sorted(names) and "schema.json" in names
    assert {entry.date_time for entry in entries} == {(1980, 1, 1, 0, 0, 0)}


def test_a_forest_stored_twice_loads_and_predicts_the_same(dataset):
    X, y = dataset
    forest = RandomForestClassifier(n_estimators=5, random_state=0).fit(X, y)
    first = serialization.dump(forest, trust=[TREE]).data
    assert (
        hashlib.sha256(first).digest()
        == hashlib.sha256(serialization.dump(forest, trust=[TREE]).data).digest()
    )
    loaded = serialization.load(
        first, encoding=serialization.SKOPS, trusted_types=[TREE], label="forest"
    )
    assert np.array_equal(loaded.predict_proba(X), forest.predict_proba(X))
