"""What every subcommand is: its arguments and its run, and the face's context it runs in."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

from jupyter_mlops.errors import Face, InvalidArgumentError
from jupyter_mlops.registry import Registry


def _none(name: Any) -> Any:
    return None


@dataclass
class Context:
    """What a subcommand needs from the face that runs it: the registry, the face (for
    how messages are spelled), how it reads `--current DATA` (files; in a notebook also a
    variable) and a value a notebook names (`--y VARIABLE`)."""

    registry: Registry
    face: Face
    data: Callable[[list[str] | None], Any]
    value: Callable[[str | None], Any] = _none


class Subcommand:
    """One subcommand: `arguments` adds its options to its parser, `run` calls its
    operation. `exit_code` is what the command line exits with on a result that should
    fail a job (an alert that fired, a verify that found damage); 0 otherwise."""

    name: ClassVar[str]
    help: ClassVar[str]
    runs_job: ClassVar[bool] = False  # it runs a notebook as a job, which a stop must record

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        """Add this subcommand's positional arguments and options (none by default)."""

    def before_opening(self, args: argparse.Namespace) -> None:
        """What runs before the face opens the registry (nothing by default): a step that
        changes whether it opens at all."""

    def standalone(self, args: argparse.Namespace) -> bool:
        """Whether these arguments name every registry the subcommand uses, so the face
        opens none of its own (`run_alone` runs it): no registry is made where none is
        used. False by default."""
        return False

    def run_alone(self, face: Face, args: argparse.Namespace) -> Any:
        raise NotImplementedError

    def run(self, context: Context, args: argparse.Namespace) -> Any:
        raise NotImplementedError

    def exit_code(self, result: Any, args: argparse.Namespace) -> int:
        return 0

    def draws(self, args: argparse.Namespace) -> bool:
        """Whether a face that draws shows the result as its figure (`--plot`)."""
        return bool(getattr(args, "plot", False))


def add_subcommands(
    commands: Any, table: Iterable[Subcommand]
) -> dict[str, argparse.ArgumentParser]:
    """Add each subcommand of `table` to an argparse subparsers object (of two with one
    name, the first: a face's own before the shared one it replaces); its parsed
    arguments carry it as `args.subcommand`. Returns the parsers by name."""
    parsers: dict[str, argparse.ArgumentParser] = {}
    for subcommand in table:
        if subcommand.name in parsers:
            continue
        parser = commands.add_parser(subcommand.name, help=subcommand.help)
        subcommand.arguments(parser)
        parser.set_defaults(subcommand=subcommand)
        parsers[subcommand.name] = parser
    return parsers


def data_files(given: list[str] | None) -> Any:
    """`--current` as the monitor takes it: None (the log), one path or glob, or a list."""
    if not given:
        return None
    return given[0] if len(given) == 1 else list(given)


def parse_pairs(items: list[str] | None, *, what: str) -> dict[str, str]:
    """`['a=1', 'b=x']` as {'a': '1', 'b': 'x'}; anything else, or a key given twice, is an
    InvalidArgumentError."""
    pairs: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise InvalidArgumentError(
                f"{what} {item!r} is not key=value; write e.g. {what}=value."
            )
        if key in pairs:
            raise InvalidArgumentError(
                f"{what} {key!r} is given twice ({key}={pairs[key]} and {item}); give it once."
            )
        pairs[key] = value
    return pairs


def positive(text: str) -> int:
    """`--last N`: a positive count (the newest 0 windows would be read as all of them)."""
    if not (text.isascii() and text.isdigit() and int(text) > 0):
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive count of windows")
    return int(text)


def add_parameters(parser: argparse.ArgumentParser) -> None:
    """`-p KEY VALUE`, repeated: the parameters a notebook run as a job is given."""
    parser.add_argument(
        "-p",
        "--parameter",
        nargs=2,
        action="append",
        default=[],
        dest="parameters",
        metavar=("KEY", "VALUE"),
        help="a parameter of the notebook, e.g. -p model churn@champion",
    )


def parameter_pairs(pairs: list[list[str]] | None) -> dict[str, str]:
    """`-p KEY VALUE ...` as {KEY: VALUE}, in the order given; a key given twice is refused."""
    given: dict[str, str] = {}
    for key, value in pairs or []:
        if key in given:
            raise InvalidArgumentError(
                f"parameter {key!r} is given twice (-p {key} {given[key]} and -p {key} {value}); "
                "give it once."
            )
        given[key] = value
    return given
