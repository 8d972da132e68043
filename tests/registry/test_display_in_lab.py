"""Result tables as a person sees them: a real `jupyter lab` in Debian's Chromium, driven by
playwright, runs a notebook that registers two versions and shows `compare` and a drift
report, in the light theme and then the dark one.

JupyterLab's own table rules (cells aligned right, every row painted white or grey) are more
specific than a plain class, so what the browser computes is what is checked: highlighted
cells stand out from the page and stay readable, cells are aligned left, and a long value is
shown whole inside the output."""

from __future__ import annotations

from typing import Any

import pytest

from jupyter_mlops import Registry
from tests.lab import PAINT, PANEL, contrast, distance, errors_shown, run_all, use_theme

CELLS = [
    """%load_ext jupyter_mlops
from sklearn.datasets import load_breast_cancer
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

X, y = load_breast_cancer(return_X_y=True, as_frame=True)
first = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
second = make_pipeline(
    StandardScaler(), PCA(n_components=10), LogisticRegression(C=0.5, max_iter=500)
).fit(X, y)
drifted = X.assign(**{"mean radius": X["mean radius"] * 1.5})
%mlops register cancer first --data X y --metrics auc=0.91
_ = %mlops register cancer second --data X y --metrics auc=0.95""",
    "%mlops compare cancer 1 2",
    "%mlops drift cancer:2 --current drifted --no-save --no-multivariate",
]
# what the page shows of each table: computed styles, and colours as they reach the screen
# (a translucent background painted over what lies under it, read back from a canvas)
MEASURE = (
    """([panel, caption]) => {
  const table = [...document.querySelectorAll(`${panel} .jp-OutputArea-output table`)]
    .find(t => t.closest('.jp-OutputArea-output').textContent.includes(caption));
  if (!table) return null;"""
    + PAINT
    + """
  const output = table.closest('.jp-OutputArea-output');
  const cells = [...table.querySelectorAll('td')].map(td => ({
    text: td.textContent, align: getComputedStyle(td).textAlign,
    right: td.getBoundingClientRect().right, overflowing: td.scrollWidth > td.clientWidth + 1,
  }));
  return {
    page: paint(under(output)),
    marked: look(table.querySelector('tr.jp-mlops-diff > td')),
    plain: look(table.querySelector('tbody tr:not(.jp-mlops-diff) > td')),
    outputRight: output.getBoundingClientRect().right,
    cells,
  };
}"""
)


@pytest.mark.slow
def test_tables_read_well_in_jupyterlab_light_and_dark(lab, browser, tmp_path):
    lab.write("display.ipynb", CELLS)
    page = browser.new_page(viewport={"width": 1280, "height": 2000})
    lab.open(page, "display.ipynb")
    run_all(page)
    _wait_for_outputs(page)
    steps = Registry(lab.home).get("cancer:2").params["steps"]
    for theme in ("JupyterLab Light", "JupyterLab Dark"):
        use_theme(page, theme)
        compare = page.evaluate(MEASURE, [PANEL, "differences highlighted"])
        drift = page.evaluate(MEASURE, [PANEL, "features drifted"])
        for name, shown in (("compare", compare), ("drift", drift)):
            _assert_readable(shown, f"{name} in {theme}")
        whole = [c for c in compare["cells"] if c["text"] == steps]
        assert whole, f"the long value is cut: {steps!r} is in no cell"
        long_value = whole[0]
        assert not long_value["overflowing"]
        assert long_value["right"] <= compare["outputRight"], "the long value leaves the output"
        outputs = page.locator(f"{PANEL} .jp-OutputArea-output:has(table)")
        name = theme.split()[-1].lower()
        outputs.first.screenshot(path=tmp_path / f"compare-{name}.png")
        outputs.last.screenshot(path=tmp_path / f"drift-{name}.png")


def _wait_for_outputs(page: Any) -> None:
    """Until the drift report is shown; an error output ends the wait at once, with its text."""
    page.wait_for_function(
        """(panel) => {
          const outputs = [...document.querySelectorAll(`${panel} .jp-OutputArea-output`)];
          const failed = (o) => o.dataset.mimeType?.includes('stderr')
            && /Error|Traceback/.test(o.textContent);
          return outputs.some(o => o.textContent.includes('features drifted') || failed(o));
        }""",
        arg=PANEL,
        timeout=180_000,
    )
    texts = errors_shown(page)
    assert not texts, texts[0]


def _assert_readable(shown: dict[str, Any] | None, what: str) -> None:
    assert shown is not None, f"{what}: no table"
    assert shown["marked"] is not None, f"{what}: no highlighted row"
    marked, plain = shown["marked"], shown["plain"]
    assert distance(marked["background"], shown["page"]) > 20, f"{what}: highlight invisible"
    assert distance(marked["background"], plain["background"]) > 20, f"{what}: highlight lost"
    assert contrast(marked["ink"], marked["background"]) >= 4.5, f"{what}: highlighted unreadable"
    assert {c["align"] for c in shown["cells"]} == {"left"}, f"{what}: cells not aligned left"
