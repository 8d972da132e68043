"""The monitoring subcommands shared by `%mlops` and `jupyter-mlops`.

`--current` names data files (paths or globs of .parquet, .pq, .csv or .tsv) on the
command line; in a notebook it may also name a DataFrame variable, which the magic
substitutes before calling.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from jupyter_mlops.errors import InvalidArgumentError
from jupyter_mlops.registry import Registry

ALERT_FIRED_EXIT = 3


def add_monitoring_commands(commands: Any) -> None:
    drift = commands.add_parser("drift", help="drift of current data against a version's reference")
    drift.add_argument("ref", help="name@alias or name:version")
    _add_current(drift)
    drift.add_argument("--every", metavar="WINDOW", help="one report per window: 1h, 1d, 1w, N")
    drift.add_argument(
        "--last", type=_positive, metavar="N", help="with --every: the newest N windows"
    )
    drift.add_argument("--test", help="the deciding test for every feature: psi, ks, ...")
    drift.add_argument("--threshold", type=float, help="its threshold (alpha for ks and chi2)")
    drift.add_argument("--all-tests", action="store_true", help="compute every test per feature")
    drift.add_argument("--no-multivariate", action="store_true", help="skip the domain classifier")
    drift.add_argument("--no-save", action="store_true", help="do not record the report")
    history = commands.add_parser("drift-history", help="every recorded drift verdict of a model")
    history.add_argument("model")
    history.add_argument("--feature")
    settings = commands.add_parser("drift-config", help="store a feature's drift test/threshold")
    settings.add_argument("model")
    settings.add_argument("--feature", default="*", help="a feature, or * for every feature")
    settings.add_argument("--test")
    settings.add_argument("--threshold", type=float)
    for name, text in (
        ("performance", "realised metrics per window where labels have arrived"),
        ("estimate", "estimated metrics per window without labels (binary classifiers)"),
    ):
        sub = commands.add_parser(name, help=text)
        sub.add_argument("ref")
        _add_files(sub)
        sub.add_argument("--window", default="1d", help="1h, 1d, 1w or a row count")
        sub.add_argument("--last", type=_positive, metavar="N", help="the newest N windows")
        if name == "performance":
            _add_label_column(sub)
    alert = commands.add_parser("alert", help="alert rules: add, list, remove, log")
    actions = alert.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="a rule, e.g. 'drift.share > 0.3 or auc < 0.85'")
    add.add_argument("ref")
    add.add_argument("expression")
    add.add_argument("--notify", nargs="+", default=[], metavar="webhook:URL")
    listing = actions.add_parser("list", help="the rules of a model, or of all")
    listing.add_argument("model", nargs="?")
    remove = actions.add_parser("remove", help="remove a rule by id")
    remove.add_argument("id", type=int)
    log = actions.add_parser("log", help="the newest alert events of a model")
    log.add_argument("model")
    check = commands.add_parser(
        "check", help=f"evaluate every alert rule now (exit {ALERT_FIRED_EXIT} when one fires)"
    )
    check.add_argument("ref")
    _add_current(check)
    _add_label_column(check)
    check.add_argument("--no-multivariate", action="store_true")
    check.add_argument(
        "--strict", action="store_true", help="fail while any rule fires, not only when it starts"
    )


def _add_current(parser: argparse.ArgumentParser) -> None:
    _add_files(parser)
    parser.add_argument("--window", help="the newest span: 1h, 7d, or a row count")


def _add_files(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--current",
        nargs="+",
        metavar="DATA",
        help="data files or globs: .parquet, .pq, .csv, .tsv (default: the log)",
    )
    parser.add_argument("--time-column", help="the time column of --current")


def _add_label_column(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--label-column",
        metavar="NAME",
        help="the column of --current holding the true values (not a feature)",
    )


def current_of(args: argparse.Namespace) -> Any:
    """`--current` as the monitor takes it: None (the log), one object or a list of paths."""
    current = getattr(args, "current", None)
    if current is None or not isinstance(current, list):
        return current
    return current[0] if len(current) == 1 else current


def labelled_current(args: argparse.Namespace) -> tuple[Any, Any]:
    """`--current` and its true values: its `--label-column` taken out of it, or `y`, a
    value the face found for them (a notebook's `--y VARIABLE`); (current, None) without."""
    current, y = current_of(args), getattr(args, "y", None)
    column = getattr(args, "label_column", None)
    if column is None and y is None:
        return current, None
    option = "--y" if column is None else "--label-column"
    if current is None:
        raise InvalidArgumentError(
            f"{option} gives the true values of --current, but no --current was given; "
            f"add --current DATA, or leave {option} out to score the logged labels."
        )
    if column is None:
        return current, y
    if y is not None:
        raise InvalidArgumentError(
            "--label-column and --y both give the true values; give one of them."
        )
    from jupyter_mlops.monitoring.sources import given

    frame, source = given(current, time_column=args.time_column)
    if column not in frame.columns:
        columns = ", ".join(map(str, frame.columns))
        raise InvalidArgumentError(
            f"--label-column {column!r} is not a column of {source}; its columns: {columns}."
        )
    return frame.drop(columns=[column]), frame[column]


def _window(text: str | None) -> str | int | None:
    """`--window` or `--every` as the monitor takes it: digits alone are a count of rows."""
    return int(text) if text is not None and text.isascii() and text.isdigit() else text


def _positive(text: str) -> int:
    """`--last N`: a positive count (the newest 0 windows would be read as all of them)."""
    if not (text.isascii() and text.isdigit() and int(text) > 0):
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive count of windows")
    return int(text)


def run_monitoring_command(registry: Registry, args: argparse.Namespace) -> Any:
    from jupyter_mlops.monitoring import Monitor

    return _HANDLERS[args.command](Monitor(registry), args)


def _drift(monitor: Any, args: argparse.Namespace) -> Any:
    if args.every is not None:
        if args.window is not None:
            raise InvalidArgumentError(
                "--every and --window do not combine; use --every with --last N."
            )
        return monitor.drift_windows(
            args.ref,
            current_of(args),
            every=_window(args.every),
            time_column=args.time_column,
            last=args.last,
            tests=args.test,
            thresholds=args.threshold,
            save=not args.no_save,
        )
    if args.last is not None:
        raise InvalidArgumentError(
            "--last counts windows of --every; add --every 1d, or leave --last out."
        )
    return monitor.drift(
        args.ref,
        current_of(args),
        window=_window(args.window),
        time_column=args.time_column,
        tests=args.test,
        thresholds=args.threshold,
        exhaustive=args.all_tests,
        multivariate=not args.no_multivariate,
        save=not args.no_save,
    )


def _alert(monitor: Any, args: argparse.Namespace) -> Any:
    if args.action == "add":
        return monitor.add_alert(args.ref, args.expression, notify=args.notify)
    if args.action == "list":
        return monitor.alerts(args.model)
    if args.action == "remove":
        return monitor.remove_alert(args.id)
    return monitor.alert_log(args.model)


def _history(monitor: Any, args: argparse.Namespace) -> Any:
    return monitor.history(args.model, feature=args.feature)


def _configure(monitor: Any, args: argparse.Namespace) -> Any:
    return monitor.configure(args.model, args.feature, test=args.test, threshold=args.threshold)


def _performance(monitor: Any, args: argparse.Namespace) -> Any:
    current, y = labelled_current(args)
    if current is not None and y is None:
        raise InvalidArgumentError(
            "performance on --current needs its true values; name their column with "
            "--label-column NAME (or, in a notebook, pass --y VARIABLE)."
        )
    return monitor.performance(
        args.ref,
        current,
        y=y,
        window=_window(args.window),
        time_column=args.time_column,
        last=args.last,
    )


def _estimate(monitor: Any, args: argparse.Namespace) -> Any:
    return monitor.estimate(
        args.ref,
        current_of(args),
        window=_window(args.window),
        time_column=args.time_column,
        last=args.last,
    )


def _check(monitor: Any, args: argparse.Namespace) -> Any:
    current, y = labelled_current(args)
    return monitor.check(
        args.ref,
        current,
        y=y,
        window=_window(args.window),
        time_column=args.time_column,
        multivariate=not args.no_multivariate,
    )


_HANDLERS: dict[str, Callable[[Any, argparse.Namespace], Any]] = {
    "drift": _drift,
    "drift-history": _history,
    "drift-config": _configure,
    "performance": _performance,
    "estimate": _estimate,
    "alert": _alert,
    "check": _check,
}
MONITORING_COMMANDS = tuple(_HANDLERS)


def check_exit_code(result: Any, *, strict: bool) -> int:
    """0 when nothing fired; ALERT_FIRED_EXIT when a rule started firing (or, strict, fires)."""
    if result.alerts or (strict and result.firing):
        return ALERT_FIRED_EXIT
    return 0
