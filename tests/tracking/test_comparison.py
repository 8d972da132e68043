"""Runs side by side: their models' params among the rows, identical rows folded away."""

from __future__ import annotations

from sklearn.linear_model import Ridge

import jupyter_mlops as mlops
from jupyter_mlops import Tracker

# every test of this file that uses `registry` runs on a file and on a shared registry
BACKENDS = ("file", "lake")


def ridge_runs(registry, dataset, alphas):
    X, y = dataset
    for alpha in alphas:
        with mlops.run("ridge", registry=registry) as run:
            m = Ridge(alpha=alpha).fit(X, y)
            run.log_model("m", m)
            run.log_metric("r2", m.score(X, y))
    return Tracker(registry)


def test_the_params_that_differ_are_shown_and_the_identical_ones_folded(registry, dataset):
    tracker = ridge_runs(registry, dataset, [0.37, 0.81])
    comparison = tracker.compare([1, 2])
    assert ("model", "m.alpha", 0.37, 0.81) in comparison.differences
    assert ("model", "m.solver", "auto", "auto") in comparison.identical
    text = str(comparison)
    assert "m.alpha" in text and "0.37" in text and "0.81" in text
    assert "m.solver" not in text
    folded = len(comparison.identical)
    assert text.endswith(f"{folded} identical rows not shown (--all shows them)")
    html = comparison._repr_html_()
    assert f"<details><summary>{folded} identical rows</summary>" in html
    assert html.index("m.alpha") < html.index("<details>") < html.index("m.solver")


def test_all_shows_every_row_and_marks_those_that_differ(registry, dataset):
    tracker = ridge_runs(registry, dataset, [0.37, 0.81])
    lines = str(tracker.compare([1, 2], show_all=True)).splitlines()
    alpha = next(line for line in lines if "m.alpha" in line)
    solver = next(line for line in lines if "m.solver" in line)
    assert alpha.startswith("*") and not solver.startswith("*")
    frame = tracker.compare([1, 2]).to_frame()  # every row, folded or not
    differs = frame.set_index("name")["differs"]
    assert bool(differs["m.alpha"]) and not bool(differs["m.solver"])
    rows = {row["name"]: row for row in tracker.compare([1, 2]).to_dict()["rows"]}
    assert rows["m.alpha"]["values"] == [0.37, 0.81] and rows["m.alpha"]["differs"]
