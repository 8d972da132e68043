"""The subcommand that retrains a model: a training notebook run as a job when a condition
holds, its version gated against the champion and promoted when it passes."""

from __future__ import annotations

import argparse
from typing import Any

from jupyter_mlops import operations
from jupyter_mlops.commands.base import Context, Subcommand, add_parameters, parameter_pairs
from jupyter_mlops.commands.gating import NAMED, add_evidence, holdout
from jupyter_mlops.errors import InvalidArgumentError
from jupyter_mlops.operations.gates import both_given


class Retrain(Subcommand):
    name = "retrain"
    help = (
        "run a training notebook as a job when a condition holds, gate its version against "
        "the champion and promote it when it passes (exit 0, 10, 11, 12 or 13)"
    )
    runs_job = True

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("model", help="the model to retrain, e.g. churn")
        parser.add_argument("--notebook", required=True, help="the training .ipynb to run")
        parser.add_argument(
            "--when",
            help="an alert-rule expression on the champion's log, e.g. 'drift.share > 0.3'",
        )
        parser.add_argument("--window", default="1d", help="the log the condition reads (1d)")
        add_parameters(parser)
        parser.add_argument("--metric", help="the gate's metric (auc, accuracy, rmse by task)")
        parser.add_argument("--min-gain", type=float, default=0.0, help="default 0")
        add_evidence(
            parser,
            holdout="gate on these held-out rows (with --target; default: the new version's "
            "held-out reference)",
            live="gate on shadow-scored requests",
        )
        parser.add_argument("--timeout", help="kill it after N seconds, or 30s, 1.5m, 1h30m")
        parser.add_argument("--schedule", type=int, metavar="ID", help="the schedule it runs for")
        parser.add_argument("--reason", default="", help="why, for the audit trail")

    def run(self, context: Context, args: argparse.Namespace) -> Any:
        if args.live is not None and (args.holdout or args.target is not None):
            raise both_given(args.live)
        if args.target is not None and not args.holdout:
            raise InvalidArgumentError(
                f"--target {args.target!r} names the column of true values of --holdout, but "
                "no --holdout was given; add --holdout DATA, or leave --target out (the gate "
                "then uses the new version's held-out reference rows)."
            )
        X, y, named = holdout(context, args) if args.holdout else (None, None, NAMED)
        return operations.retrain(
            context.registry,
            model=args.model,
            notebook=args.notebook,
            when=args.when,
            window=args.window,
            parameters=parameter_pairs(args.parameters),
            metric=args.metric,
            min_gain=args.min_gain,
            X=X,
            y=y,
            live=args.live,
            timeout=args.timeout,
            schedule=args.schedule,
            reason=args.reason,
            y_named=named["y_named"],
            rows_named=named["rows_named"],
        )

    def exit_code(self, result: Any, args: argparse.Namespace) -> int:
        return int(result.exit_code)


RETRAINING: tuple[Subcommand, ...] = (Retrain(),)
