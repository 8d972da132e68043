"""A gate promotes a challenger only when it is significantly better by enough, says why
it keeps otherwise, and refuses what cannot be compared fairly."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression, Ridge
from sklearn.metrics import f1_score, log_loss, mean_absolute_error, r2_score, roc_auc_score

from jupyter_mlops import Registry, operations
from jupyter_mlops.automation import gating
from jupyter_mlops.automation.paired import METRICS, Labels, Outputs
from jupyter_mlops.errors import ConflictError, InvalidArgumentError, VersionNotFoundError


def test_a_clearly_better_challenger_passes_and_promote_stores_its_numbers(churn, holdout):
    X, y = holdout
    result = operations.gate(
        churn, model="churn", challenger=2, X=X, y=y, metric="auc", min_gain=0.01,
        promote=True, reason="retrained on May",
    )  # fmt: skip
    assert result.passed and result.decision == "promote" and result.promoted
    assert result.promotion == "churn@champion: 1 -> 2"
    assert result.ci_low > 0.01 and result.challenger_value > result.champion_value
    assert churn.get("churn@champion").version == 2
    move = churn.history("churn", "champion")[-1]
    assert move.reason.startswith("retrained on May; gate on 1,000 held-out rows: auc")
    assert move.evidence == {**result.to_dict(), "promoted": False, "promotion": ""}
    assert move.evidence["decision"] == "promote" and move.evidence["ci_low"] > 0


def test_a_worse_challenger_keeps_and_nothing_moves(churn, holdout):
    X, y = holdout
    churn.promote("churn", 2, "champion")
    result = operations.gate(
        churn, model="churn", challenger=1, X=X, y=y, metric="accuracy", promote=True
    )
    assert result.decision == "keep" and not result.promoted
    assert result.why.startswith("keep: the challenger is worse on accuracy")
    assert result.ci_high < 0 and result.mcnemar is not None and result.mcnemar.b > result.mcnemar.c
    assert churn.get("churn@champion").version == 2
    assert len(churn.history("churn", "champion")) == 2


def test_a_challenger_equal_up_to_noise_is_not_significantly_better(churn_home, holdout):
    X, y = holdout
    result = operations.gate(
        Registry(churn_home), model="churn", challenger=3, champion=2, X=X, y=y, metric="auc"
    )
    assert result.decision == "keep"
    assert "not significantly better on auc" in result.why
    assert result.ci_low <= 0 <= result.ci_high and abs(result.gain) < 0.01
    assert result.champion_named == "churn:2"
    assert "version 2 (churn:2)" in str(result) and "paired bootstrap, 4,000" in str(result)


def test_identical_models_give_an_interval_of_zero_and_keep(churn, holdout):
    X, y = holdout
    churn.register("churn", churn.load("churn:2"), X=X[:500], y=y[:500], force=True)  # 4
    result = operations.gate(churn, model="churn", challenger=4, champion=2, X=X, y=y,
                             metric="accuracy")  # fmt: skip
    assert (result.gain, result.ci_low, result.ci_high) == (0.0, 0.0, 0.0)
    assert result.mcnemar is not None and (result.mcnemar.b, result.mcnemar.c) == (0, 0)
    assert result.mcnemar.p_value == 1.0
    assert result.decision == "keep" and "not significantly better" in result.why


def test_a_significant_gain_below_the_minimum_keeps(churn_home, holdout):
    X, y = holdout
    result = operations.gate(
        Registry(churn_home), model="churn", challenger=2, X=X, y=y, metric="log_loss",
        min_gain=0.5,
    )  # fmt: skip
    assert result.ci_low > 0 and result.gain < 0.5
    assert result.difference < 0  # an error metric: lower is better, the gain is positive
    assert "below the minimum gain 0.5" in result.why and not result.passed


def test_mcnemar_is_the_hand_computed_one():
    champion = np.array([True] * 3 + [False] * 12 + [True] * 50)
    exact = gating.mcnemar(champion, np.array([False] * 3 + [True] * 12 + [True] * 50))
    # 15 discordant pairs: 2 * P(X <= 3), X ~ Binomial(15, 1/2) = 2 * 576 / 32768
    assert (exact.b, exact.c, exact.method) == (3, 12, "exact binomial")
    assert exact.p_value == pytest.approx(0.03515625, abs=1e-12)
    many = gating.mcnemar(
        np.array([True] * 10 + [False] * 30), np.array([False] * 10 + [True] * 30)
    )
    # (|10 - 30| - 1)^2 / 40 = 9.025 on 1 degree of freedom: p = 0.0026631
    assert (many.b, many.c) == (10, 30) and "continuity" in many.method
    assert many.p_value == pytest.approx(0.0026631, abs=1e-6)


def test_the_gate_counts_mcnemar_pairs_from_the_versions_own_answers(churn_home, holdout):
    X, y = holdout
    registry = Registry(churn_home)
    result = operations.gate(registry, model="churn", challenger=2, X=X, y=y, metric="accuracy")
    first = registry.load("churn:1").predict(X) == y
    second = registry.load("churn:2").predict(X) == y
    assert result.mcnemar is not None
    assert (result.mcnemar.b, result.mcnemar.c) == (
        (first & ~second).sum(),
        (second & ~first).sum(),
    )
    assert result.champion_value == pytest.approx(first.mean())


def test_the_interval_is_reproducible_and_stable_to_0_002():
    rng = np.random.default_rng(5)
    truth = rng.integers(0, 2, 800)
    scores = [np.clip(truth * 0.25 + rng.random(800) * 0.75, 0, 1) for _ in range(2)]
    sides = [Outputs((s > 0.5).astype(int), np.c_[1 - s, s], (0, 1)) for s in scores]
    labels = Labels(truth, positive=1)
    runs = [gating.paired_bootstrap(METRICS["auc"], labels, *sides, seed=s) for s in (1, 1, 2)]
    assert runs[0] == runs[1]
    assert abs(runs[0].low - runs[2].low) < 0.002 and abs(runs[0].high - runs[2].high) < 0.002


def test_each_metric_is_scikit_learns_on_all_rows():
    rng = np.random.default_rng(7)
    one = np.ones((1, 300))
    truth = rng.integers(0, 3, 300)
    proba = rng.dirichlet([1, 1, 1], 300)
    out = Outputs(proba.argmax(axis=1), proba, (0, 1, 2))
    value = {m: float(METRICS[m].values(one, Labels(truth), out)[0]) for m in ("auc", "f1")}
    assert value["auc"] == pytest.approx(roc_auc_score(truth, proba, multi_class="ovr"))
    assert value["f1"] == pytest.approx(f1_score(truth, out.predictions, average="macro"))
    binary = (truth > 0).astype(int)
    two = np.c_[proba[:, 0], 1 - proba[:, 0]]
    out2, labels2 = Outputs(two.argmax(axis=1), two, (0, 1)), Labels(binary, positive=1)
    assert float(METRICS["log_loss"].values(one, labels2, out2)[0]) == pytest.approx(
        log_loss(binary, two)
    )
    assert float(METRICS["auc"].values(one, labels2, out2)[0]) == pytest.approx(
        roc_auc_score(binary, two[:, 1])
    )
    real, said = rng.normal(size=300), rng.normal(size=300)
    regression = Labels(real), Outputs(said)
    assert float(METRICS["r2"].values(one, *regression)[0]) == pytest.approx(r2_score(real, said))
    assert float(METRICS["mae"].values(one, *regression)[0]) == pytest.approx(
        mean_absolute_error(real, said)
    )


def test_regressors_are_gated_by_an_error_and_refuse_a_classifiers_metric(tmp_path):
    registry = Registry(tmp_path / "registry")
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=400), "b": rng.normal(size=400)})
    y = 3 * X.a - X.b + rng.normal(size=400) * 0.3
    fit, held = slice(0, 200), slice(200, 400)  # a gate on training rows is refused
    registry.register("price", Ridge(alpha=1e4).fit(X[fit], y[fit]), X=X[fit], y=y[fit])
    registry.register("price", LinearRegression().fit(X[fit], y[fit]), X=X[fit], y=y[fit])
    X, y = X[held], y[held]
    result = operations.gate(registry, model="price", challenger=2, champion=1, X=X, y=y,
                             metric="rmse", min_gain=0.1)  # fmt: skip
    assert result.passed and result.challenger_value < result.champion_value
    with pytest.raises(InvalidArgumentError, match="choose one of rmse, mae, r2"):
        operations.gate(registry, model="price", challenger=2, champion=1, X=X, y=y, metric="auc")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda X, y: (X, y.astype(float).where(y.index % 7 != 0)), "y has 143 missing labels"),
        (lambda X, y: (X, y + 1), "not classes of churn version 1: 2 (its classes: 0, 1)"),
        (lambda X, y: (X.iloc[:1], y.iloc[:1]), "the holdout has 1 row, too few"),
        (lambda X, y: (X.drop(columns=["plan"]), y), "1 column missing: 'plan'"),
        (lambda X, y: (X, y.iloc[:500]), "X has 1,000 rows and y 500 labels"),
    ],
    ids=["nan-labels", "labels-of-other-classes", "one-row", "missing-column", "lengths"],
)
def test_hostile_holdouts_are_refused_in_one_sentence(churn_home, holdout, change, message):
    X, y = change(*holdout)
    with pytest.raises(InvalidArgumentError, match=message.replace("(", r"\(").replace(")", r"\)")):
        operations.gate(Registry(churn_home), model="churn", challenger=2, X=X, y=y, metric="auc")


def test_versions_that_cannot_be_compared_are_refused(churn, holdout):
    X, y = holdout
    kw = {"model": "churn", "X": X, "y": y, "metric": "auc"}
    with pytest.raises(InvalidArgumentError, match="metric 'rmse' does not fit churn's versions"):
        operations.gate(churn, challenger=2, **{**kw, "metric": "rmse"})
    with pytest.raises(VersionNotFoundError, match="churn has no version 9"):
        operations.gate(churn, challenger=9, **kw)
    with pytest.raises(InvalidArgumentError, match="are both churn version 1"):
        operations.gate(churn, challenger=1, **kw)
    churn.archive("churn", 3)
    with pytest.raises(ConflictError, match="churn version 3 is archived"):
        operations.gate(churn, challenger=3, **kw)
    for bad in ({"min_gain": math.nan}, {"alpha": 1.5}):
        with pytest.raises(InvalidArgumentError):
            operations.gate(churn, challenger=2, **kw, **bad)
    with pytest.raises(InvalidArgumentError, match="no predictions"):
        operations.gate(churn, model="churn", challenger=2, live="7d", metric="auc")
    with pytest.raises(InvalidArgumentError, match="give one of them"):
        operations.gate(churn, challenger=2, live="7d", **kw)
