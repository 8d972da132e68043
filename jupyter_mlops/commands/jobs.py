"""Subcommands of notebooks run as jobs: the jobs so far, and a job's executed notebook
written out to open (`jobs --open ID`). Running one is the shell's `monitor`."""

from __future__ import annotations

import argparse
from typing import Any

from jupyter_mlops import operations
from jupyter_mlops.automation.records import JobNotebook
from jupyter_mlops.commands.base import Context, Subcommand
from jupyter_mlops.operations.jobs import MOST_JOBS


def number(text: str) -> int:
    """`--limit N`, `--open ID`: a whole number of 1 or more (a limit past the most jobs a
    registry can hold lists them all; an id past it names no job)."""
    if not (text.isascii() and text.isdigit() and int(text) > 0):
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of 1 or more")
    return min(int(text), MOST_JOBS + 1)


class Jobs(Subcommand):
    name = "jobs"
    help = "notebooks run as jobs, newest first; --open ID writes one's executed notebook"

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("model", nargs="?", help="one model's jobs (default: every job)")
        parser.add_argument("--limit", type=number, default=50, help="the newest N (50)")
        parser.add_argument(
            "--open",
            type=number,
            metavar="ID",
            help="write job ID's executed notebook to a file and show its path",
        )

    def run(self, context: Context, args: argparse.Namespace) -> Any:
        if args.open is not None:
            path = operations.job_notebook(context.registry, job=args.open)
            return JobNotebook(args.open, str(path))
        limit = min(args.limit, MOST_JOBS)
        return operations.jobs(context.registry, model=args.model, limit=limit)


JOBS: tuple[Subcommand, ...] = (Jobs(),)
