"""Which names a skops file may contain without anyone vetting them.

A skops file names every class and function it needs; loading imports those
names and calls them. skops refuses on its own whatever it does not consider
safe; of those names we trust by default only the ones listed here, each by
its exact name, never by module prefix: a prefix such as `numpy.` also covers
`numpy.testing._private.utils.runstring`, which is `exec`.

Trusted by default, beyond skops' own list:
- scikit-learn's estimator classes (`sklearn.utils.all_estimators()`): creating
  one runs no code of the file's choosing; any function it holds is a name of
  its own in the file and is checked like every other.
- the classes fitted scikit-learn models keep inside them (tree structures,
  losses, optimizers, distance metrics, splitters, scorers, kernels), NumPy's
  `dtype` and SciPy's sparse matrices, in `LIBRARY_CLASSES`;
- a short list of pure functions (`PURE_FUNCTIONS`): they compute on arrays and
  never evaluate text, import, open files, load data or start processes. NumPy
  and SciPy ufuncs (`np.log1p`, `np.exp`, ...) are on skops' own list.
- `functools.partial`: what a partial wraps is a name of its own and is checked.

Every other name, whether a class or a function, needs the user's `trust=[...]`
(`--trust NAME`) by exact name; `trust="NAME"` is that one name (`names`).

A name under `__main__` (a function, lambda or class defined in the notebook or script that
registered the model) is importable only in that process: a fresh kernel, the CLI, a
scheduled check or the model server has no such object. Registering one warns
(`NotebookCodeWarning`, and a note on the version, `notebook_code_note`), and a load where
it is missing says which object and how to make it importable (`missing_notebook_code`).

skops leaves `Tree` and `TreePredictor` (and the neighbours' trees) off its own list
because it cannot check the node indices inside them: a hand-made file can crash
the process that predicts with it. They are trusted here all the same, or no
tree-based model would load without `--trust`; the README says so.
"""

from __future__ import annotations

import dataclasses
import functools
import sys
import warnings
from collections.abc import Iterable
from typing import TYPE_CHECKING

from jupyter_mlops.errors import InvalidArgumentError, NotebookCodeWarning, Option
from jupyter_mlops.registry.refs import kind_of

if TYPE_CHECKING:
    from jupyter_mlops.registry.records import Version

_DISTANCES = (
    "BrayCurtis",
    "Canberra",
    "Chebyshev",
    "Dice",
    "Euclidean",
    "Hamming",
    "Haversine",
    "Jaccard",
    "Kulsinski",
    "Mahalanobis",
    "Manhattan",
    "Matching",
    "Minkowski",
    "RogersTanimoto",
    "RussellRao",
    "SEuclidean",
    "SokalMichener",
    "SokalSneath",
)
_SPARSE = ("bsr", "coo", "csc", "csr", "dia")  # the formats skops stores (as .npz)
_SHAPES = ("array", "matrix")

LIBRARY_CLASSES = frozenset(
    [
        # the node arrays of decision trees (forests, boosting) and of HistGradientBoosting
        "sklearn.tree._tree.Tree",
        "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
        # losses and links of the boosting and generalized linear models
        "sklearn._loss.loss.AbsoluteError",
        "sklearn._loss.loss.ExponentialLoss",
        "sklearn._loss.loss.HalfBinomialLoss",
        "sklearn._loss.loss.HalfGammaLoss",
        "sklearn._loss.loss.HalfMultinomialLoss",
        "sklearn._loss.loss.HalfPoissonLoss",
        "sklearn._loss.loss.HalfSquaredError",
        "sklearn._loss.loss.HalfTweedieLoss",
        "sklearn._loss.loss.HalfTweedieLossIdentity",
        "sklearn._loss.loss.HuberLoss",
        "sklearn._loss.loss.PinballLoss",
        # nearest neighbours: the search trees and the built-in metrics (not PyFuncDistance,
        # which calls a Python function)
        "sklearn.neighbors._kd_tree.KDTree",
        "sklearn.neighbors._ball_tree.BallTree",
        *(
            f"sklearn.metrics._dist_metrics.{name}Distance{bits}"
            for name in _DISTANCES
            for bits in ("32", "64")
        ),
        "sklearn.neural_network._stochastic_optimizers.AdamOptimizer",
        "sklearn.neural_network._stochastic_optimizers.SGDOptimizer",
        "sklearn.calibration._CalibratedClassifier",
        "sklearn.calibration._SigmoidCalibration",
        "sklearn.calibration._TemperatureScaling",
        "sklearn.utils._bunch.Bunch",
        "sklearn.compose._column_transformer.make_column_selector",
        "sklearn.gaussian_process._gpc._BinaryGaussianProcessClassifierLaplace",
        "sklearn.gaussian_process.kernels.CompoundKernel",
        "sklearn.gaussian_process.kernels.ConstantKernel",
        "sklearn.gaussian_process.kernels.DotProduct",
        "sklearn.gaussian_process.kernels.ExpSineSquared",
        "sklearn.gaussian_process.kernels.Exponentiation",
        "sklearn.gaussian_process.kernels.Hyperparameter",
        "sklearn.gaussian_process.kernels.Matern",
        "sklearn.gaussian_process.kernels.PairwiseKernel",
        "sklearn.gaussian_process.kernels.Product",
        "sklearn.gaussian_process.kernels.RBF",
        "sklearn.gaussian_process.kernels.RationalQuadratic",
        "sklearn.gaussian_process.kernels.Sum",
        "sklearn.gaussian_process.kernels.WhiteKernel",
        # what a fitted search (GridSearchCV) keeps: its splitter and scorer
        "sklearn.model_selection._split.GroupKFold",
        "sklearn.model_selection._split.GroupShuffleSplit",
        "sklearn.model_selection._split.KFold",
        "sklearn.model_selection._split.LeaveOneGroupOut",
        "sklearn.model_selection._split.LeaveOneOut",
        "sklearn.model_selection._split.LeavePGroupsOut",
        "sklearn.model_selection._split.LeavePOut",
        "sklearn.model_selection._split.PredefinedSplit",
        "sklearn.model_selection._split.RepeatedKFold",
        "sklearn.model_selection._split.RepeatedStratifiedKFold",
        "sklearn.model_selection._split.ShuffleSplit",
        "sklearn.model_selection._split.StratifiedGroupKFold",
        "sklearn.model_selection._split.StratifiedKFold",
        "sklearn.model_selection._split.StratifiedShuffleSplit",
        "sklearn.model_selection._split.TimeSeriesSplit",
        "sklearn.model_selection._split._CVIterableWrapper",
        "sklearn.metrics._scorer._Scorer",
        "sklearn.metrics._scorer._PassthroughScorer",
        "sklearn.metrics._scorer._MultimetricScorer",
        "scipy.interpolate._bsplines.BSpline",  # SplineTransformer
        "numpy.dtype",
        *(f"scipy.sparse._{kind}.{kind}_{shape}" for kind in _SPARSE for shape in _SHAPES),
        # a partial adds nothing: the function it wraps is a name of its own in the file
        "functools.partial",
    ]
)

PURE_FUNCTIONS = frozenset(
    [
        "numpy.clip",
        "numpy.nan_to_num",
        "numpy.round",
        # SplineTransformer's BSpline keeps SciPy's array conversion
        "scipy._lib.array_api_compat.numpy._aliases.asarray",
        # HistGradientBoosting with categorical features keeps a partial of it
        "sklearn.utils.validation.check_array",
        # the score functions of SelectKBest, SelectPercentile and friends
        "sklearn.feature_selection._univariate_selection.chi2",
        "sklearn.feature_selection._univariate_selection.f_classif",
        "sklearn.feature_selection._univariate_selection.f_regression",
        "sklearn.feature_selection._univariate_selection.r_regression",
        "sklearn.feature_selection._mutual_info.mutual_info_classif",
        "sklearn.feature_selection._mutual_info.mutual_info_regression",
        # the metrics behind the most used named scorers (scoring="roc_auc", ...)
        "sklearn.metrics._classification.accuracy_score",
        "sklearn.metrics._classification.balanced_accuracy_score",
        "sklearn.metrics._classification.brier_score_loss",
        "sklearn.metrics._classification.f1_score",
        "sklearn.metrics._classification.log_loss",
        "sklearn.metrics._classification.matthews_corrcoef",
        "sklearn.metrics._classification.precision_score",
        "sklearn.metrics._classification.recall_score",
        "sklearn.metrics._ranking.average_precision_score",
        "sklearn.metrics._ranking.roc_auc_score",
        "sklearn.metrics._regression.explained_variance_score",
        "sklearn.metrics._regression.mean_absolute_error",
        "sklearn.metrics._regression.mean_absolute_percentage_error",
        "sklearn.metrics._regression.mean_squared_error",
        "sklearn.metrics._regression.median_absolute_error",
        "sklearn.metrics._regression.r2_score",
        "sklearn.metrics._regression.root_mean_squared_error",
    ]
)

# Older versions trusted every name under these prefixes and recorded what that let
# through as if the user had trusted it; a record is not believed for these names.
FORMER_PREFIXES = ("sklearn.", "numpy.", "scipy.")


@functools.cache
def estimator_classes() -> frozenset[str]:
    """The exact names of scikit-learn's estimator classes (imports all of scikit-learn)."""
    from sklearn.utils import all_estimators

    names = (f"{cls.__module__}.{cls.__name__}" for _, cls in all_estimators())
    return frozenset(name for name in names if name.startswith("sklearn."))


def is_trusted_by_default(name: str) -> bool:
    """True only for a name listed here or an estimator class, compared exactly."""
    if name in LIBRARY_CLASSES or name in PURE_FUNCTIONS:
        return True
    # every estimator class is named sklearn.*: other names need not import all of scikit-learn
    return name.startswith("sklearn.") and name in estimator_classes()


def from_record(recorded: Iterable[str]) -> set[str]:
    """The names recorded by an older version that a load may believe: none that it
    could have recorded on its own (see FORMER_PREFIXES)."""
    return {name for name in recorded if not name.startswith(FORMER_PREFIXES)}


def names(trust: str | Iterable[str] | None) -> set[str]:
    """The names a person trusts, as given to `trust=`: a list of names, or one name as a
    str (one name, not its letters)."""
    if trust is not None and not isinstance(trust, str | Iterable):
        raise InvalidArgumentError(
            f"trust={trust!r} is {kind_of(trust)}, not a name or a list of names; pass e.g. ",
            Option("trust", python="['mymodule.MyTransformer']", typed="mymodule.MyTransformer"),
            ".",
        )
    given = [] if trust is None else [trust] if isinstance(trust, str) else list(trust)
    for name in given:
        if not isinstance(name, str):
            raise InvalidArgumentError(
                f"trust names {name!r}, which is {kind_of(name)}, not a name; pass "
                "names as text, e.g. ",
                Option(
                    "trust", python="['mymodule.MyTransformer']", typed="mymodule.MyTransformer"
                ),
                ".",
            )
    return set(given)


MAIN = "__main__."


def notebook_code(names: Iterable[str]) -> list[str]:
    """The names defined in `__main__` (the notebook or script that registered the model)."""
    return [name for name in names if name.startswith(MAIN)]


def notebook_code_note(names: Iterable[str]) -> str:
    """The warning (and the version's note) for a model holding code defined in `__main__`;
    '' when it holds none."""
    found = notebook_code(names)
    if not found:
        return ""
    lambdas = [name for name in found if name.endswith("<lambda>")]
    where = (
        "no process (a lambda cannot be imported by name)"
        if lambdas
        else "processes where it is defined again (not a fresh kernel, the CLI, a scheduled "
        "check or the model server)"
    )
    return (
        f"the model uses {', '.join(found)}, defined in this notebook or script, so it loads "
        f"only in {where}; move {_them(found)} into a module (e.g. features.py, as a named "
        "function or class), import it from there, fit and register again with --trust "
        f"features.{_short(found[0])}."
    )


def missing_notebook_code(names: Iterable[str], *, label: str) -> str:
    """Why `label` cannot load here, when it uses `__main__` code this process lacks; ''
    when every such name is defined here (or there is none)."""
    main = sys.modules.get("__main__")
    missing = [name for name in notebook_code(names) if not _defined(main, name[len(MAIN) :])]
    if not missing:
        return ""
    return (
        f"{label} uses {', '.join(missing)}, defined in the notebook or script that registered "
        f"it, which this process does not have (move {_them(missing)} into a module, e.g. "
        "features.py, import it from there, fit and register the model again with --trust "
        f"features.{_short(missing[0])}{_or_define(missing)})."
    )


def warn_of_notebook_code(version: Version) -> Version:
    """`version`, with a note (and a `NotebookCodeWarning`) when it uses code defined in the
    notebook or script that registered it."""
    note = notebook_code_note(version.trusted_types)
    if not note:
        return version
    warnings.warn(NotebookCodeWarning(f"{version.ref}: {note}"), stacklevel=3)
    return dataclasses.replace(version, note=note)


def _defined(module: object, qualname: str) -> bool:
    found: object = module
    for part in qualname.split("."):
        found = getattr(found, part, None)
        if found is None:
            return False
    return True


def _short(name: str) -> str:
    short = name[len(MAIN) :]
    return "transform" if short.endswith("<lambda>") else short


def _or_define(names: list[str]) -> str:
    if any(name.endswith("<lambda>") for name in names):
        return ""
    return f", or define {', '.join(_short(name) for name in names)} here before loading"


def _them(names: list[str]) -> str:
    return "it" if len(names) == 1 else "them"
