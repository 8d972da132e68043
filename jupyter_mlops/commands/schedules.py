"""`schedule`: a notebook run by cron with its parameters (`--list`, `--remove ID`)."""

from __future__ import annotations

import argparse
from typing import Any

from jupyter_mlops import operations
from jupyter_mlops.automation.cadence import EVERY
from jupyter_mlops.automation.schedules import BACKENDS
from jupyter_mlops.commands.base import Context, Subcommand, add_parameters, parameter_pairs
from jupyter_mlops.errors import InvalidArgumentError

EVERY_MODEL: Any = object()  # `--list` with no model: every schedule (`--list ''` is no name)


class Schedule(Subcommand):
    name = "schedule"
    help = (
        "run a notebook on a schedule (cron or jupyter-scheduler), recorded as jobs; --list, "
        "--remove ID"
    )

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("notebook", nargs="?", help="the notebook to run, with -p parameters")
        parser.add_argument("--every", metavar="INTERVAL", help=f"one of {', '.join(EVERY)}")
        parser.add_argument("--cron", metavar="EXPR", help='a crontab expression: "0 9 * * 1-5"')
        add_parameters(parser)
        parser.add_argument(
            "--timeout", help="kill a run past this long: 30m, 2h (default: the interval)"
        )
        parser.add_argument(
            "--backend",
            choices=BACKENDS,
            help="where it is installed: cron, or jupyter-scheduler in the running Jupyter "
            "server; auto (the default): jupyter-scheduler when that server has it, else cron",
        )
        actions = parser.add_mutually_exclusive_group()
        actions.add_argument(
            "--list", nargs="?", const=EVERY_MODEL, metavar="MODEL", help="the schedules (of MODEL)"
        )
        actions.add_argument("--remove", type=int, metavar="ID", help="remove a schedule")

    def run(self, context: Context, args: argparse.Namespace) -> Any:
        if args.list is not None or args.remove is not None:
            _nothing_to_install(args)
            if args.remove is not None:
                return operations.unschedule(context.registry, schedule=args.remove)
            model = None if args.list is EVERY_MODEL else args.list
            return operations.schedules(context.registry, model=model)
        if args.notebook is None:
            raise InvalidArgumentError(
                "schedule needs the notebook to run, e.g. schedule examples/monitoring.ipynb "
                "--every 1h -p model churn@champion; or give --list or --remove ID."
            )
        return operations.schedule(
            context.registry,
            notebook=args.notebook,
            parameters=parameter_pairs(args.parameters),
            every=args.every,
            cron=args.cron,
            timeout=args.timeout,
            backend=args.backend or "auto",
        )


def _nothing_to_install(args: argparse.Namespace) -> None:
    given = [
        option
        for option, value in [
            ("NOTEBOOK", args.notebook),
            ("--every", args.every),
            ("--cron", args.cron),
            ("-p", args.parameters),
            ("--timeout", args.timeout),
            ("--backend", args.backend),
        ]
        if value
    ]
    if given:
        action = "--list" if args.list is not None else "--remove"
        raise InvalidArgumentError(
            f"schedule {action} installs nothing, but {', '.join(given)} was given; leave "
            f"{' and '.join(given)} out, or {action} out to install a schedule."
        )


SCHEDULES: tuple[Subcommand, ...] = (Schedule(),)
