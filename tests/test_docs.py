"""Every subcommand a user can type is documented in the README."""

from __future__ import annotations

import pytest

from jupyter_mlops.cli import build_parser as build_cli_parser
from jupyter_mlops.magics.parser import build_parser
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text()


@pytest.mark.parametrize("name", sorted(build_parser().subcommands))
def test_every_magic_subcommand_is_in_the_readme(name):
    assert f"`%mlops {name}" in README


def test_every_cli_subcommand_is_a_documented_magic_or_shown_in_the_readme():
    parser = build_cli_parser()
    commands = next(a for a in parser._subparsers._group_actions)  # type: ignore[union-attr]
    for name in commands.choices:
        assert f"`%mlops {name}" in README or f"jupyter-mlops {name}" in README, name
