"""The subcommand that compares a served version with its shadow on live requests."""

from __future__ import annotations

import argparse
from typing import Any

from jupyter_mlops import operations
from jupyter_mlops.commands.base import Context, Subcommand


class CompareLive(Subcommand):
    name = "compare-live"
    help = "champion and challenger (in shadow) on the same logged requests"

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("model", help="the model's name")
        parser.add_argument(
            "--window", default="7d", help="the newest span: 1h, 7d, 2w, 'N rows' or FROM..TO"
        )
        parser.add_argument(
            "--champion", default="champion", help="the served side: an alias or a version"
        )
        parser.add_argument(
            "--challenger", default="challenger", help="the shadow side: an alias or a version"
        )

    def run(self, context: Context, args: argparse.Namespace) -> Any:
        return operations.compare_live(
            context.registry,
            model=args.model,
            window=args.window,
            champion=args.champion,
            challenger=args.challenger,
        )


SHADOWS: tuple[Subcommand, ...] = (CompareLive(),)
