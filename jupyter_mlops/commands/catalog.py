"""Subcommands that read and change the catalog: models, versions, aliases, integrity."""

from __future__ import annotations

import argparse
from typing import Any

from jupyter_mlops import operations
from jupyter_mlops.commands.base import Context, Subcommand, parse_pairs
from jupyter_mlops.commands.deployments import DEPLOYMENTS
from jupyter_mlops.errors import InvalidArgumentError


class Models(Subcommand):
    name = "models"
    help = "list every model with its versions and aliases"

    def run(self, context: Context, args: argparse.Namespace) -> Any:
        return operations.models(context.registry)


class Versions(Subcommand):
    name = "versions"
    help = "list the versions of a model"

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("model")

    def run(self, context: Context, args: argparse.Namespace) -> Any:
        return operations.versions(context.registry, model=args.model)


class Show(Subcommand):
    name = "show"
    help = "everything recorded about one version"

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("ref", help="name, name@alias or name:version")

    def run(self, context: Context, args: argparse.Namespace) -> Any:
        return operations.show(context.registry, ref=args.ref)


class Promote(Subcommand):
    name = "promote"
    help = "point an alias at a version (audited)"

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("model")
        parser.add_argument("version")
        add_alias(parser, "the alias to point")
        parser.add_argument("--reason", default="")

    def run(self, context: Context, args: argparse.Namespace) -> Any:
        model, at, alias = args.model.partition("@")
        if at and model and alias:  # `promote churn@champion 1`, as a reference is written
            raise InvalidArgumentError(
                f"promote takes the model, the version and the alias as words of their own, "
                f"not {args.model!r}; write promote {model} {args.version} {alias}."
            )
        return operations.promote(
            context.registry,
            model=args.model,
            version=args.version,
            alias=alias_given(args),
            reason=args.reason,
        )


class Rollback(Subcommand):
    name = "rollback"
    help = "undo the alias's last move (audited)"

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("model")
        add_alias(parser, "the alias whose last move to undo")
        parser.add_argument("--reason", default="")

    def run(self, context: Context, args: argparse.Namespace) -> Any:
        return operations.rollback(
            context.registry, model=args.model, alias=alias_given(args), reason=args.reason
        )


def add_alias(parser: argparse.ArgumentParser, what: str) -> None:
    """The alias a move is of, as a word after the others or as `--alias` (both commands
    that move one take either, so neither form is refused as unknown)."""
    parser.add_argument("alias", nargs="?", help=f"{what} (default: champion)")
    parser.add_argument("--alias", dest="alias_option", metavar="ALIAS", help="the same")


def alias_given(args: argparse.Namespace) -> str:
    """The alias a command was given in either form, champion when neither; two that
    differ are refused."""
    given = {alias for alias in (args.alias, args.alias_option) if alias is not None}
    if len(given) > 1:
        raise InvalidArgumentError(
            f"the alias is given twice, as {args.alias!r} and as --alias {args.alias_option!r}; "
            "give it once."
        )
    return given.pop() if given else "champion"


class Unalias(Subcommand):
    name = "unalias"
    help = "remove an alias (audited)"

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("model")
        parser.add_argument("alias")
        parser.add_argument("--reason", default="")

    def run(self, context: Context, args: argparse.Namespace) -> Any:
        return operations.unalias(
            context.registry, model=args.model, alias=args.alias, reason=args.reason
        )


class History(Subcommand):
    name = "history"
    help = "every alias move: who, when, why, from, to"

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("model")
        parser.add_argument("--alias")

    def run(self, context: Context, args: argparse.Namespace) -> Any:
        return operations.history(context.registry, model=args.model, alias=args.alias)


class Compare(Subcommand):
    name = "compare"
    help = "two versions side by side"

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("model")
        parser.add_argument("a", help="version number or alias")
        parser.add_argument("b", help="version number or alias")

    def run(self, context: Context, args: argparse.Namespace) -> Any:
        return operations.compare(context.registry, model=args.model, a=args.a, b=args.b)


class Archive(Subcommand):
    name = "archive"
    help = "archive a version no alias points at"

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("model")
        parser.add_argument("version")
        parser.add_argument("--reason", default="")

    def run(self, context: Context, args: argparse.Namespace) -> Any:
        return operations.archive(
            context.registry, model=args.model, version=args.version, reason=args.reason
        )


class Tag(Subcommand):
    name = "tag"
    help = "set key=value tags on a version"

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("model")
        parser.add_argument("version")
        parser.add_argument("tags", nargs="+", metavar="key=value")

    def run(self, context: Context, args: argparse.Namespace) -> Any:
        tags = parse_pairs(args.tags, what="tag")
        return operations.tag(context.registry, model=args.model, version=args.version, tags=tags)


class Describe(Subcommand):
    name = "describe"
    help = "set a model's description"

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("model")
        parser.add_argument("description")

    def run(self, context: Context, args: argparse.Namespace) -> Any:
        return operations.describe(context.registry, model=args.model, description=args.description)


class Verify(Subcommand):
    name = "verify"
    help = "check every artifact against its recorded sha256"

    def run(self, context: Context, args: argparse.Namespace) -> Any:
        return operations.verify(context.registry)

    def exit_code(self, result: Any, args: argparse.Namespace) -> int:
        return 0 if result.ok else 1


class Collect(Subcommand):
    name = "gc"
    help = "delete artifact files nothing refers to"

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--older-than", type=float, default=3600.0, metavar="SECONDS")
        parser.add_argument("--dry-run", action="store_true", help="list them, delete nothing")

    def run(self, context: Context, args: argparse.Namespace) -> Any:
        return operations.gc(context.registry, older_than=args.older_than, dry_run=args.dry_run)


CATALOG: tuple[Subcommand, ...] = (
    Models(),
    Versions(),
    Show(),
    Promote(),
    Rollback(),
    Unalias(),
    History(),
    Compare(),
    Archive(),
    Tag(),
    Describe(),
    Verify(),
    Collect(),
    *DEPLOYMENTS,
)
