"""Reference profiles of awkward columns, as a user meets them through `Monitor.drift`:
a dominant value, datetimes, a changed type, high-cardinality text, and older profiles."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import make_column_transformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from jupyter_mlops import Monitor, Registry

ROWS = 50_000


def on_x(X: pd.DataFrame) -> Pipeline:
    """A model of `x` alone, so any other column is profiled but never fed to it."""
    model = make_pipeline(make_column_transformer((StandardScaler(), ["x"])), LogisticRegression())
    return model.fit(X, X["x"] > 0)


def registered(tmp_path: Path, name: str, X: pd.DataFrame) -> Monitor:
    registry = Registry(tmp_path / "registry")
    registry.register(name, on_x(X), X=X, y=(X["x"] > 0).astype(int))
    return Monitor(registry)


def drift(monitor: Monitor, ref: str, current: pd.DataFrame):
    return monitor.drift(ref, current=current, multivariate=False, predictions=False, save=False)


def discounts(rng: np.random.Generator, rows: int, *, share: float) -> np.ndarray:
    return np.where(rng.random(rows) < share, rng.uniform(0.05, 0.5, rows), 0.0)


def test_a_shift_above_a_dominant_value_is_seen_by_psi(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    X = pd.DataFrame(
        {"x": rng.normal(size=ROWS), "discount": discounts(rng, ROWS, share=0.04), "flat": 7.0}
    )
    monitor = registered(tmp_path, "shop", X)
    calm = X.assign(x=rng.normal(size=ROWS), discount=discounts(rng, ROWS, share=0.04))
    assert drift(monitor, "shop:1", calm).drifted == []
    moved = calm.assign(discount=discounts(rng, ROWS, share=0.5), flat=8.0)
    report = drift(monitor, "shop:1", moved)
    assert sorted(report.drifted) == ["discount", "flat"]
    assert report.feature("discount").statistic > 1.0  # was 0.0: one bin held every row
    assert report.feature("flat").statistic > 10.0


@pytest.mark.parametrize("zone", [None, "Europe/Paris"])
def test_datetimes_are_compared_as_times_and_the_shift_told_in_days(
    tmp_path: Path, zone: str | None
) -> None:
    rng = np.random.default_rng(1)

    def signups(rows: int, *, days: int = 0) -> pd.Series:
        start = pd.Timestamp("2023-01-01", tz=zone)
        return start + pd.to_timedelta(rng.uniform(0, 365, rows) + days, unit="D")

    X = pd.DataFrame({"x": rng.normal(size=2_000), "signed_up": signups(2_000)})
    monitor = registered(tmp_path, "signup", X)
    calm = pd.DataFrame({"x": rng.normal(size=ROWS), "signed_up": signups(ROWS)})
    assert drift(monitor, "signup:1", calm).drifted == []  # was flagged, as text categories
    unit = "datetime64[s]" if zone is None else "datetime64[s, UTC]"
    seconds = calm.assign(signed_up=signups(ROWS).astype(unit))
    assert drift(monitor, "signup:1", seconds).drifted == []
    moved = drift(monitor, "signup:1", calm.assign(signed_up=signups(ROWS, days=548)))
    assert moved.drifted == ["signed_up"]
    feature = moved.feature("signed_up")
    assert feature.kind == "datetime" and feature.test == "psi" and feature.statistic > 1.0
    days = int(re.fullmatch(r"median moved \+(\d+) days", feature.note).group(1))
    assert 540 <= days <= 556  # 548 days, give or take the sample's own medians
    assert feature.note in repr(moved) and feature.note in moved._repr_html_()


def test_a_changed_type_is_a_schema_finding_not_drift(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    X = pd.DataFrame(
        {
            "x": rng.normal(size=ROWS),
            "plan": pd.Categorical(rng.integers(1, 4, ROWS)),
            "active": rng.random(ROWS) < 0.3,
        }
    )
    monitor = registered(tmp_path, "plans", X)
    same = X.sample(frac=1, random_state=1).reset_index(drop=True)
    plan = same["plan"].astype(int).astype(float)
    for active in (same["active"].astype(int), same["active"].map({True: "true", False: "false"})):
        report = drift(monitor, "plans:1", same.assign(plan=plan, active=active))
        assert report.drifted == []  # was: plan unseen ['3.0', '2.0', '1.0'], active unseen
        assert report.feature("plan").unseen == [] and report.feature("active").unseen == []
        found = {c["feature"]: c for c in report.to_dict()["schema"]}
        assert found["plan"] == {
            "feature": "plan",
            "registered": "integer",
            "arrived": "float",
            "converted": True,
        }
        assert found["active"]["registered"] == "boolean" and found["active"]["converted"]
        text = "'plan' was registered as integer, arrived as float: compared as integer values"
        assert f"schema:\ntype changed: {text}" in repr(report)
        assert text.replace("'", "&#x27;") in report._repr_html_()
        frame = report.to_frame().set_index("feature")
        assert frame.loc["plan", "schema"] == text and frame.loc["x", "schema"] == ""
    halves = drift(monitor, "plans:1", same.assign(plan=plan + 0.5))
    assert halves.drifted == ["plan"] and not halves.schema[0].converted
    unequal = "compared as they arrived (they are not all equal to an integer value)"
    assert halves.schema[0].text.endswith(unequal)


def test_new_ids_raise_the_unseen_share_and_are_flagged(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    ids = np.array([f"u{i}" for i in range(200_000)])
    X = pd.DataFrame({"x": rng.normal(size=100_000), "user": rng.choice(ids[:100_000], 100_000)})
    monitor = registered(tmp_path, "users", X)
    profile = {e["feature"]: e for e in monitor.registry.profile("users:1")}
    assert len(json.dumps(profile["user"]["stats"])) < 50_000  # not 63k ids verbatim
    same = X.assign(user=rng.choice(ids[:100_000], 100_000))
    calm = drift(monitor, "users:1", same)
    assert calm.drifted == []
    assert calm.feature("user").statistics["unseen"][0] == pytest.approx(0.368, abs=0.03)
    new = drift(monitor, "users:1", same.assign(user=rng.choice(ids[100_000:], 100_000)))
    assert new.drifted == ["user"]  # was not flagged, nothing listed as unseen (JS 0.05)
    flagged = next(f for f in new.features if f.test == "unseen")
    assert flagged.statistic == pytest.approx(1.0) and flagged.drifted
    assert flagged.threshold == pytest.approx(0.468, abs=0.03)
    assert len(flagged.unseen) == 10 and all(u not in set(X["user"]) for u in flagged.unseen)
    assert flagged.note.startswith("100.0% of values never seen in the reference (36.")
    assert "never" in repr(new) and flagged.note in new._repr_html_()


def test_profiles_written_before_these_fields_still_work(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    X = pd.DataFrame(
        {
            "x": rng.normal(size=5_000),
            "city": rng.choice(["Oslo", "Lima", "Pune"], 5_000),
            "user": [f"u{i}" for i in rng.integers(0, 1_000, 5_000)],
        }
    )
    monitor = registered(tmp_path, "old", X)
    with monitor.registry.db.write() as conn:
        for feature, stats in conn.execute("SELECT feature, stats FROM profiles").fetchall():
            old = {
                k: v
                for k, v in json.loads(stats).items()
                if k not in ("type", "median", "distinct", "expected_unseen")
            }
            conn.execute(
                "UPDATE profiles SET stats = ? WHERE feature = ?", [json.dumps(old), feature]
            )
    current = X.assign(city=X["city"].replace("Pune", "Baku"), user="u9999")
    report = drift(monitor, "old:1", current)
    assert report.feature("city").unseen == ["Baku"]
    assert "unseen" not in report.feature("user").statistics  # the old profile cannot tell
    assert "x" not in report.drifted and report.schema == []


def test_an_unchanged_id_column_is_not_drift_and_a_changed_category_still_is(
    tmp_path: Path,
) -> None:
    rng = np.random.default_rng(5)

    def rows(count: int, *, oslo: float = 0.5, baku: float = 0.0) -> pd.DataFrame:
        shares = [oslo, 0.98 - oslo - baku, baku, 0.02]
        city = rng.choice(["Oslo", "Lima", "Baku", "town"], count, p=shares)
        towns = [f"t{n}" for n in rng.integers(0, 10**6, count)]  # a tail of singletons
        return pd.DataFrame(
            {
                "x": rng.normal(size=count),
                "uid": [f"u{n}" for n in rng.integers(0, 10**9, count)],
                "city": np.where(city == "town", towns, city),
            }
        )

    monitor = registered(tmp_path, "ids", rows(2_000))
    for count in (3_000, 6_000, 12_000):
        report = drift(monitor, "ids:1", rows(count))
        assert report.drifted == []  # uid was chi2 p=0.001 at 3,000 rows, JS 0.16 at 12,000
        uid = report.feature("uid")
        assert uid.statistic == 0 and uid.note.startswith("every reference category has fewer")
        assert report.feature("city").statistics["unseen"][0] == pytest.approx(0.02, abs=0.01)
    assert drift(monitor, "ids:1", rows(3_000, oslo=0.3)).drifted == ["city"]
    assert drift(monitor, "ids:1", rows(12_000, oslo=0.4)).drifted == ["city"]
    new = drift(monitor, "ids:1", rows(3_000, baku=0.2))
    assert new.drifted == ["city"] and "Baku" in new.feature("city").unseen


def test_every_changed_type_is_named_even_when_its_values_convert(tmp_path: Path) -> None:
    rng = np.random.default_rng(6)
    X = pd.DataFrame(
        {
            "x": rng.normal(size=5_000),
            "age": rng.integers(18, 90, 5_000),
            "flag": rng.random(5_000) < 0.3,
            "score": rng.uniform(0, 100, 5_000),
        }
    )
    monitor = registered(tmp_path, "typed", X)
    flag = X["flag"].map({True: "true", False: "false"})
    report = drift(monitor, "typed:1", X.assign(age=X["age"].astype(float), flag=flag))
    assert [c.feature for c in report.schema] == ["age", "flag"]  # age was not named
    assert report.drifted == []
    ages = "'age' was registered as integer, arrived as float: compared as integer values"
    assert f"schema:\ntype changed: {ages}\ntype changed: 'flag'" in repr(report)
    assert ages.replace("'", "&#x27;") in report._repr_html_()
    assert report.to_frame().set_index("feature").loc["age", "schema"] == ages
    changed = X.assign(age=X["age"] + 0.5, score=X["score"].round().astype(int))
    found = drift(monitor, "typed:1", changed).to_dict()["schema"]
    assert [(c["feature"], c["registered"], c["arrived"], c["converted"]) for c in found] == [
        ("age", "integer", "float", False),
        ("score", "float", "integer", True),
    ]


def test_a_column_with_no_value_is_all_missing_whatever_its_dtype(tmp_path: Path) -> None:
    rng = np.random.default_rng(9)
    X = pd.DataFrame(
        {
            "x": rng.normal(size=2_000),
            "age": rng.integers(18, 90, 2_000).astype(float),
            "seen": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 90, 2_000), "D"),
        }
    )
    monitor = registered(tmp_path, "blank", X)
    monitor.add_alert("blank:1", "missing.age > 0.1")
    current = X.iloc[:500].assign(age=None, seen=None)  # object columns of None alone
    assert current["age"].dtype == object
    found = drift(monitor, "blank:1", current)
    assert found.values()["missing.age"] == 1 and found.values()["missing.seen"] == 1
    assert not found.schema
    check = monitor.check("blank:1", current, multivariate=False)
    assert check.firing == ["missing.age > 0.1"]
