"""The subcommand that copies a whole registry into another: a folder or a shared one."""

from __future__ import annotations

import argparse
from typing import Any

from jupyter_mlops import operations
from jupyter_mlops.commands.base import Context, Subcommand
from jupyter_mlops.errors import Face, MlopsError
from jupyter_mlops.operations.migrating import require_there
from jupyter_mlops.registry import Registry


class Migrate(Subcommand):
    name = "migrate"
    help = (
        "copy a whole registry into another (a folder or a shared registry), verified; run "
        "again, it catches the copy up with what changed since"
    )

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--from",
            dest="source",
            metavar="LOCATION",
            help="the registry to copy: a folder or a shared registry's URL (default: the "
            "registry in use)",
        )
        parser.add_argument(
            "--to",
            dest="target",
            metavar="LOCATION",
            required=True,
            help="the registry to copy into: a folder or a shared registry's URL (made if new)",
        )
        parser.add_argument(
            "--from-data-path", metavar="DIR", help="the data folder of a shared --from"
        )
        parser.add_argument(
            "--to-data-path",
            metavar="DIR",
            help="the data folder of a shared --to (a new one needs it, or $MLOPS_DATA_PATH)",
        )

    def before_opening(self, args: argparse.Namespace) -> None:
        if args.source is None:  # the registry in use is copied: it is there already, not made
            require_there(args.home, data_path=args.data_path)  # opened once, by the face

    def standalone(self, args: argparse.Namespace) -> bool:
        return args.source is not None  # --from names the source: the one in use is not opened

    def run_alone(self, face: Face, args: argparse.Namespace) -> Any:
        try:
            source = operations.registry_at(args.source, data_path=args.from_data_path)
        except MlopsError as exc:  # the source's data path is --from-data-path here
            raise exc.option_named("--data-path", "--from-data-path") from None
        return _copied(source, args)

    def run(self, context: Context, args: argparse.Namespace) -> Any:
        if args.source is not None:
            return self.run_alone(context.face, args)
        return _copied(context.registry, args)


def _copied(source: Registry, args: argparse.Namespace) -> Any:
    try:
        target = Registry(args.target, data_path=args.to_data_path)
    except MlopsError as exc:  # the target's data path is --to-data-path here
        raise exc.option_named("--data-path", "--to-data-path") from None
    return operations.migrate(source, target)


MIGRATING: tuple[Subcommand, ...] = (Migrate(),)
