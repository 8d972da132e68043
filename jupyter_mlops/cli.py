"""`jupyter-mlops`: the registry from a shell, for scripts, CI and scheduled jobs."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from jupyter_mlops.commands import (
    HANDLERS,
    add_registry_commands,
    parse_pairs,
    run_registry_command,
)
from jupyter_mlops.errors import Face, InvalidArgumentError, MlopsError
from jupyter_mlops.monitor_commands import (
    ALERT_FIRED_EXIT,
    MONITORING_COMMANDS,
    add_monitoring_commands,
    check_exit_code,
    run_monitoring_command,
)
from jupyter_mlops.registry import Registry


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jupyter-mlops", description="Model registry operations from a shell."
    )
    parser.add_argument(
        "--home", help="registry directory (default: $MLOPS_HOME or ~/.jupyter-mlops)"
    )
    commands = parser.add_subparsers(dest="command", metavar="SUBCOMMAND", required=True)
    register = commands.add_parser("register", help="store a model file as a new version")
    register.add_argument("model", help="registry name of the model, e.g. churn")
    register.add_argument("file", type=Path, help="a .skops file (or a pickle with --allow-pickle)")
    register.add_argument("--data", type=Path, help="training data: .parquet, .csv or .tsv")
    register.add_argument("--target", help="the target column of --data (and --reference)")
    register.add_argument(
        "--reference",
        type=Path,
        help="held-out rows monitoring compares with: .parquet, .csv, .tsv",
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
    reference.add_argument("file", type=Path, help="held-out rows: .parquet, .csv or .tsv")
    reference.add_argument("--target", help="the column of the file holding true values")
    reference.add_argument("--reason", default="", help="why, for the audit trail")
    reference.add_argument(
        "--allow-pickle", action="store_true", help="a version stored as a pickle"
    )
    serve = commands.add_parser("serve", help="serve a model alias in the foreground")
    serve.add_argument("ref", help="name@alias (the server follows the alias)")
    serve.add_argument("--port", type=int, default=8765)
    serve.add_argument("--host", default="127.0.0.1", help="bind address (default: loopback)")
    serve.add_argument("--token", help="the bearer token (default: $MLOPS_SERVE_TOKEN, else new)")
    predict = commands.add_parser("predict", help="score the rows of data files, logged")
    predict.add_argument("ref", help="name@alias or name:version")
    predict.add_argument("file", help="the rows: a .parquet, .pq, .csv or .tsv file or glob")
    predict.add_argument("--output", metavar="FILE", help="write them here instead of printing")
    predict.add_argument("--no-log", action="store_true", help="do not log the predictions")
    add_registry_commands(commands)
    add_monitoring_commands(commands)
    commands.choices["check"].add_argument(
        "--fail",
        action="store_true",
        help=f"the default here (exit {ALERT_FIRED_EXIT} when an alert fires); accepted as "
        "%%mlops check takes it",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        result = _run(args)
    except MlopsError as exc:
        return refused(exc, prog="jupyter-mlops")
    if result is not None:
        print(_text(result))
    if args.command == "verify" and not result.ok:
        return 1
    if args.command == "check":
        return check_exit_code(result, strict=args.strict)
    return 0


def refused(exc: MlopsError, *, prog: str) -> int:
    """An error of the core as a shell shows it: one line on stderr, its fix spelled as
    `jupyter-mlops` takes it, and the exit code `errors.OUTCOMES` gives its kind."""
    print(f"{prog}: {exc.render(Face.SHELL)}", file=sys.stderr)
    return exc.outcome.exit_code


def _text(result: Any) -> str:
    """A result as a terminal shows it; tables whole, not elided; a new deployment with its
    token, this once."""
    announce = getattr(result, "announce", None)
    if callable(announce):
        return str(announce())
    to_string = getattr(result, "to_string", None)  # a pandas DataFrame
    return to_string(index=False) if callable(to_string) else str(result)


def _run(args: argparse.Namespace) -> Any:
    registry = Registry(args.home)
    if args.command == "register":
        return _register(registry, args)
    if args.command == "serve":
        return _serve(registry, args)
    if args.command == "predict":
        return _predict(registry, args)
    if args.command == "reference":
        X, y = _read_data(args.file, args.target)
        return registry.set_reference(
            args.model, args.version, X, y, reason=args.reason, allow_pickle=args.allow_pickle
        )
    if args.command in HANDLERS:
        return run_registry_command(registry, args)
    if args.command in MONITORING_COMMANDS:
        return run_monitoring_command(registry, args)
    raise AssertionError(f"subcommand {args.command} has no handler")


def _serve(registry: Registry, args: argparse.Namespace) -> None:
    import os

    from jupyter_mlops.deploying import TOKEN_VARIABLE, new_token, serve

    token = args.token or os.environ.get(TOKEN_VARIABLE)
    if not token:
        token = new_token()
        print(f"bearer token (shown once): {token}", flush=True)
    print(f"serving {args.ref} at http://{args.host}:{args.port}", flush=True)
    serve(registry, args.ref, host=args.host, port=args.port, token=token)


def _predict(registry: Registry, args: argparse.Namespace) -> Any:
    """Predictions of the rows of a file: printed, or written to `--output` (and logged
    like served ones unless `--no-log`)."""
    from jupyter_mlops.monitoring import Monitor
    from jupyter_mlops.registry import datafiles

    output = None if args.output is None else datafiles.writable(args.output)
    rows = datafiles.read_files([args.file])
    found = Monitor(registry).predict(args.ref, rows, log=not args.no_log)
    if output is None:
        return found
    datafiles.write_file(found, output)
    logged = "not logged" if args.no_log else "logged"
    return f"{len(found)} predictions of {args.ref} written to {output} ({logged})"


def _register(registry: Registry, args: argparse.Namespace) -> Any:
    if args.target is not None and args.data is None and args.reference is None:
        raise InvalidArgumentError(
            f"--target {args.target!r} names a column of the training data, but no --data was "
            "given; add --data FILE, or leave --target out."
        )
    metrics = parse_pairs(args.metrics, what="metric")
    tags = parse_pairs(args.tag, what="tag")
    model = _read_model(args.file, trust=args.trust, allow_pickle=args.allow_pickle)
    X = y = None
    if args.data is not None:
        X, y = _read_data(args.data, args.target)
    held_out = None if args.reference is None else _read_data(args.reference, args.target)
    return registry.register(
        args.model,
        model,
        X=X,
        y=y,
        metrics=metrics,
        description=args.description,
        tags=tags,
        code=None,
        trust=args.trust,
        allow_pickle=args.allow_pickle,
        force=args.force,
        reference=held_out,
        positive_label=args.positive_label,
    )


def _read_model(path: Path, *, trust: list[str], allow_pickle: bool) -> Any:
    """The model in a file, read as a load is: nothing in it runs unless trusted. Its format
    is read from its content (a skops zip, else a pickle), whatever its name."""
    from jupyter_mlops.registry import serialization

    data = _file_bytes(path, what="model file", expected="a saved model (.skops)")
    encoding = serialization.encoding_of(data, suffix=path.suffix)
    if encoding == serialization.PICKLE and not allow_pickle:
        if not serialization.looks_like_pickle(data):
            raise InvalidArgumentError(
                f"{str(path)!r} is not a model file (neither a skops file nor a pickle); "
                "register expects a fitted model saved with skops.io.dump (a .skops file), "
                "or a pickle with --allow-pickle."
            )
        raise InvalidArgumentError(
            f"{str(path)!r} is a pickle, which runs code when loaded; pass --allow-pickle only "
            "if you trust where it came from."
        )
    return serialization.load(
        data,
        encoding=encoding,
        trusted_types=[],
        label=str(path),
        trust=trust,
        allow_pickle=allow_pickle,
    )


def _read_data(path: Path, target: str | None) -> tuple[Any, Any]:
    from jupyter_mlops.registry import datafiles

    frame = datafiles.read_files([path])
    if target is None:
        return frame, None
    if target not in frame.columns:
        columns = ", ".join(map(str, frame.columns))
        raise InvalidArgumentError(
            f"--target {target!r} is not a column of {path.name}; columns: {columns}."
        )
    return frame.drop(columns=[target]), frame[target]


def _file_bytes(path: Path, *, what: str, expected: str) -> bytes:
    """The bytes of a file the user named, or one sentence on why not."""
    from jupyter_mlops.registry.datafiles import unreadable

    problem = unreadable(path)
    if problem is None:
        try:
            return path.read_bytes()
        except OSError as exc:
            problem = f"cannot be read ({exc.strerror})"
    raise InvalidArgumentError(f"{what} {str(path)!r} {problem}; give the path of {expected}.")


if __name__ == "__main__":
    sys.exit(main())
