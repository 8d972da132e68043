"""Names are whole names: a trailing newline, a space or a lookalike digit is refused
everywhere a name or a version number is taken, in one line."""

from __future__ import annotations

import pytest

import jupyter_mlops as mlops
from jupyter_mlops.errors import UsageError
from jupyter_mlops.monitoring.windows import parse_window

ODD = ["churn\n", "churn\r\n", " churn", "churn ", "ch\nurn", "churn\t", ""]


@pytest.mark.parametrize("name", ODD)
def test_model_names_with_odd_characters_are_refused(registry, fitted, name):
    with pytest.raises(UsageError, match="is not valid") as raised:
        registry.register(name, fitted)
    assert "\n" not in str(raised.value).replace(repr(name), "")
    assert registry.models() == []


@pytest.mark.parametrize("alias", ["champion\n", "champion ", "champ\nion"])
def test_aliases_with_odd_characters_are_refused(registry, fitted, alias):
    registry.register("churn", fitted)
    with pytest.raises(UsageError, match="alias"):
        registry.promote("churn", 1, alias)
    assert registry.history("churn") == []


@pytest.mark.parametrize("ref", ["churn:1\n", "churn:²", "churn:1.0", "churn@1\n", "churn: 1"])
def test_version_references_with_odd_characters_are_refused(registry, fitted, ref):
    registry.register("churn", fitted)
    with pytest.raises(UsageError):
        registry.get(ref)


@pytest.mark.parametrize("version", ["1\n", "²", True, " 1"])
def test_version_numbers_with_odd_characters_are_refused(registry, fitted, version):
    registry.register("churn", fitted)
    with pytest.raises(UsageError):
        registry.promote("churn", version, "champion")


def test_experiment_names_with_odd_characters_are_refused(registry):
    with pytest.raises(UsageError, match="experiment name"), mlops.run("exp\n", registry=registry):
        pass


@pytest.mark.parametrize("window", ["²d", "1d d", "١d"])
def test_windows_with_odd_characters_are_refused(window):
    with pytest.raises(UsageError, match="cannot read the window"):
        parse_window(window)
