"""The subcommands only a notebook has: models and data read from its variables, the
session's registry switched, figures, help. Each is a parser beside its handler, as the
shared ones in `commands/` are."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Any

from IPython.core.error import UsageError

from jupyter_mlops import operations
from jupyter_mlops.commands import Context, Subcommand, parse_pairs
from jupyter_mlops.commands import tracking as shared
from jupyter_mlops.commands.registering import add_model_options
from jupyter_mlops.errors import MlopsError
from jupyter_mlops.magics.lines import as_written
from jupyter_mlops.magics.namespace import data_names, lookup, metric_values
from jupyter_mlops.operations.registering import registration
from jupyter_mlops.registry.datasets import as_frame, fingerprint
from jupyter_mlops.tracking import current_run


@dataclass
class NotebookContext(Context):
    """A context with the magics that run the line: the notebook's variables, its cell."""

    magics: Any = None

    @property
    def namespace(self) -> dict[str, Any]:
        return self.magics.shell.user_ns


class Register(Subcommand):
    name = "register"
    help = "store a fitted model as a new version"

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("model", help="registry name of the model, e.g. churn")
        parser.add_argument("object", nargs="?", help="the variable holding the fitted estimator")
        parser.add_argument("--from-run", metavar="RUN", help="the model a tracked run fitted")
        parser.add_argument(
            "--run-model", metavar="NAME", help="which one, if the run fitted several"
        )
        parser.add_argument(
            "--allow-failed",
            action="store_true",
            help="with --from-run: register from a run that failed, died or is still running",
        )
        parser.add_argument(
            "--data", nargs="+", action="extend", metavar="NAME", help="X [y] variables"
        )
        parser.add_argument(
            "--reference",
            nargs="+",
            action="extend",
            metavar="NAME",
            help="X [y] variables of held-out rows monitoring compares with",
        )
        add_model_options(parser)

    def run(self, context: Context, args: argparse.Namespace) -> Any:
        assert isinstance(context, NotebookContext)
        if args.from_run is not None:
            return register_from_run(context, args)
        if args.object is None:
            raise UsageError("%mlops register: give the model's variable, or --from-run RUN.")
        if args.allow_failed:
            raise UsageError(
                "%mlops register: --allow-failed applies to --from-run RUN; leave it out when "
                "registering a variable."
            )
        namespace = context.namespace
        run = current_run()  # registered in a tracked cell: the version comes from its run
        given = registration(
            lookup(namespace, args.object),
            data=data_names(namespace, args.data, option="--data"),
            reference=data_names(namespace, args.reference, option="--reference"),
            metrics=metric_values(namespace, args.metrics),
            description=args.description,
            tags=parse_pairs(args.tag, what="tag"),
            trust=args.trust,
            code=context.magics.cell_source(),
            notebook=namespace.get("__vsc_ipynb_file__"),
            allow_pickle=args.allow_pickle,
            positive_label=args.positive_label,
            run_id=None if run is None else str(run.id),
        )
        return operations.register(context.registry, name=args.model, given=given, force=args.force)


class Reference(Subcommand):
    name = "reference"
    help = "give a version held-out reference data for monitoring (audited)"

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("model", help="registry name of the model, e.g. churn")
        parser.add_argument("version", help="the version number (or an alias)")
        parser.add_argument("data", nargs="+", metavar="NAME", help="X [y] variables")
        parser.add_argument("--reason", default="", help="why, for the audit trail")
        parser.add_argument(
            "--allow-pickle", action="store_true", help="a version stored as a pickle"
        )

    def run(self, context: Context, args: argparse.Namespace) -> Any:
        assert isinstance(context, NotebookContext)
        rows = data_names(context.namespace, args.data, option="reference")
        return operations.set_reference(
            context.registry,
            model=args.model,
            version=args.version,
            X=rows[0],
            y=rows[1] if len(rows) > 1 else None,
            reason=args.reason,
            allow_pickle=args.allow_pickle,
        )


class Load(Subcommand):
    name = "load"
    help = "the model object of a version"

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("ref", help="name, name@alias or name:version")
        parser.add_argument("--trust", nargs="+", action="extend", default=[], metavar="TYPE")
        parser.add_argument("--allow-pickle", action="store_true")

    def run(self, context: Context, args: argparse.Namespace) -> Any:
        return operations.load(
            context.registry, ref=args.ref, trust=args.trust, allow_pickle=args.allow_pickle
        )


class Predict(Subcommand):
    name = "predict"
    help = "score a DataFrame here, logged like served"

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("ref", help="name@alias or name:version")
        parser.add_argument("data", help="the variable holding the rows")
        parser.add_argument("--no-log", action="store_true", help="do not log the predictions")

    def run(self, context: Context, args: argparse.Namespace) -> Any:
        assert isinstance(context, NotebookContext)
        rows = lookup(context.namespace, args.data)
        found = operations.predict(context.registry, ref=args.ref, rows=rows, log=not args.no_log)
        return found.frame  # a notebook keeps working with the DataFrame


class Connect(Subcommand):
    name = "connect"
    help = "use another registry for this session"

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "location",
            nargs="*",
            help="a directory, or a shared registry's URL (ducklake:postgres:dbname=NAME "
            "host=HOST user=ROLE, its spaces as they are); omit to show the current",
        )
        parser.add_argument(
            "--data-path",
            metavar="PATH",
            help="a shared registry's data folder as this machine mounts it, or "
            "s3://BUCKET/FOLDER/ (default: "
            "$MLOPS_DATA_PATH, else the one the registry was made with)",
        )

    def run(self, context: Context, args: argparse.Namespace) -> Any:
        assert isinstance(context, NotebookContext)
        location = " ".join(map(as_written, args.location)) or None  # split by the line
        return context.magics.connect(location, data_path=args.data_path)


class Metrics(Subcommand):
    name = "metrics"
    help = "a model's metrics across its versions (figure)"

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("model")

    def run(self, context: Context, args: argparse.Namespace) -> Any:
        return operations.versions(context.registry, model=args.model)

    def draws(self, args: argparse.Namespace) -> bool:
        return True  # the figure is what this subcommand is for


class Help(Subcommand):
    name = "help"
    help = "this help, or one subcommand's"

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("topic", nargs="?")

    def run(self, context: Context, args: argparse.Namespace) -> Any:
        assert isinstance(context, NotebookContext)
        context.magics.show_help(args.topic)


class Dashboard(Subcommand):
    name = "dashboard"
    help = "the fleet, or one model's versions, drift, performance and controls, live"

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("model", nargs="?", help="one model (default: the fleet)")
        parser.add_argument(
            "--refresh", metavar="EVERY", help="read again every 30s, 5m, ... while shown"
        )

    def run(self, context: Context, args: argparse.Namespace) -> Any:
        assert isinstance(context, NotebookContext)
        from jupyter_mlops.widgets import dashboard

        return dashboard(
            context.registry, args.model, refresh=args.refresh, variables=context.value
        )


class Run(shared.Run):
    """`run RUN`, and with `--plot` a figure of its metrics over its steps."""

    def run(self, context: Context, args: argparse.Namespace) -> Any:
        if getattr(args, "plot", False):
            return operations.run_history(context.registry, run=args.run)
        return super().run(context, args)


NOTEBOOK_ONLY: tuple[Subcommand, ...] = (
    Register(),
    Reference(),
    Load(),
    Predict(),
    Connect(),
    Metrics(),
    Help(),
    Dashboard(),
    Run(),
)


def register_from_run(context: NotebookContext, args: argparse.Namespace) -> Any:
    """`%mlops register NAME --from-run N`: the run's model, with its data when still in memory."""
    namespace = context.namespace
    data = data_names(namespace, args.data, option="--data")
    if not data:
        data = _run_inputs_in_memory(context, args.from_run)
    given = registration(
        None,  # the run's model is registered
        data=data,
        reference=data_names(namespace, args.reference, option="--reference"),
        metrics=metric_values(namespace, args.metrics),
        description=args.description,
        tags=parse_pairs(args.tag, what="tag"),
        trust=args.trust,
        positive_label=args.positive_label,
    )
    return operations.register_run(
        context.registry,
        run=args.from_run,
        name=args.model,
        given=given,
        fitted=args.run_model,
        force=args.force,
        allow_failed=args.allow_failed,
    )


def _run_inputs_in_memory(context: NotebookContext, run_id: str) -> list[Any]:
    """[X] or [X, y] the run trained on, if the variables still hold exactly that data."""
    found: dict[str, Any] = {}
    for name, entry in operations.run(context.registry, run=run_id).inputs.items():
        value = context.namespace.get(name)
        role = entry.get("role", "X")
        if value is None or role in found:
            continue
        try:
            if fingerprint(as_frame(value, name=name)) == entry["fingerprint"]:
                found[role] = value
        except MlopsError:
            continue
    if "X" not in found:
        return []
    return [found["X"], found["y"]] if "y" in found else [found["X"]]
