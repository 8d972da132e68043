"""Subcommands that control deployments: model servers run in the background."""

from __future__ import annotations

import argparse
from typing import Any

from jupyter_mlops import operations
from jupyter_mlops.commands.base import Context, Subcommand

BIND_HELP = (
    "the address to listen on (default: 127.0.0.1, this machine alone); 0.0.0.0: every "
    "interface, recorded as this machine's name ($MLOPS_HOSTNAME, else its host name) for "
    "the other machines of a shared registry"
)


class Deploy(Subcommand):
    name = "deploy"
    help = "serve a model alias over HTTP in the background"

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("ref", help="name@alias (the server follows the alias)")
        parser.add_argument("--port", type=int, default=8765)
        parser.add_argument("--host", default="127.0.0.1", help=BIND_HELP)
        add_shadow(parser)

    def run(self, context: Context, args: argparse.Namespace) -> Any:
        return operations.deploy(
            context.registry, ref=args.ref, host=args.host, port=args.port, shadow=args.shadow
        )


def add_shadow(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--shadow",
        metavar="REF",
        help="another version of the model (name@challenger) that scores every answered "
        "request off the answer path, logged for compare-live",
    )


class Deployments(Subcommand):
    name = "deployments"
    help = "every deployment: url, pid, running/dead/stopped/unreachable from here"

    def run(self, context: Context, args: argparse.Namespace) -> Any:
        return operations.deployments(context.registry)


class Undeploy(Subcommand):
    name = "undeploy"
    help = "stop a deployment gracefully"

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "ref",
            metavar="REF|ID",
            help="a deployment id (as deployments lists them), or name@alias: all of its "
            "running ones",
        )

    def run(self, context: Context, args: argparse.Namespace) -> Any:
        return operations.undeploy(context.registry, target=args.ref)


DEPLOYMENTS: tuple[Subcommand, ...] = (Deploy(), Deployments(), Undeploy())
