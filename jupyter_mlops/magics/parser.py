"""The `%mlops` argument parser: argparse whose errors become one-line UsageErrors."""

from __future__ import annotations

import argparse
from typing import NoReturn

from IPython.core.error import UsageError

from jupyter_mlops.commands import add_registry_commands
from jupyter_mlops.errors import Face, MlopsError
from jupyter_mlops.monitor_commands import add_monitoring_commands


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
    register = commands.add_parser("register", help="store a fitted model as a new version")
    register.add_argument("model", help="registry name of the model, e.g. churn")
    register.add_argument("object", nargs="?", help="the variable holding the fitted estimator")
    register.add_argument("--from-run", metavar="RUN", help="the model a tracked run fitted")
    register.add_argument(
        "--run-model", metavar="NAME", help="which one, if the run fitted several"
    )
    register.add_argument(
        "--allow-failed",
        action="store_true",
        help="with --from-run: register from a run that failed, died or is still running",
    )
    register.add_argument(
        "--data", nargs="+", action="extend", metavar="NAME", help="X [y] variables"
    )
    register.add_argument(
        "--reference",
        nargs="+",
        action="extend",
        metavar="NAME",
        help="X [y] variables of held-out rows monitoring compares with",
    )
    register.add_argument("--metrics", nargs="+", action="extend", default=[], metavar="name=value")
    register.add_argument("--description", default="")
    register.add_argument("--tag", action="append", default=[], metavar="key=value")
    register.add_argument("--trust", nargs="+", action="extend", default=[], metavar="TYPE")
    register.add_argument("--allow-pickle", action="store_true")
    register.add_argument(
        "--positive-label",
        metavar="CLASS",
        help="the class a binary classifier's scores, F1 and AUC refer to "
        "(default: its second class, classes_[1])",
    )
    register.add_argument(
        "--force",
        action="store_true",
        help="store a new version even if an identical one exists (by default it is returned)",
    )
    register.add_argument(
        "--if-new", action="store_true", help="the default now; accepted for older scripts"
    )
    reference = commands.add_parser(
        "reference", help="give a version held-out reference data for monitoring (audited)"
    )
    reference.add_argument("model", help="registry name of the model, e.g. churn")
    reference.add_argument("version", help="the version number (or an alias)")
    reference.add_argument("data", nargs="+", metavar="NAME", help="X [y] variables")
    reference.add_argument("--reason", default="", help="why, for the audit trail")
    reference.add_argument(
        "--allow-pickle", action="store_true", help="a version stored as a pickle"
    )
    load = commands.add_parser("load", help="the model object of a version")
    load.add_argument("ref", help="name, name@alias or name:version")
    load.add_argument("--trust", nargs="+", action="extend", default=[], metavar="TYPE")
    load.add_argument("--allow-pickle", action="store_true")
    predict = commands.add_parser("predict", help="score a DataFrame here, logged like served")
    predict.add_argument("ref", help="name@alias or name:version")
    predict.add_argument("data", help="the variable holding the rows")
    predict.add_argument("--no-log", action="store_true", help="do not log the predictions")
    connect = commands.add_parser("connect", help="use another registry for this session")
    connect.add_argument("location", nargs="?", help="a directory (omit to show the current)")
    metrics = commands.add_parser("metrics", help="a model's metrics across its versions (figure)")
    metrics.add_argument("model")
    help_ = commands.add_parser("help", help="this help, or one subcommand's")
    help_.add_argument("topic", nargs="?")
    add_registry_commands(commands)
    add_monitoring_commands(commands)
    parser.subcommands = dict(commands.choices)
    for name, plot in (
        ("run", "a figure of the run's metrics over its steps instead"),
        (
            "drift-history",
            "a figure of each feature's drift statistic per check, over its threshold, instead",
        ),
        ("performance", "a figure of each metric per window, with its 95%% interval, instead"),
        (
            "estimate",
            "a figure of each estimated (and realised) metric per window, with its 95%% "
            "interval, instead",
        ),
    ):
        parser.subcommands[name].add_argument("--plot", action="store_true", help=plot)
    for name in ("performance", "check"):
        parser.subcommands[name].add_argument(
            "--y", metavar="VARIABLE", help="the variable holding the true values of --current"
        )
    parser.subcommands["check"].add_argument(
        "--fail", action="store_true", help="raise when an alert fires (fails a papermill run)"
    )
    return parser
