"""The `%mlops` argument parser: argparse whose errors become one-line UsageErrors, with
the notebook's own subcommands and the options only a notebook has."""

from __future__ import annotations

import argparse
from typing import NoReturn

from IPython.core.error import UsageError

from jupyter_mlops.commands import SHARED, add_subcommands
from jupyter_mlops.errors import Face, MlopsError
from jupyter_mlops.magics.subcommands import NOTEBOOK_ONLY

PLOTS = {
    "run": "a figure of the run's metrics over its steps instead",
    "drift-history": "a figure of each feature's drift statistic per check, over its threshold, "
    "instead",
    "performance": "a figure of each metric per window, with its 95%% interval, instead",
    "estimate": "a figure of each estimated (and realised) metric per window, with its 95%% "
    "interval, instead",
}


class HelpShown(Exception):
    """`-h` was given: the help text was printed and there is nothing to run."""


def usage_error(exc: MlopsError) -> UsageError:
    """An error of the core as a notebook shows every kind of them (`errors.OUTCOMES`): a
    one-line `UsageError` whose fix is spelled as `%mlops` takes it."""
    return UsageError(exc.render(Face.NOTEBOOK))


class MagicParser(argparse.ArgumentParser):
    subcommands: dict[str, argparse.ArgumentParser]

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}; see `%mlops help`.")

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        if message:
            raise UsageError(message.strip())
        raise HelpShown()


def build_track_parser() -> MagicParser:
    parser = MagicParser(prog="%%mlops track", description="Record the cell as a run.")
    parser.add_argument("experiment")
    parser.add_argument("--tag", action="append", default=[], metavar="key=value")
    return parser


def build_parser() -> MagicParser:
    parser = MagicParser(prog="%mlops", description="Model registry operations from a cell.")
    commands = parser.add_subparsers(dest="command", metavar="SUBCOMMAND", required=True)
    parser.subcommands = add_subcommands(commands, [*NOTEBOOK_ONLY, *SHARED])
    for name, plot in PLOTS.items():
        parser.subcommands[name].add_argument("--plot", action="store_true", help=plot)
    for name in ("performance", "check"):
        parser.subcommands[name].add_argument(
            "--y", metavar="VARIABLE", help="the variable holding the true values of --current"
        )
    parser.subcommands["check"].add_argument(
        "--fail", action="store_true", help="raise when an alert fires (fails a papermill run)"
    )
    return parser
