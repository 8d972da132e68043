"""`jupyter-mlops`: the registry from a shell, for scripts, CI and scheduled jobs.

Parse, run the subcommand's operation, print its result: the subcommands shared with
`%mlops` (`commands/`) and those only a shell has (`cli/subcommands.py`: files in and out,
a server in the foreground). An error of the core is one line on stderr, its fix spelled
for a shell, and the exit code `errors.OUTCOMES` gives its kind.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path
from typing import Any

from jupyter_mlops.automation.outcomes import STOPPED_BY, Stopped
from jupyter_mlops.cli.subcommands import SHELL_ONLY, stoppable
from jupyter_mlops.commands import SHARED, Context, add_subcommands, data_files
from jupyter_mlops.commands.monitoring import ALERT_FIRED_EXIT
from jupyter_mlops.config import resolve_location
from jupyter_mlops.errors import Face, MlopsError
from jupyter_mlops.operations.catalog import discard_if_unused
from jupyter_mlops.registry import Registry
from jupyter_mlops.registry.display import plain
from jupyter_mlops.shown import shown_in


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jupyter-mlops", description="Model registry operations from a shell."
    )
    parser.add_argument(
        "--home",
        help="registry directory, or a shared registry's URL (ducklake:postgres:...) "
        "(default: $MLOPS_REGISTRY, else $MLOPS_HOME, else ~/.jupyter-mlops)",
    )
    parser.add_argument(
        "--data-path",
        help="a shared registry's data folder as this machine mounts it, or "
        "s3://BUCKET/FOLDER/ (default: "
        "$MLOPS_DATA_PATH, else the one the registry was made with)",
    )
    commands = parser.add_subparsers(dest="command", metavar="SUBCOMMAND", required=True)
    parsers = add_subcommands(commands, [*SHELL_ONLY, *SHARED])
    parsers["check"].add_argument(
        "--fail",
        action="store_true",
        help=f"the default here (exit {ALERT_FIRED_EXIT} when an alert fires); accepted as "
        "%%mlops check takes it",
    )
    return parser


CLOSED_PIPE_EXIT = 141  # what a shell reports of a command whose reader went away (128 + SIGPIPE)


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand; its exit code. A reader that stops early (`| head`) ends the
    output quietly: the subcommand's work is done, and only what it printed is cut."""
    try:
        try:
            return _main(argv)
        finally:
            sys.stdout.flush()  # here, where a closed pipe can still be caught
    except BrokenPipeError:
        _quiet_stdout()
        return CLOSED_PIPE_EXIT


def _main(argv: list[str] | None) -> int:
    args = build_parser().parse_args(argv)
    home, made = _made(args.home, data_path=args.data_path)
    try:
        args.subcommand.before_opening(args)
        with stoppable(args.subcommand.runs_job):
            if args.subcommand.standalone(args):  # --home's registry is not used: not opened
                result = shown_in(args.subcommand.run_alone(Face.SHELL, args), Face.SHELL)
            else:
                registry = Registry(args.home, data_path=args.data_path)
                context = Context(registry, Face.SHELL, data=data_files)
                result = shown_in(args.subcommand.run(context, args), Face.SHELL)
    except MlopsError as exc:
        if home is not None and made is not None:  # a refused command leaves no new registry
            discard_if_unused(home, made=made)
        return refused(exc, prog="jupyter-mlops")
    except KeyboardInterrupt as exc:
        return stopped(exc, prog="jupyter-mlops")
    if result is not None:
        print(plain(text(result)))  # a stored text's escape never reaches the terminal
    return int(args.subcommand.exit_code(result, args))


def _made(home: str | None, *, data_path: str | None) -> tuple[Path | None, Path | None]:
    """The registry directory `home` names and the outermost directory opening it would
    create ((None, None): it exists already, or cannot be told). A shared registry has no
    such directory: its data path is the team's, which a refused command never removes."""
    try:
        place = resolve_location(home, data_path=data_path)
    except MlopsError:
        return None, None
    if place.shared or place.home is None:
        return None, None
    missing = None
    for folder in [place.home, *place.home.parents]:
        if folder.exists():
            return place.home, missing
        missing = folder
    return None, None


def _quiet_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's last flush at exit finds no pipe."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def refused(exc: MlopsError, *, prog: str) -> int:
    """An error of the core as a shell shows it: one line on stderr, its fix spelled as
    `jupyter-mlops` takes it, and the exit code `errors.OUTCOMES` gives its kind."""
    print(f"{prog}: {exc.render(Face.SHELL)}", file=sys.stderr)
    return exc.outcome.exit_code


def stopped(exc: KeyboardInterrupt, *, prog: str) -> int:
    """Ctrl-C or SIGTERM as a shell shows it: one line on stderr (the job it stopped, as
    its row records it) and 128 + the signal's number, as the job's exit code says."""
    signum = exc.signum if isinstance(exc, Stopped) else signal.SIGINT
    job = exc.job if isinstance(exc, Stopped) else None
    said = f"{job.title()}; {job.message}" if job is not None else "stopped before it finished"
    print(f"{prog}: {said}", file=sys.stderr)
    return int(job.exit_code) if job is not None else STOPPED_BY + signum


def text(result: Any) -> str:
    """A result as a terminal shows it; tables whole, not elided; a new deployment with its
    token, this once."""
    announce = getattr(result, "announce", None)
    if callable(announce):
        return str(announce())
    to_string = getattr(result, "to_string", None)  # a pandas DataFrame
    return to_string(index=False) if callable(to_string) else str(result)
