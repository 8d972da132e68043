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
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class
from traitlets import Bool, Float, TraitError, Unicode, default, observe, validate

from jupyter_mlops.commands import data_files
from jupyter_mlops.config import (
    DEFAULT_HOME,
    HOME_VARIABLE,
    REGISTRY_VARIABLE,
    SHARED_PREFIX,
    Settings,
    as_url,
    use_session_home,
)
from jupyter_mlops.deploying import Deployment
from jupyter_mlops.errors import Face, MlopsError
from jupyter_mlops.magics.lines import split_line
from jupyter_mlops.magics.namespace import as_typed, lookup
from jupyter_mlops.magics.parser import HelpShown, build_parser, usage_error
from jupyter_mlops.magics.subcommands import NotebookContext
from jupyter_mlops.magics.tracking import track_cell
from jupyter_mlops.registry import Registry
from jupyter_mlops.shown import shown_in
from jupyter_mlops.store.lake_urls import shown


class Connection:
    """The registry a notebook session uses, switched by `%mlops connect`; it is also the
    registry of what the kernel opens without naming one (`mlops.run()`, `Tracker()`)."""

    def __init__(self, location: str | None = None) -> None:
        self.location = location  # a directory, or a shared registry's URL
        self.data_path: str | None = None  # a shared registry's, as this session named it
        self.lock_timeout: float | None = None  # None: MLOPS_LOCK_TIMEOUT, else 60 s
        self._registry: Registry | None = None
        use_session_home(location)  # a session loaded again starts where it is told, or anew

    @property
    def registry(self) -> Registry:
        if self._registry is None:
            self._registry = Registry(
                self.location, data_path=self.data_path, lock_timeout=self.lock_timeout
            )
        return self._registry

    def switch(self, location: str, *, data_path: str | None = None) -> Registry:
        self._registry = Registry(location, data_path=data_path, lock_timeout=self.lock_timeout)
        self.location = self._registry.location
        self.data_path = self._registry.data_path if self._registry.shared else None
        use_session_home(self.location, data_path=self.data_path)
        return self._registry

    def wait_for_lock(self, seconds: float) -> None:
        """Writes from now on wait up to `seconds` for the registry's lock."""
        self.lock_timeout = seconds
        self._registry = None  # opened again, at the same place, with the new deadline


@magics_class
class MlopsMagics(Magics):
    home = Unicode(
        help=f"The registry this session uses: a directory, or a shared registry's URL "
        f"(default: ${REGISTRY_VARIABLE}, else ${HOME_VARIABLE}, else {DEFAULT_HOME}); setting "
        "it switches the registry, as `%mlops connect PATH` does. A URL shows no password."
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
        chosen = (
            self.connection.location
            or os.environ.get(REGISTRY_VARIABLE)
            or os.environ.get(HOME_VARIABLE)
        )
        return chosen or str(DEFAULT_HOME.expanduser())  # shown as the validation returns it

    @validate("home")
    def _switch_home(self, proposal: Any) -> str:
        # the URL shown (no password) names the registry in use: setting it back changes nothing
        location = self.connection.location
        if location is None or proposal.value not in (location, _shown(location)):
            try:
                self.connection.switch(proposal.value)
            except MlopsError as exc:  # %config prints it; the registry stays where it was
                raise self._refused("home", proposal.value, str(exc)) from None
        return self.connection.registry.shown

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
        words = split_line(line)
        if not words:
            words = ["help"]
        try:
            args = self.parser.parse_args(words)
        except HelpShown:
            return None
        try:
            return shown_in(self._run(args), Face.NOTEBOOK)
        except MlopsError as exc:
            raise usage_error(exc) from None
        except UsageError as exc:  # a name of the line as it was typed, quotes and all
            raise UsageError(as_typed(str(exc), line)) from None

    def _run(self, args: argparse.Namespace) -> Any:
        """Run the line's subcommand, then present its result as a notebook does: a figure
        where one is asked for, a new deployment's token shown once, a failing check raised
        when `--fail` asks it to fail the notebook."""
        context = NotebookContext(
            self.connection.registry,
            Face.NOTEBOOK,
            data=self._current,
            value=self._variable,
            magics=self,
        )
        subcommand = args.subcommand
        result = subcommand.run(context, args)
        if subcommand.draws(args):
            from jupyter_mlops.viz.figures import figure_of

            return self._figure(figure_of(result))
        if isinstance(result, Deployment):
            from jupyter_mlops.magics.deployed import show_deployment

            show_deployment(self.shell, result)  # now: a later statement cannot hide it
        if getattr(args, "fail", False) and subcommand.exit_code(result, args):
            fired = "; ".join(result.firing)
            raise UsageError(f"%mlops check: alert rules fire for {args.ref}: {fired}.")
        return result

    def _current(self, given: list[str] | None) -> Any:
        """`--current`: a DataFrame variable of the notebook, else data files."""
        if given and len(given) == 1 and given[0].isidentifier():
            return self._variable(given[0])
        return data_files(given)

    def _variable(self, name: str | None) -> Any:
        assert self.shell is not None
        return None if name is None else lookup(self.shell.user_ns, name)

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

    def cell_source(self) -> str | None:
        """The source of the cell being run (what a registered version records as its code)."""
        history = getattr(self.shell, "history_manager", None)
        cells = history.input_hist_raw if history is not None else []
        return cells[-1] if cells else None

    def connect(self, location: str | None, *, data_path: str | None = None) -> Registry:
        """Switch this session to the registry at `location` (a shared registry's files
        under `data_path`); the one in use either way."""
        location = None if location is None else as_url(location)
        if data_path is not None and not (location or "").startswith(SHARED_PREFIX):
            raise UsageError(
                "%mlops connect: --data-path goes with a shared registry's URL; write `%mlops "
                "connect ducklake:postgres:dbname=NAME host=HOST user=ROLE --data-path DIR`."
            )
        if location is not None:
            self.connection.switch(location, data_path=data_path)
            self.home = self.connection.registry.shown  # what `%config` shows
        return self.connection.registry

    def show_help(self, topic: str | None) -> None:
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


def _shown(location: str) -> str:
    """A registry's location as the session shows it: a shared registry's URL without its
    password."""
    return shown(location) if location.startswith(SHARED_PREFIX) else location
