"""Subcommands that read experiment runs."""

from __future__ import annotations

import argparse
from typing import Any

from jupyter_mlops import operations
from jupyter_mlops.commands.base import Context, Subcommand


class Runs(Subcommand):
    name = "runs"
    help = "the runs of an experiment, newest or best first"

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("experiment", nargs="?")
        parser.add_argument(
            "--where",
            action="append",
            metavar="CONDITION",
            help='only runs where it holds, e.g. "m.alpha < 1" (repeat: all must hold)',
        )
        parser.add_argument(
            "--sort", metavar="COLUMN", help="largest first by a metric, a param or MODEL.PARAM"
        )
        parser.add_argument("--top", type=int, metavar="N")
        parser.add_argument("--ascending", action="store_true", help="smallest first (losses)")

    def run(self, context: Context, args: argparse.Namespace) -> Any:
        return operations.runs(
            context.registry,
            experiment=args.experiment,
            where=args.where,
            sort=args.sort,
            top=args.top,
            ascending=args.ascending,
        )


class CompareRuns(Subcommand):
    name = "compare-runs"
    help = "runs side by side"

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("runs", nargs="+", metavar="RUN")
        parser.add_argument(
            "--all", dest="show_all", action="store_true", help="the identical rows too"
        )

    def run(self, context: Context, args: argparse.Namespace) -> Any:
        return operations.compare_runs(context.registry, runs=args.runs, show_all=args.show_all)


class Run(Subcommand):
    name = "run"
    help = "everything recorded about one run"

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("run", metavar="RUN")

    def run(self, context: Context, args: argparse.Namespace) -> Any:
        return operations.run(context.registry, run=args.run)


TRACKING: tuple[Subcommand, ...] = (Runs(), CompareRuns(), Run())
