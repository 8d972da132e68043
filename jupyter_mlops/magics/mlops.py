"""The `%mlops` line magic: parse, call the core, return a displayable result.

Its settings are traits (`%config MlopsMagics` lists them, `%config MlopsMagics.home = "..."`
sets one, as does `c.MlopsMagics.home` in an IPython profile): the registry the session uses
(`home`, which `%mlops connect` sets too), how long a write waits for the registry's lock, and
whether figures are drawn or summarised as text.
"""

from __future__ import annotations

import argparse
import math
import os
import shlex
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class
from traitlets import Bool, Float, TraitError, Unicode, default, observe, validate

from jupyter_mlops.commands import HANDLERS, parse_pairs, run_registry_command
from jupyter_mlops.config import DEFAULT_HOME, HOME_VARIABLE, Settings
from jupyter_mlops.errors import MlopsError
from jupyter_mlops.magics.namespace import as_typed, data_names, lookup, metric_values
from jupyter_mlops.magics.parser import HelpShown, build_parser, usage_error
from jupyter_mlops.magics.tracking import figure_command, register_from_run, track_cell
from jupyter_mlops.monitor_commands import (
    MONITORING_COMMANDS,
    check_exit_code,
    run_monitoring_command,
)
from jupyter_mlops.registry import Registry
from jupyter_mlops.tracking import current_run


class Connection:
    """The registry a notebook session uses, switched by `%mlops connect`."""

    def __init__(self, location: str | None = None) -> None:
        self.location = location
        self.lock_timeout: float | None = None  # None: MLOPS_LOCK_TIMEOUT, else 60 s
        self._registry: Registry | None = None

    @property
    def registry(self) -> Registry:
        if self._registry is None:
            self._registry = Registry(self.location, lock_timeout=self.lock_timeout)
        return self._registry

    def switch(self, location: str) -> Registry:
        self._registry = Registry(location, lock_timeout=self.lock_timeout)
        self.location = str(self._registry.home)
        return self._registry

    def wait_for_lock(self, seconds: float) -> None:
        """Writes from now on wait up to `seconds` for the registry's lock."""
        self.lock_timeout = seconds
        self._registry = None  # opened again, at the same place, with the new deadline


@magics_class
class MlopsMagics(Magics):
    home = Unicode(
        help=f"The registry directory this session uses (default: ${HOME_VARIABLE}, else "
        f"{DEFAULT_HOME}); setting it switches the registry, as `%mlops connect PATH` does."
    ).tag(config=True)
    lock_timeout = Float(
        help="Seconds a write waits for the registry's lock held by another process before it "
        "fails naming that process (default: $MLOPS_LOCK_TIMEOUT, else 60)."
    ).tag(config=True)
    show_figures = Bool(
        True,
        help="Draw plotly figures (`%mlops metrics`, `--plot`); False shows each as a text "
        "table of its lines, as IPython in a terminal does.",
    ).tag(config=True)

    def __init__(self, shell: Any, **kwargs: Any) -> None:
        self.connection = Connection()  # before the traits: a profile's `home` switches it
        self.parser = build_parser()
        super().__init__(shell, **kwargs)

    @default("home")
    def _home_default(self) -> str:
        chosen = self.connection.location or os.environ.get(HOME_VARIABLE)
        return chosen or str(DEFAULT_HOME.expanduser())

    @validate("home")
    def _switch_home(self, proposal: Any) -> str:
        if proposal.value != self.connection.location:
            try:
                self.connection.switch(proposal.value)
            except MlopsError as exc:  # %config prints it; the registry stays where it was
                raise self._refused("home", proposal.value, str(exc)) from None
        return str(self.connection.registry.home)

    @default("lock_timeout")
    def _lock_timeout_default(self) -> float:
        return Settings.from_env().lock_timeout

    @validate("lock_timeout")
    def _check_lock_timeout(self, proposal: Any) -> float:
        seconds = float(proposal.value)
        if not 0 <= seconds < math.inf:
            raise self._refused(
                "lock_timeout",
                proposal.value,
                f"MlopsMagics.lock_timeout = {proposal.value!r} is not a number of seconds; "
                "set it to 0 or more, e.g. 60.",
            )
        return seconds

    def _refused(self, name: str, value: object, message: str) -> TraitError:
        """The error for a refused setting, which is also taken out of the shell's config
        (`%config` put it there), or `%reload_ext` would meet it again."""
        for config in (self.config, getattr(self.parent, "config", None)):
            section = config.get(type(self).__name__) if config is not None else None
            if section is not None and name in section and section[name] == value:
                del section[name]
        return TraitError(message)

    @observe("lock_timeout")
    def _retime(self, change: Any) -> None:
        self.connection.wait_for_lock(change.new)

    @line_cell_magic
    def mlops(self, line: str, cell: str | None = None) -> Any:
        """Register, promote, roll back and inspect models. `%mlops help` lists subcommands.

        As a cell magic, `%%mlops track EXPERIMENT [--tag k=v]` records the cell as a run.
        """
        __tracebackhide__ = True  # a failing tracked cell shows the user's frames, not ours
        if cell is not None:
            return self._cell(line, cell)
        try:
            words = shlex.split(line)
        except ValueError as exc:
            raise UsageError(f"%mlops: cannot split the line ({exc}); check the quotes.") from None
        if not words:
            words = ["help"]
        try:
            args = self.parser.parse_args(words)
        except HelpShown:
            return None
        try:
            return self._run(args)
        except MlopsError as exc:
            raise usage_error(exc) from None
        except UsageError as exc:  # a name of the line as it was typed, quotes and all
            raise UsageError(as_typed(str(exc), line)) from None

    def _run(self, args: argparse.Namespace) -> Any:
        if args.command == "help":
            return self._help(args.topic)
        if args.command == "connect":
            return self._connect(args.location)
        if args.command == "register" and args.from_run is not None:
            return register_from_run(self.shell, self.connection.registry, args)
        if args.command == "register":
            return self._register(args)
        if args.command == "reference":
            return self._reference(args)
        if args.command in ("metrics", "run") and (args.command == "metrics" or args.plot):
            return self._figure(figure_command(self.connection.registry, args))
        if args.command == "predict":
            from jupyter_mlops.monitoring import Monitor

            assert self.shell is not None
            data = lookup(self.shell.user_ns, args.data)
            return Monitor(self.connection.registry).predict(args.ref, data, log=not args.no_log)
        if args.command == "load":
            return self.connection.registry.load(
                args.ref, trust=args.trust, allow_pickle=args.allow_pickle
            )
        if args.command == "deploy":
            return self._deploy(args)
        if args.command in HANDLERS:
            return run_registry_command(self.connection.registry, args)
        if args.command in MONITORING_COMMANDS:
            return self._monitor(args)
        raise AssertionError(f"subcommand {args.command} has no handler")

    def _deploy(self, args: argparse.Namespace) -> Any:
        """Deploy, and show URL and token now: a later statement in the cell cannot hide them."""
        from jupyter_mlops.magics.deployed import show_deployment

        found = run_registry_command(self.connection.registry, args)
        show_deployment(self.shell, found)
        return found  # IPython shows it without the token

    def _monitor(self, args: argparse.Namespace) -> Any:
        """A monitoring subcommand; `--current NAME` may name a DataFrame in the notebook."""
        assert self.shell is not None
        current = getattr(args, "current", None)
        if current and len(current) == 1 and current[0].isidentifier():
            args.current = lookup(self.shell.user_ns, current[0])
        if getattr(args, "y", None) is not None:
            args.y = lookup(self.shell.user_ns, args.y)
        result = run_monitoring_command(self.connection.registry, args)
        if getattr(args, "plot", False):
            from jupyter_mlops.viz import drift as figures

            if args.command == "drift-history":
                title = f"{args.model}: drift per check"
                return self._figure(figures.drift_history_figure(result, title=title))
            title = f"{args.ref}: {args.command} per window of {args.window}"
            return self._figure(figures.metric_history_figure(result.to_frame(), title=title))
        if args.command == "check" and check_exit_code(result, strict=args.strict) and args.fail:
            fired = "; ".join(result.firing)
            raise UsageError(f"%mlops check: alert rules fire for {args.ref}: {fired}.")
        return result

    def _figure(self, figure: Any) -> Any:
        """A plotly figure in a notebook; in a shell that shows only text (IPython in a
        terminal), a summary of it, where plotly would look for a web browser."""
        from jupyter_mlops.viz.text import shown

        formatter = getattr(self.shell, "display_formatter", None)
        html = formatter is None or "text/html" in formatter.active_types
        return shown(figure, html=html and self.show_figures)

    def _cell(self, line: str, cell: str) -> Any:
        __tracebackhide__ = True
        command, _, rest = line.strip().partition(" ")
        if command != "track":
            raise UsageError(
                f"%%mlops {command or '(nothing)'}: the cell magic has one subcommand; "
                "write `%%mlops track EXPERIMENT`."
            )
        return track_cell(self.shell, self.connection.registry, rest, cell)

    def _register(self, args: argparse.Namespace) -> Any:
        assert self.shell is not None
        namespace = self.shell.user_ns
        if args.object is None:
            raise UsageError("%mlops register: give the model's variable, or --from-run RUN.")
        if args.allow_failed:
            raise UsageError(
                "%mlops register: --allow-failed applies to --from-run RUN; leave it out when "
                "registering a variable."
            )
        model = lookup(namespace, args.object)
        data = data_names(namespace, args.data, option="--data")
        run = current_run()  # registered in a tracked cell: the version comes from its run
        return self.connection.registry.register(
            args.model,
            model,
            X=data[0] if data else None,
            y=data[1] if len(data) > 1 else None,
            metrics=metric_values(namespace, args.metrics),
            description=args.description,
            tags=parse_pairs(args.tag, what="tag"),
            code=self._cell_source(),
            notebook=namespace.get("__vsc_ipynb_file__"),
            trust=args.trust,
            allow_pickle=args.allow_pickle,
            force=args.force,
            reference=data_names(namespace, args.reference, option="--reference") or None,
            positive_label=args.positive_label,
            run_id=None if run is None else str(run.id),
        )

    def _reference(self, args: argparse.Namespace) -> Any:
        assert self.shell is not None
        rows = data_names(self.shell.user_ns, args.data, option="reference")
        return self.connection.registry.set_reference(
            args.model,
            args.version,
            rows[0],
            rows[1] if len(rows) > 1 else None,
            reason=args.reason,
            allow_pickle=args.allow_pickle,
        )

    def _cell_source(self) -> str | None:
        history = getattr(self.shell, "history_manager", None)
        cells = history.input_hist_raw if history is not None else []
        return cells[-1] if cells else None

    def _connect(self, location: str | None) -> Registry:
        if location is not None:
            self.connection.switch(location)
            self.home = str(self.connection.registry.home)  # what `%config` shows
        return self.connection.registry

    def _help(self, topic: str | None) -> None:
        if topic is None:
            print(self.parser.format_help())
            return
        sub = self.parser.subcommands.get(topic)
        if sub is None:
            names = sorted(self.parser.subcommands)
            raise UsageError(
                f"%mlops has no subcommand {topic!r}; choose one of {', '.join(names)}."
            )
        print(sub.format_help())
