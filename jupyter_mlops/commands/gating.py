"""Subcommands that decide before a change: a gate between two versions, and new data
checked against a version. Each fails a shell job with its own exit code (`exits.py`)."""

from __future__ import annotations

import argparse
from typing import Any

from jupyter_mlops import operations
from jupyter_mlops.commands import exits
from jupyter_mlops.commands.base import Context, Subcommand
from jupyter_mlops.errors import Face, InvalidArgumentError, Option
from jupyter_mlops.operations.gates import both_given

NAMED = {"y_named": "y", "rows_named": "X and y"}


def add_evidence(parser: argparse.ArgumentParser, *, holdout: str, live: str) -> None:
    """The options naming what a gate judges on: held-out rows, or the shadow's log."""
    parser.add_argument("--holdout", nargs="+", action="extend", metavar="DATA", help=holdout)
    parser.add_argument("--target", help="the column of --holdout holding the true values")
    parser.add_argument("--live", metavar="WINDOW", help=live)


class Gate(Subcommand):
    name = "gate"
    help = (
        f"a challenger against the champion on the same held-out rows (exit {exits.GATE_KEPT} "
        "when the champion stays)"
    )

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("model")
        parser.add_argument("--challenger", required=True, help="version number or alias")
        parser.add_argument("--champion", default="champion", help="version or alias")
        add_evidence(
            parser,
            holdout="held-out rows: data files with --target (in a notebook also X y "
            "variables, or a DataFrame variable with --target)",
            live="the shadow-scored requests of 7d",
        )
        parser.add_argument(
            "--metric", required=True, help="accuracy, auc, f1, log_loss; rmse, ..."
        )
        parser.add_argument("--min-gain", type=float, default=0.0, help="default 0")
        parser.add_argument("--alpha", type=float, default=0.05, help="default 0.05")
        parser.add_argument(
            "--promote", action="store_true", help="move the champion alias when it passes"
        )
        parser.add_argument("--reason", default="", help="why, for the audit trail")

    def run(self, context: Context, args: argparse.Namespace) -> Any:
        if args.live is not None and (args.holdout or args.target is not None):
            raise both_given(args.live)
        X, y, named = (None, None, NAMED) if args.live is not None else holdout(context, args)
        return operations.gate(
            context.registry,
            model=args.model,
            challenger=args.challenger,
            champion=args.champion,
            X=X,
            y=y,
            live=args.live,
            metric=args.metric,
            min_gain=args.min_gain,
            alpha=args.alpha,
            promote=args.promote,
            reason=args.reason,
            y_named=named["y_named"],
            rows_named=named["rows_named"],
        )

    def exit_code(self, result: Any, args: argparse.Namespace) -> int:
        return 0 if result.passed else exits.GATE_KEPT


def holdout(context: Context, args: argparse.Namespace) -> tuple[Any, Any, dict[str, str]]:
    """`--holdout` as the face reads it: X and y variables in a notebook, else rows (files,
    or a DataFrame variable) and their `--target` column; and how messages name them."""
    given = args.holdout
    if not given:
        raise InvalidArgumentError(
            "give the rows to compare on with ", Option("holdout", typed="DATA"),
            " (or the shadow-scored requests with ", Option("live", typed="7d"), ").",
        )  # fmt: skip
    if context.face is Face.NOTEBOOK and len(given) == 2 and args.target is None:
        named = {"y_named": given[1], "rows_named": f"{given[0]} and {given[1]}"}
        return context.value(given[0]), context.value(given[1]), named
    found = context.data(given)
    if not hasattr(found, "columns"):
        from jupyter_mlops.registry.datafiles import read_files

        found = read_files([found] if isinstance(found, str) else found)
    if args.target is None or args.target not in found.columns:
        columns = ", ".join(map(str, found.columns[:10]))
        what = (
            "no --target was given"
            if args.target is None
            else (f"--target {args.target!r} is not a column of the holdout")
        )
        raise InvalidArgumentError(
            f"{what}; name its column of true values with --target (columns: {columns})."
        )
    source = " ".join(given)
    named = {"y_named": f"the --target column {args.target!r} of {source}", "rows_named": source}
    return found.drop(columns=[args.target]), found[args.target], named


class CheckData(Subcommand):
    name = "check-data"
    help = (
        f"new data against a version's columns, types and profile (exit {exits.DATA_REFUSED} "
        "when refused)"
    )

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "data", nargs="+", help="data files or globs (in a notebook also a DataFrame variable)"
        )
        parser.add_argument("--schema", required=True, metavar="REF", help="e.g. churn@champion")
        parser.add_argument("--strict", action="store_true", help="warnings fail it too")
        parser.add_argument(
            "--ignore",
            nargs="+",
            action="extend",
            default=[],
            metavar="COLUMN",
            help="columns that are no input",
        )

    def run(self, context: Context, args: argparse.Namespace) -> Any:
        return operations.check_data(
            context.registry,
            ref=args.schema,
            data=context.data(args.data),
            strict=args.strict,
            ignore=args.ignore,
        )

    def exit_code(self, result: Any, args: argparse.Namespace) -> int:
        return 0 if result.passed else exits.DATA_REFUSED


GATING: tuple[Subcommand, ...] = (Gate(), CheckData())
