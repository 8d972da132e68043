"""The subcommands only a shell has: a model and its data read from files, predictions
written to one, a model server in the foreground, a shared registry's data path adopted."""

from __future__ import annotations

import argparse
import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from jupyter_mlops import operations
from jupyter_mlops.automation.outcomes import Stopped
from jupyter_mlops.cli.files import read_model, read_table
from jupyter_mlops.commands import (
    Context,
    Subcommand,
    add_parameters,
    parameter_pairs,
    parse_pairs,
)
from jupyter_mlops.commands.deployments import BIND_HELP, add_shadow
from jupyter_mlops.commands.registering import add_model_options
from jupyter_mlops.errors import InvalidArgumentError
from jupyter_mlops.operations.registering import registration


class Register(Subcommand):
    name = "register"
    help = "store a model file as a new version"

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("model", help="registry name of the model, e.g. churn")
        parser.add_argument(
            "file", type=Path, help="a .skops file (or a pickle with --allow-pickle)"
        )
        parser.add_argument("--data", type=Path, help="training data: .parquet, .csv or .tsv")
        parser.add_argument("--target", help="the target column of --data (and --reference)")
        parser.add_argument(
            "--reference",
            type=Path,
            help="held-out rows monitoring compares with: .parquet, .csv, .tsv",
        )
        add_model_options(parser)

    def run(self, context: Context, args: argparse.Namespace) -> Any:
        if args.target is not None and args.data is None and args.reference is None:
            raise InvalidArgumentError(
                f"--target {args.target!r} names a column of the training data, but no --data "
                "was given; add --data FILE, or leave --target out."
            )
        metrics = parse_pairs(args.metrics, what="metric")
        tags = parse_pairs(args.tag, what="tag")
        model = read_model(args.file, trust=args.trust, allow_pickle=args.allow_pickle)
        given = registration(
            model,
            data=() if args.data is None else read_table(args.data, args.target),
            reference=() if args.reference is None else read_table(args.reference, args.target),
            metrics=metrics,
            description=args.description,
            tags=tags,
            trust=args.trust,
            allow_pickle=args.allow_pickle,
            positive_label=args.positive_label,
            code=_command_line(args),
        )
        return operations.register(context.registry, name=args.model, given=given, force=args.force)


class Reference(Subcommand):
    name = "reference"
    help = "give a version held-out reference data for monitoring (audited)"

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("model", help="registry name of the model, e.g. churn")
        parser.add_argument("version", help="the version number (or an alias)")
        parser.add_argument("file", type=Path, help="held-out rows: .parquet, .csv or .tsv")
        parser.add_argument("--target", help="the column of the file holding true values")
        parser.add_argument("--reason", default="", help="why, for the audit trail")
        parser.add_argument(
            "--allow-pickle", action="store_true", help="a version stored as a pickle"
        )

    def run(self, context: Context, args: argparse.Namespace) -> Any:
        X, y = read_table(args.file, args.target)
        return operations.set_reference(
            context.registry,
            model=args.model,
            version=args.version,
            X=X,
            y=y,
            reason=args.reason,
            allow_pickle=args.allow_pickle,
        )


class Serve(Subcommand):
    name = "serve"
    help = "serve a model alias in the foreground"

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("ref", help="name@alias (the server follows the alias)")
        parser.add_argument("--port", type=int, default=8765)
        parser.add_argument("--host", default="127.0.0.1", help=BIND_HELP)
        parser.add_argument(
            "--token", help="the bearer token (default: $MLOPS_SERVE_TOKEN, else new)"
        )
        add_shadow(parser)

    def run(self, context: Context, args: argparse.Namespace) -> Any:
        from jupyter_mlops.deploying import TOKEN_VARIABLE, new_token
        from jupyter_mlops.registry import team

        team.require_writable(context.registry.db)  # refused before a line is printed
        token = args.token or os.environ.get(TOKEN_VARIABLE)
        if not token:
            token = new_token()
            print(f"bearer token (shown once): {token}", flush=True)
        shadow = f", {args.shadow} in shadow" if args.shadow else ""
        print(f"serving {args.ref} at http://{args.host}:{args.port}{shadow}", flush=True)
        operations.serve(
            context.registry,
            ref=args.ref,
            host=args.host,
            port=args.port,
            token=token,
            shadow=args.shadow,
        )


class Predict(Subcommand):
    name = "predict"
    help = "score the rows of data files, logged"

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("ref", help="name@alias or name:version")
        parser.add_argument("file", help="the rows: a .parquet, .pq, .csv or .tsv file or glob")
        parser.add_argument("--output", metavar="FILE", help="write them here instead of printing")
        parser.add_argument("--no-log", action="store_true", help="do not log the predictions")

    def run(self, context: Context, args: argparse.Namespace) -> Any:
        return operations.predict(
            context.registry,
            ref=args.ref,
            rows=args.file,
            log=not args.no_log,
            output=args.output,
        )


class Monitor(Subcommand):
    name = "monitor"
    help = "run a monitoring notebook as a recorded job (exit 0, 3, 10, 11 or 12)"
    runs_job = True

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("notebook", help="the .ipynb file to run with papermill")
        add_parameters(parser)
        parser.add_argument("--timeout", help="kill it after N seconds, or 30s, 1.5m, 1h30m")
        parser.add_argument("--schedule", type=int, metavar="ID", help="the schedule it runs for")

    def run(self, context: Context, args: argparse.Namespace) -> Any:
        return operations.monitor_job(
            context.registry,
            notebook=args.notebook,
            parameters=parameter_pairs(args.parameters),
            timeout=args.timeout,
            schedule=args.schedule,
        )

    def exit_code(self, result: Any, args: argparse.Namespace) -> int:
        return int(result.exit_code)


class AdoptDataPath(Subcommand):
    name = "adopt-data-path"
    help = (
        "make --data-path (else the one it was made with) the shared registry's own where its "
        "mark names a copy of the catalog: the catalog moved by a dump restored, or a copy "
        "given a copy of the folder"
    )

    def before_opening(self, args: argparse.Namespace) -> None:
        args.adopted = operations.adopt_data_path(args.home, data_path=args.data_path)

    def run(self, context: Context, args: argparse.Namespace) -> Any:
        return args.adopted


def _command_line(args: argparse.Namespace) -> str:
    """What `register` records as a version's code from a shell: the command that stored
    it, its files by the paths it was given (the code that fitted the model is not here)."""
    import shlex

    words = ["jupyter-mlops", "register", args.model, str(args.file)]
    for option in ("data", "target", "reference"):
        if getattr(args, option) is not None:
            words += [f"--{option}", str(getattr(args, option))]
    return shlex.join(words)


@contextmanager
def stoppable(job: bool) -> Iterator[None]:
    """While a subcommand that runs a job (`runs_job`) goes, SIGTERM stops it as Ctrl-C
    does: the job kills its notebook and records why, and the runner exits 128 + 15 with
    a line on stderr. Other subcommands keep the default (SIGTERM ends them at once)."""
    if not job:
        yield
        return
    previous = signal.signal(signal.SIGTERM, _interrupted)  # a timer stopping the job
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _interrupted(number: int, frame: Any) -> None:
    """SIGTERM as Ctrl-C: the job kills its notebook and records why before the runner ends
    (a second SIGTERM, while it does, is ignored)."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise Stopped(number)


SHELL_ONLY: tuple[Subcommand, ...] = (
    Register(),
    Reference(),
    Serve(),
    Predict(),
    Monitor(),
    AdoptDataPath(),
)
