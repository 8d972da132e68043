"""Subcommands that watch versions in use: drift, performance, estimates, alert rules and
checks, and compacting the prediction log.

`--current` names data files (paths or globs of .parquet, .pq, .csv or .tsv); in a
notebook it may also name a DataFrame variable: the face's `Context.data` reads it.
"""

from __future__ import annotations

import argparse
from typing import Any

from jupyter_mlops import operations
from jupyter_mlops.commands import exits
from jupyter_mlops.commands.base import Context, Subcommand, add_subcommands, positive

ALERT_FIRED_EXIT = exits.ALERT_FIRED


def add_current(parser: argparse.ArgumentParser, *, window: bool = True) -> None:
    parser.add_argument(
        "--current",
        nargs="+",
        action="extend",
        metavar="DATA",
        help="data files or globs: .parquet, .pq, .csv, .tsv (default: the log)",
    )
    parser.add_argument("--time-column", help="the time column of --current")
    if window:
        parser.add_argument(
            "--window", help="the newest span: 1h, 7d, a row count, or a range FROM..TO"
        )


def add_windows(parser: argparse.ArgumentParser) -> None:
    """The version, its current data, and the windows metrics are computed per."""
    parser.add_argument("ref")
    add_current(parser, window=False)
    parser.add_argument(
        "--window", default="1d", help="1h, 1d, 1w, a row count, or one range FROM..TO"
    )
    parser.add_argument("--last", type=positive, metavar="N", help="the newest N windows")


def add_label_column(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--label-column",
        metavar="NAME",
        help="the column of --current holding the true values (not a feature)",
    )


class Drift(Subcommand):
    name = "drift"
    help = "drift of current data against a version's reference"

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("ref", help="name@alias or name:version")
        add_current(parser)
        parser.add_argument(
            "--every", metavar="WINDOW", help="one report per window: 1h, 1d, 1w, N"
        )
        parser.add_argument(
            "--last", type=positive, metavar="N", help="with --every: the newest N windows"
        )
        parser.add_argument("--test", help="the deciding test for every feature: psi, ks, ...")
        parser.add_argument("--threshold", type=float, help="its threshold (alpha for ks and chi2)")
        parser.add_argument(
            "--all-tests", action="store_true", help="compute every test per feature"
        )
        parser.add_argument(
            "--no-multivariate", action="store_true", help="skip the domain classifier"
        )
        parser.add_argument("--no-save", action="store_true", help="do not record the report")

    def run(self, context: Context, args: argparse.Namespace) -> Any:
        return operations.drift(
            context.registry,
            ref=args.ref,
            current=context.data(args.current),
            window=args.window,
            every=args.every,
            last=args.last,
            time_column=args.time_column,
            test=args.test,
            threshold=args.threshold,
            all_tests=args.all_tests,
            multivariate=not args.no_multivariate,
            save=not args.no_save,
        )


class DriftHistory(Subcommand):
    name = "drift-history"
    help = "every recorded drift verdict of a model"

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("model")
        parser.add_argument("--feature")

    def run(self, context: Context, args: argparse.Namespace) -> Any:
        return operations.drift_history(context.registry, model=args.model, feature=args.feature)


class DriftConfig(Subcommand):
    name = "drift-config"
    help = "store a feature's drift test/threshold (neither: list a model's settings)"

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("model")
        parser.add_argument("--feature", default="*", help="a feature, or * for every feature")
        parser.add_argument("--test")
        parser.add_argument("--threshold", type=float)
        parser.add_argument(
            "--clear", action="store_true", help="drop the feature's stored test and threshold"
        )

    def run(self, context: Context, args: argparse.Namespace) -> Any:
        return operations.drift_config(
            context.registry,
            model=args.model,
            feature=args.feature,
            test=args.test,
            threshold=args.threshold,
            clear=args.clear,
        )


class Performance(Subcommand):
    name = "performance"
    help = "realised metrics per window where labels have arrived"

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        add_windows(parser)
        add_label_column(parser)

    def run(self, context: Context, args: argparse.Namespace) -> Any:
        return operations.performance(
            context.registry,
            ref=args.ref,
            current=context.data(args.current),
            y=context.value(getattr(args, "y", None)),
            label_column=args.label_column,
            window=args.window,
            time_column=args.time_column,
            last=args.last,
        )


class Estimate(Subcommand):
    name = "estimate"
    help = "estimated metrics per window without labels (binary classifiers)"

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        add_windows(parser)

    def run(self, context: Context, args: argparse.Namespace) -> Any:
        return operations.estimate(
            context.registry,
            ref=args.ref,
            current=context.data(args.current),
            window=args.window,
            time_column=args.time_column,
            last=args.last,
        )


class AlertAdd(Subcommand):
    name = "add"
    help = "a rule, e.g. 'drift.share > 0.3 or auc < 0.85'"

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("ref")
        parser.add_argument("expression")
        parser.add_argument(
            "--notify",
            nargs="+",
            action="extend",
            default=[],
            metavar="TARGET",
            help="webhook:URL or retrain:NOTEBOOK; repeat or list several",
        )

    def run(self, context: Context, args: argparse.Namespace) -> Any:
        return operations.add_alert(
            context.registry, ref=args.ref, expression=args.expression, notify=args.notify
        )


class AlertList(Subcommand):
    name = "list"
    help = "the rules of a model, or of all"

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("model", nargs="?")

    def run(self, context: Context, args: argparse.Namespace) -> Any:
        return operations.alerts(context.registry, model=args.model)


class AlertRemove(Subcommand):
    name = "remove"
    help = "remove a rule by id"

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("id", type=int)

    def run(self, context: Context, args: argparse.Namespace) -> Any:
        return operations.remove_alert(context.registry, rule=args.id)


class AlertLog(Subcommand):
    name = "log"
    help = "the newest alert events of a model"

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("model")

    def run(self, context: Context, args: argparse.Namespace) -> Any:
        return operations.alert_log(context.registry, model=args.model)


class Alert(Subcommand):
    """`alert ACTION ...`: each action is a subcommand of its own, which parsing puts in
    `args.subcommand` in place of this one."""

    name = "alert"
    help = "alert rules: add, list, remove, log"
    actions: tuple[Subcommand, ...] = (AlertAdd(), AlertList(), AlertRemove(), AlertLog())

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
        add_subcommands(actions, self.actions)


class Check(Subcommand):
    name = "check"
    help = f"evaluate every alert rule now (exit {ALERT_FIRED_EXIT} when one fires)"

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("ref")
        add_current(parser)
        add_label_column(parser)
        parser.add_argument("--no-multivariate", action="store_true")
        parser.add_argument(
            "--strict",
            action="store_true",
            help="fail while any rule fires, not only when it starts",
        )

    def run(self, context: Context, args: argparse.Namespace) -> Any:
        return operations.check(
            context.registry,
            ref=args.ref,
            current=context.data(args.current),
            y=context.value(getattr(args, "y", None)),
            label_column=args.label_column,
            window=args.window,
            time_column=args.time_column,
            multivariate=not args.no_multivariate,
        )

    def exit_code(self, result: Any, args: argparse.Namespace) -> int:
        return ALERT_FIRED_EXIT if result.fails(strict=args.strict) else 0


class Compact(Subcommand):
    name = "compact"
    help = "merge a model's small log segments per day"

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("model", nargs="?", help="one model (default: every logged model)")

    def run(self, context: Context, args: argparse.Namespace) -> Any:
        return operations.compact(context.registry, model=args.model)


MONITORING: tuple[Subcommand, ...] = (
    Drift(),
    DriftHistory(),
    DriftConfig(),
    Performance(),
    Estimate(),
    Alert(),
    Check(),
    Compact(),
)
