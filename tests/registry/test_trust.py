"""What a model may contain without `trust=`: exact names, never whole libraries.

Real scikit-learn models of every common kind register and load with no trust;
a function that can run code is refused by name, in memory as in a file; and a
load does not believe a record that an older version could have written on its
own.
"""

from __future__ import annotations

import importlib
import io
import os
import subprocess
import warnings
import zipfile
from functools import partial

import duckdb
import numpy as np
import pandas as pd
import pytest
from numpy.testing._private.utils import runstring
from sklearn import (
    calibration,
    cluster,
    compose,
    decomposition,
    ensemble,
    feature_selection,
    impute,
    linear_model,
    model_selection,
    naive_bayes,
    neighbors,
    neural_network,
    pipeline,
    preprocessing,
    svm,
    tree,
)
from sklearn.utils._testing import assert_run_python_script_without_output

import jupyter_mlops as mlops
from jupyter_mlops.errors import Face, InvalidArgumentError, UnsafeModelError
from jupyter_mlops.registry import serialization, trust
from jupyter_mlops.tracking.tracker import Tracker
from tests.registry.crafted import RUNSTRING, SKLEARN_SCRIPT


def _frame() -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(240, 4)), columns=["a", "b", "c", "d"])
    X["city"] = rng.choice(["paris", "lyon", "nice"], size=len(X))
    X.loc[::9, "b"] = np.nan
    y = pd.Series((X["a"] + (X["city"] == "lyon") > 0.3).astype(int), name="y")
    return X, y


def _mixed_pipeline(final) -> pipeline.Pipeline:
    numbers = pipeline.make_pipeline(impute.SimpleImputer(), preprocessing.StandardScaler())
    columns = compose.ColumnTransformer(
        [
            ("numbers", numbers, ["a", "b", "c", "d"]),
            ("city", preprocessing.OneHotEncoder(handle_unknown="ignore"), ["city"]),
        ]
    )
    return pipeline.Pipeline([("columns", columns), ("model", final)])


def _positive(final) -> pipeline.Pipeline:
    return pipeline.make_pipeline(
        compose.ColumnTransformer([("n", "passthrough", ["a", "c", "d"])]),
        preprocessing.FunctionTransformer(np.abs),
        preprocessing.FunctionTransformer(np.log1p, inverse_func=np.expm1),
        final,
    )


REAL_MODELS = {
    "logistic": lambda: _mixed_pipeline(linear_model.LogisticRegression()),
    "ridge_on_log1p": lambda: _positive(linear_model.Ridge()),
    "sgd": lambda: _mixed_pipeline(linear_model.SGDClassifier(loss="log_loss")),
    "tree": lambda: _mixed_pipeline(tree.DecisionTreeClassifier(max_depth=4)),
    "forest": lambda: _mixed_pipeline(ensemble.RandomForestClassifier(5, random_state=0)),
    "extra_trees": lambda: _mixed_pipeline(ensemble.ExtraTreesClassifier(5, random_state=0)),
    "gradient_boosting": lambda: _mixed_pipeline(ensemble.GradientBoostingClassifier()),
    "hist_gradient_boosting": lambda: _mixed_pipeline(
        ensemble.HistGradientBoostingClassifier(max_iter=10)
    ),
    "hist_gradient_boosting_categorical": lambda: ensemble.HistGradientBoostingClassifier(
        max_iter=10, categorical_features=["city"]
    ),
    "svm": lambda: _mixed_pipeline(svm.SVC(probability=True, random_state=0)),
    "knn": lambda: _mixed_pipeline(neighbors.KNeighborsClassifier()),
    "naive_bayes": lambda: _mixed_pipeline(naive_bayes.GaussianNB()),
    "mlp_adam": lambda: _mixed_pipeline(neural_network.MLPClassifier((8,), max_iter=30)),
    "mlp_sgd": lambda: _mixed_pipeline(
        neural_network.MLPClassifier((8,), solver="sgd", max_iter=30)
    ),
    "calibrated_sigmoid": lambda: _mixed_pipeline(
        calibration.CalibratedClassifierCV(svm.LinearSVC(), cv=3)
    ),
    "calibrated_isotonic": lambda: _mixed_pipeline(
        calibration.CalibratedClassifierCV(ensemble.RandomForestClassifier(5), method="isotonic")
    ),
    "isolation_forest": lambda: _mixed_pipeline(ensemble.IsolationForest(n_estimators=5)),
    "kmeans": lambda: _mixed_pipeline(cluster.KMeans(3, n_init=2, random_state=0)),
    "pca_then_logistic": lambda: _mixed_pipeline(
        pipeline.make_pipeline(decomposition.PCA(2), linear_model.LogisticRegression())
    ),
    "select_k_best": lambda: _mixed_pipeline(
        pipeline.make_pipeline(feature_selection.SelectKBest(k=3), naive_bayes.GaussianNB())
    ),
    "grid_search": lambda: _mixed_pipeline(
        model_selection.GridSearchCV(
            linear_model.LogisticRegression(), {"C": [0.1, 1.0]}, cv=3, scoring="roc_auc"
        )
    ),
    "stacking": lambda: _mixed_pipeline(
        ensemble.StackingClassifier(
            [("tree", tree.DecisionTreeClassifier()), ("nb", naive_bayes.GaussianNB())]
        )
    ),
}


@pytest.mark.parametrize("kind", sorted(REAL_MODELS))
def test_real_models_register_and_load_with_no_trust(registry, kind):
    X, y = _frame()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence warnings of deliberately short fits
        model = REAL_MODELS[kind]().fit(X, y)
    version = registry.register(kind, model, X=X, y=y)
    assert all(trust.is_trusted_by_default(name) for name in version.trusted_types)
    loaded = registry.load(kind)
    method = "predict" if hasattr(model, "predict") else "transform"
    assert np.array_equal(getattr(loaded, method)(X), getattr(model, method)(X))


def _dangerous(marker) -> dict[str, object]:
    """Functions that run code, by the name skops gives them (`os.system` is `posix.system`)."""
    code = f"__import__('os').mkdir({str(marker)!r})"
    return {
        RUNSTRING: partial(runstring, code),
        "builtins.eval": partial(eval, code),
        "builtins.exec": partial(exec, code),
        f"{os.system.__module__}.system": partial(os.system, f"mkdir '{marker}'"),
        "subprocess.Popen": partial(subprocess.Popen, ["mkdir", str(marker)]),
        "numpy.load": partial(np.load, allow_pickle=True),
        SKLEARN_SCRIPT: partial(assert_run_python_script_without_output, code),
    }


@pytest.mark.parametrize("name", sorted(_dangerous("m")))
@pytest.mark.parametrize("wrapped", [False, True], ids=["bare", "partial"])
def test_a_function_that_runs_code_is_refused_in_memory(registry, tmp_path, name, wrapped):
    function = _dangerous(tmp_path / "marker")[name]
    func = function if wrapped else function.func  # type: ignore[attr-defined]
    X, y = _frame()
    model = pipeline.make_pipeline(
        preprocessing.FunctionTransformer(func), linear_model.LogisticRegression()
    )
    with pytest.raises(UnsafeModelError) as raised:
        registry.register("evil", model, X=X, y=y)
    message = str(raised.value)
    assert "\n" not in message
    assert f"uses {name}, which is not trusted" in message
    assert f"trust=['{name}']" in message  # Python's spelling; a shell's is --trust
    assert f"--trust {name}" in raised.value.render(Face.SHELL)
    assert registry.models() == []
    assert not (tmp_path / "marker").exists()


def test_a_load_trusts_what_the_registering_person_trusted_by_name(registry, tmp_path):
    marker = tmp_path / "marker"
    model = preprocessing.FunctionTransformer(_dangerous(marker)[RUNSTRING])
    version = registry.register("vetted", model, trust=[RUNSTRING])
    assert version.trusted_types == ["functools.partial", RUNSTRING]
    loaded = registry.load("vetted")  # a server loads it the same way, with no trust of its own
    assert not marker.exists()
    loaded.transform({})  # FunctionTransformer calls runstring(code, {}), which is exec
    assert marker.exists()


def _as_an_older_version_wrote_it(registry, version) -> None:
    """The same skops bytes without the entry listing what a person trusted, as older
    versions stored them; they recorded library names such as runstring on their own."""
    data = registry.artifacts.get(version.artifact_sha256, label="test")
    older = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as new, zipfile.ZipFile(older, "w") as archive:
        for entry in new.infolist():
            if entry.filename != serialization.GRANTS:
                archive.writestr(entry, new.read(entry))
    digest = registry.artifacts.put(older.getvalue())
    with duckdb.connect(str(registry.db.path)) as conn:
        conn.execute(
            "UPDATE versions SET artifact_sha256 = ?, artifact_bytes = ? "
            "WHERE model = ? AND version = ?",
            [digest, len(older.getvalue()), version.model, version.version],
        )


def test_a_version_an_older_release_stored_is_checked_again_on_load(registry, tmp_path, dataset):
    marker = tmp_path / "marker"
    model = preprocessing.FunctionTransformer(_dangerous(marker)[RUNSTRING])
    _as_an_older_version_wrote_it(registry, registry.register("old", model, trust=[RUNSTRING]))
    with pytest.raises(UnsafeModelError) as raised:
        registry.load("old")
    assert f"uses {RUNSTRING}" in str(raised.value) and "older default" in str(raised.value)
    assert not marker.exists()
    registry.load("old", trust=[RUNSTRING]).transform({})  # the loading person accepts it
    assert marker.exists()
    # what older releases recorded only when a person asked is believed; defaults still hold
    exec_model = preprocessing.FunctionTransformer(_dangerous(marker)["builtins.exec"])
    _as_an_older_version_wrote_it(
        registry, registry.register("exec", exec_model, trust=["builtins.exec"])
    )
    assert isinstance(registry.load("exec"), preprocessing.FunctionTransformer)
    X, y = dataset
    forest = ensemble.RandomForestClassifier(3, random_state=0).fit(X, y)
    _as_an_older_version_wrote_it(registry, registry.register("forest", forest))
    assert np.array_equal(registry.load("forest").predict(X), forest.predict(X))


def test_a_run_stores_a_library_function_only_when_trusted_by_name(registry, tmp_path):
    model = preprocessing.FunctionTransformer(_dangerous(tmp_path / "marker")[RUNSTRING])
    with mlops.run("exp", registry=registry) as run:
        with pytest.raises(UnsafeModelError, match=f"uses {RUNSTRING}"):
            run.log_model("plain", model)
        run.log_model("trusted", model, trust=(RUNSTRING,))
    tracker = Tracker(registry)
    assert RUNSTRING in tracker.get(run.id).models["plain"]["not_stored"]
    version = tracker.register(run.id, "from_run", model="trusted")
    assert RUNSTRING in version.trusted_types


def test_every_default_name_is_an_exact_class_or_function_that_exists():
    for name in sorted(trust.LIBRARY_CLASSES | trust.PURE_FUNCTIONS):
        module, _, attribute = name.rpartition(".")
        found = getattr(importlib.import_module(module), attribute)
        assert isinstance(found, type) == (name in trust.LIBRARY_CLASSES), name
        assert f"{found.__module__}.{found.__name__}" == name
    assert not trust.is_trusted_by_default("numpy.")
    assert not any(trust.is_trusted_by_default(name) for name in _dangerous("m"))


def test_trust_given_as_one_string_is_one_name(registry, dataset):
    from tests.registry.custom_model import ThresholdModel

    X, _ = dataset
    custom = "tests.registry.custom_model.ThresholdModel"
    version = registry.register("own", ThresholdModel(14.0), trust=custom)
    assert version.trusted_types == [custom]
    loaded = registry.load("own", trust=custom)
    assert (loaded.predict(X) == ThresholdModel(14.0).predict(X)).all()
    with pytest.raises(InvalidArgumentError, match="trust names 3, which is an int"):
        registry.register("own", ThresholdModel(14.0), trust=[custom, 3])
