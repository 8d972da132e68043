"""The fleet overview subcommand: every model with its health badge."""

from __future__ import annotations

import argparse
from typing import Any

from jupyter_mlops import operations
from jupyter_mlops.commands.base import Context, Subcommand
from jupyter_mlops.monitoring.health import HEALTHS


class Fleet(Subcommand):
    name = "fleet"
    help = "every model: aliases, deployments, newest check, health and why"

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--name", help="only models whose name contains this text")
        parser.add_argument(
            "--health",
            help=f"only models of this health: {', '.join(HEALTHS)} (never-checked also works)",
        )

    def run(self, context: Context, args: argparse.Namespace) -> Any:
        return operations.fleet(context.registry, name=args.name, health=args.health)


FLEET: tuple[Subcommand, ...] = (Fleet(),)
