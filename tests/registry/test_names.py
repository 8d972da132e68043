"""Names are whole names: a trailing newline, a space or a lookalike digit is refused
everywhere a name or a version number is taken, in one line; so are keys and texts that
would break a table (control characters, 100,000 characters, a number where text belongs),
and aliases that read as numbers."""

from __future__ import annotations

import pytest

import jupyter_mlops as mlops
from jupyter_mlops.errors import InvalidArgumentError
from jupyter_mlops.monitoring.windows import parse_window

ODD = ["churn\n", "churn\r\n", " churn", "churn ", "ch\nurn", "churn\t", ""]


@pytest.mark.parametrize("name", ODD)
def test_model_names_with_odd_characters_are_refused(registry, fitted, name):
    with pytest.raises(InvalidArgumentError, match="is not valid") as raised:
        registry.register(name, fitted)
    assert "\n" not in str(raised.value).replace(repr(name), "")
    assert registry.models() == []


def test_a_name_with_a_letter_outside_ascii_is_told_that_only_ascii_letters_are_meant(
    registry, fitted
):
    with pytest.raises(InvalidArgumentError, match=r"use ASCII letters \(a-z, A-Z\)"):
        registry.register("kündigung", fitted)


@pytest.mark.parametrize("alias", ["champion\n", "champion ", "champ\nion"])
def test_aliases_with_odd_characters_are_refused(registry, fitted, alias):
    registry.register("churn", fitted)
    with pytest.raises(InvalidArgumentError, match="alias"):
        registry.promote("churn", 1, alias)
    assert registry.history("churn") == []


@pytest.mark.parametrize(
    "ref", ["churn:1\n", "churn:²", "churn:1.0", "churn@1\n", "churn: 1", "churn@1.0"]
)
def test_version_references_with_odd_characters_are_refused(registry, fitted, ref):
    registry.register("churn", fitted)
    with pytest.raises(InvalidArgumentError):
        registry.get(ref)


@pytest.mark.parametrize("version", ["1\n", "²", True, " 1"])
def test_version_numbers_with_odd_characters_are_refused(registry, fitted, version):
    registry.register("churn", fitted)
    with pytest.raises(InvalidArgumentError):
        registry.promote("churn", version, "champion")


def test_experiment_names_with_odd_characters_are_refused(registry):
    with (
        pytest.raises(InvalidArgumentError, match="experiment name"),
        mlops.run("exp\n", registry=registry),
    ):
        pass


@pytest.mark.parametrize("window", ["²d", "1d d", "١d"])
def test_windows_with_odd_characters_are_refused(window):
    with pytest.raises(InvalidArgumentError, match="cannot read the window"):
        parse_window(window)


BAD_KEYS = [("a\nb", "control character"), ("x" * 100_000, "100,000 characters"), ("", "empty")]


@pytest.mark.parametrize(("key", "problem"), [*BAD_KEYS, (None, "is None")])
def test_odd_metric_keys_are_refused_before_anything_is_written(registry, fitted, key, problem):
    with pytest.raises(InvalidArgumentError, match=f"metric key .*{problem}") as raised:
        registry.register("churn", fitted, metrics={key: 0.9})
    assert "\n" not in str(raised.value) and len(str(raised.value)) < 300
    assert registry.models() == []


@pytest.mark.parametrize(("key", "problem"), BAD_KEYS)
def test_odd_tag_keys_are_refused(registry, fitted, key, problem):
    with pytest.raises(InvalidArgumentError, match=f"tag key .*{problem}"):
        registry.register("churn", fitted, tags={key: "x"})
    assert registry.models() == []
    registry.register("churn", fitted)
    with pytest.raises(InvalidArgumentError, match=f"tag key .*{problem}"):
        registry.tag("churn", 1, {key: "x"})
    assert registry.get("churn:1").tags == {}


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (12345, "not text"),
        (None, "not text"),
        ("a\x00b", "control"),
        ("a\rb", "control"),
        ("a\ud800b", "not valid Unicode"),  # a lone surrogate: what JSON's "\ud800" gives
        ("bad\udcffbyte", "not valid Unicode"),  # a shell's byte 0xff, as Python reads argv
        ("   \t", "no visible character"),
        ("\u200b\u200b", "no visible character"),
        ("fine \u202eevil", "bidirectional control"),
        ("fine \u2066evil", "bidirectional control"),
        ("x" * 4_001, "4,001 characters long; keep it to 4,000"),
    ],
)
def test_reasons_and_descriptions_are_plain_text(registry, fitted, text, problem):
    registry.register("churn", fitted)
    registry.register("churn", fitted, force=True)
    registry.promote("churn", 1)
    attempts = [
        lambda: registry.describe("churn", text),
        lambda: registry.register("churn", fitted, description=text),
        lambda: registry.promote("churn", 2, reason=text),
        lambda: registry.rollback("churn", reason=text),
        lambda: registry.remove_alias("churn", "champion", reason=text),
        lambda: registry.archive("churn", 2, reason=text),
    ]
    for attempt in attempts:
        with pytest.raises(InvalidArgumentError, match=r"^(description|reason) ") as raised:
            attempt()
        message = str(raised.value)
        assert problem in message and "\n" not in message and len(message) < 300
    assert len(registry.versions("churn")) == 2 and len(registry.history("churn")) == 1
    assert registry.models()[0].description == ""
    registry.promote("churn", 2, reason="line one\n\tline two")  # newlines and tabs are text
    registry.describe("churn", "x" * 4_000 + "")  # at the limit
    registry.promote("churn", 1, reason="zero\u200bwidth joins, e\u0301 accents: fine")


@pytest.mark.parametrize("alias", ["1.5", "1e3", "2.0", "1_000", "0x1f", "nan", "Inf", "infinity"])
def test_number_like_aliases_are_refused(registry, fitted, alias):
    registry.register("churn", fitted)
    with pytest.raises(InvalidArgumentError, match="would be read as a version"):
        registry.promote("churn", 1, alias)
    assert registry.history("churn") == []


@pytest.mark.parametrize("version", ["1.0", "1.5", "-1", "1e0"])
def test_number_like_versions_are_refused_as_versions_not_read_as_aliases(
    registry, fitted, version
):
    registry.register("churn", fitted)
    for attempt in (
        lambda: registry.promote("churn", version),
        lambda: registry.get(f"churn@{version}"),
        lambda: registry.compare("churn", 1, version),
    ):
        with pytest.raises(
            InvalidArgumentError, match=f"version '{version}' is not a version number"
        ):
            attempt()
    assert registry.history("churn") == []


@pytest.mark.parametrize("alias", ["v1.5", "2024-rollout", "1st"])
def test_aliases_that_only_start_with_a_digit_are_names(registry, fitted, alias):
    registry.register("churn", fitted)
    registry.promote("churn", 1, alias)
    assert registry.get(f"churn@{alias}").version == 1
