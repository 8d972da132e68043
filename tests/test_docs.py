"""Every subcommand a user can type is documented in the README, and its tables render whole."""

from __future__ import annotations

import re

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


def test_every_readme_table_row_is_inside_its_table():
    """A blank line ends a Markdown table: rows after one render as raw pipes."""
    lines = README.splitlines()
    in_code = in_table = False
    for number, line in enumerate(lines, start=1):
        in_code ^= line.startswith("```")
        if in_code or not line.startswith("|"):
            in_table = False
            continue
        opens = number < len(lines) and re.match(r"\|\s*:?-{3,}", lines[number]) is not None
        assert in_table or opens, f"README line {number} is a row outside any table: {line[:60]}"
        in_table = True
