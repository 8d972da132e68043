"""The registry subcommands shared by `%mlops` and the `jupyter-mlops` command line.

Each adapter builds its own parser, adds these subcommands, and adds what only it
can do (the magics read objects from the notebook; the CLI reads files). Running a
subcommand here returns a record with text and HTML reprs; nothing is printed.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from jupyter_mlops.errors import InvalidArgumentError
from jupyter_mlops.registry import Registry
from jupyter_mlops.registry.refs import parse_version
from jupyter_mlops.tracking import Tracker

Handler = Callable[[Registry, argparse.Namespace], Any]
HANDLERS: dict[str, Handler] = {}


def _handler(name: str) -> Callable[[Handler], Handler]:
    def record(function: Handler) -> Handler:
        HANDLERS[name] = function
        return function

    return record


def add_registry_commands(commands: Any) -> None:
    """Add the shared subcommands to an argparse subparsers object."""
    commands.add_parser("models", help="list every model with its versions and aliases")
    versions = commands.add_parser("versions", help="list the versions of a model")
    versions.add_argument("model")
    show = commands.add_parser("show", help="everything recorded about one version")
    show.add_argument("ref", help="name, name@alias or name:version")
    promote = commands.add_parser("promote", help="point an alias at a version (audited)")
    promote.add_argument("model")
    promote.add_argument("version")
    promote.add_argument(
        "alias", nargs="?", default="champion", help="the alias to point (default: champion)"
    )
    promote.add_argument("--reason", default="")
    rollback = commands.add_parser("rollback", help="undo the alias's last move (audited)")
    rollback.add_argument("model")
    rollback.add_argument("--alias", default="champion")
    rollback.add_argument("--reason", default="")
    unalias = commands.add_parser("unalias", help="remove an alias (audited)")
    unalias.add_argument("model")
    unalias.add_argument("alias")
    unalias.add_argument("--reason", default="")
    history = commands.add_parser("history", help="every alias move: who, when, why, from, to")
    history.add_argument("model")
    history.add_argument("--alias")
    compare = commands.add_parser("compare", help="two versions side by side")
    compare.add_argument("model")
    compare.add_argument("a", help="version number or alias")
    compare.add_argument("b", help="version number or alias")
    archive = commands.add_parser("archive", help="archive a version no alias points at")
    archive.add_argument("model")
    archive.add_argument("version")
    archive.add_argument("--reason", default="")
    tag = commands.add_parser("tag", help="set key=value tags on a version")
    tag.add_argument("model")
    tag.add_argument("version")
    tag.add_argument("tags", nargs="+", metavar="key=value")
    describe = commands.add_parser("describe", help="set a model's description")
    describe.add_argument("model")
    describe.add_argument("description")
    commands.add_parser("verify", help="check every artifact against its recorded sha256")
    gc = commands.add_parser("gc", help="delete artifact files nothing refers to")
    gc.add_argument("--older-than", type=float, default=3600.0, metavar="SECONDS")
    gc.add_argument("--dry-run", action="store_true", help="list them, delete nothing")
    runs = commands.add_parser("runs", help="the runs of an experiment, newest or best first")
    runs.add_argument("experiment", nargs="?")
    runs.add_argument(
        "--where",
        action="append",
        metavar="CONDITION",
        help='only runs where it holds, e.g. "m.alpha < 1" (repeat: all must hold)',
    )
    runs.add_argument(
        "--sort", metavar="COLUMN", help="largest first by a metric, a param or MODEL.PARAM"
    )
    runs.add_argument("--top", type=int, metavar="N")
    runs.add_argument("--ascending", action="store_true", help="smallest first (losses)")
    compare_runs = commands.add_parser("compare-runs", help="runs side by side")
    compare_runs.add_argument("runs", nargs="+", metavar="RUN")
    compare_runs.add_argument(
        "--all", dest="show_all", action="store_true", help="the identical rows too"
    )
    deploy = commands.add_parser("deploy", help="serve a model alias over HTTP in the background")
    deploy.add_argument("ref", help="name@alias (the server follows the alias)")
    deploy.add_argument("--port", type=int, default=8765)
    deploy.add_argument("--host", default="127.0.0.1", help="bind address (default: loopback)")
    commands.add_parser("deployments", help="every deployment: url, pid, running/dead/stopped")
    undeploy = commands.add_parser("undeploy", help="stop a deployment gracefully")
    undeploy.add_argument(
        "ref",
        metavar="REF|ID",
        help="a deployment id (as deployments lists them), or name@alias: all of its running ones",
    )
    compact = commands.add_parser("compact", help="merge a model's small log segments per day")
    compact.add_argument("model", nargs="?", help="one model (default: every logged model)")
    show_run = commands.add_parser("run", help="everything recorded about one run")
    show_run.add_argument("run", metavar="RUN")


def run_registry_command(registry: Registry, args: argparse.Namespace) -> Any:
    return HANDLERS[args.command](registry, args)


def parse_pairs(items: list[str] | None, *, what: str) -> dict[str, str]:
    """`['a=1', 'b=x']` as {'a': '1', 'b': 'x'}; anything else, or a key given twice, is a
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


@_handler("models")
def _models(registry: Registry, args: argparse.Namespace) -> Any:
    return registry.models()


@_handler("versions")
def _versions(registry: Registry, args: argparse.Namespace) -> Any:
    return registry.versions(args.model)


@_handler("show")
def _show(registry: Registry, args: argparse.Namespace) -> Any:
    return registry.get(args.ref)


@_handler("promote")
def _promote(registry: Registry, args: argparse.Namespace) -> Any:
    return registry.promote(args.model, args.version, args.alias, reason=args.reason)


@_handler("rollback")
def _rollback(registry: Registry, args: argparse.Namespace) -> Any:
    return registry.rollback(args.model, args.alias, reason=args.reason)


@_handler("unalias")
def _unalias(registry: Registry, args: argparse.Namespace) -> Any:
    return registry.remove_alias(args.model, args.alias, reason=args.reason)


@_handler("history")
def _history(registry: Registry, args: argparse.Namespace) -> Any:
    return registry.history(args.model, args.alias)


@_handler("compare")
def _compare(registry: Registry, args: argparse.Namespace) -> Any:
    return registry.compare(args.model, args.a, args.b)


@_handler("archive")
def _archive(registry: Registry, args: argparse.Namespace) -> Any:
    from jupyter_mlops.registry.archiving import Archived

    return Archived(registry.archive(args.model, parse_version(args.version), reason=args.reason))


@_handler("tag")
def _tag(registry: Registry, args: argparse.Namespace) -> Any:
    return registry.tag(args.model, args.version, parse_pairs(args.tags, what="tag"))


@_handler("describe")
def _describe(registry: Registry, args: argparse.Namespace) -> Any:
    registry.describe(args.model, args.description)
    return registry.models()


@_handler("verify")
def _verify(registry: Registry, args: argparse.Namespace) -> Any:
    return registry.verify()


@_handler("gc")
def _gc(registry: Registry, args: argparse.Namespace) -> Any:
    from jupyter_mlops.registry.integrity import Collected

    removed = registry.gc(older_than=args.older_than, dry_run=args.dry_run)
    return Collected(removed, dry_run=args.dry_run)


@_handler("runs")
def _runs(registry: Registry, args: argparse.Namespace) -> Any:
    return Tracker(registry).runs(
        args.experiment, where=args.where, sort=args.sort, top=args.top, ascending=args.ascending
    )


@_handler("compare-runs")
def _compare_runs(registry: Registry, args: argparse.Namespace) -> Any:
    return Tracker(registry).compare(args.runs, show_all=args.show_all)


@_handler("run")
def _run(registry: Registry, args: argparse.Namespace) -> Any:
    return Tracker(registry).get(args.run)


@_handler("deploy")
def _deploy(registry: Registry, args: argparse.Namespace) -> Any:
    from jupyter_mlops.deploying import deploy

    return deploy(registry, args.ref, host=args.host, port=args.port)


@_handler("deployments")
def _deployments(registry: Registry, args: argparse.Namespace) -> Any:
    from jupyter_mlops.deploying import deployments

    return deployments(registry)


@_handler("undeploy")
def _undeploy(registry: Registry, args: argparse.Namespace) -> Any:
    from jupyter_mlops.deploying import undeploy

    return undeploy(registry, args.ref)


@_handler("compact")
def _compact(registry: Registry, args: argparse.Namespace) -> Any:
    from jupyter_mlops.monitoring.compaction import compact

    return compact(registry.home, args.model)
