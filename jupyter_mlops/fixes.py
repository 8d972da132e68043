"""How each face spells the fix an error or a note names.

A message is text and `Fix` parts: an `Option` to change (`reason=` in Python, `--reason`
on a command line), a `Command` to run (`%mlops ...` in a notebook, `jupyter-mlops ...` in
a shell), or a fix each face words its own way (`Spelled`). `spell` joins them as one
`Face` reads them; a `Note` is a result's remark held the same way. `errors` builds its
messages from these.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from typing import Any


class Face(Enum):
    """Where a message is read, and so how its fix is spelled."""

    PYTHON = "python"  # `reason=`, `registry.promote(...)`
    NOTEBOOK = "notebook"  # `--reason`, `%mlops promote ...`
    SHELL = "shell"  # `--reason`, `jupyter-mlops promote ...`


class Fix:
    """What the user should change, held as data and spelled by each face."""

    def render(self, face: Face) -> str:
        raise NotImplementedError


@dataclass(frozen=True)
class Option(Fix):
    """An argument to change: `name=python` in Python, `--name typed` on a command line.

    `python` is the value as written in Python (`True`, `['x']`), empty to name the
    keyword alone (`time_column=`); `typed` what follows the option on a command line,
    empty for a flag; `flag` the option when it is not `--name` with dashes."""

    name: str
    python: str = ""
    typed: str = ""
    flag: str = ""

    def render(self, face: Face) -> str:
        if face is Face.PYTHON:
            return f"{self.name}={self.python}"
        option = self.flag or "--" + self.name.replace("_", "-")
        return f"{option} {self.typed}" if self.typed else option


@dataclass(frozen=True)
class Command(Fix):
    """A command to run: `%mlops NAME ARGS` in a notebook, `jupyter-mlops NAME ARGS` in a
    shell (`shell`, when given, is what a shell does instead), `python` in Python."""

    name: str
    args: str = ""
    python: str = ""
    shell: str = ""

    def render(self, face: Face) -> str:
        if face is Face.PYTHON and self.python:
            return self.python
        if face is Face.SHELL and self.shell:
            return self.shell
        words = " ".join(filter(None, [self.name, self.args]))
        return f"jupyter-mlops {words}" if face is Face.SHELL else f"%mlops {words}"


@dataclass(frozen=True)
class Spelled(Fix):
    """A fix each face words its own way (the notebook's wording unless given)."""

    python: str
    notebook: str = ""
    shell: str = ""

    def render(self, face: Face) -> str:
        if face is Face.SHELL and self.shell:
            return self.shell
        if face is not Face.PYTHON and self.notebook:
            return self.notebook
        return self.python


def spell(parts: Iterable[str | Fix], face: Face) -> str:
    """Text and fixes joined as `face` spells the fixes (and any `Note` among the text)."""
    return "".join(p.render(face) if isinstance(p, Fix | Note) else p for p in parts)


class Note(str):
    """A remark a result makes, held as text and `Fix` parts as an error's message is, and
    spelled by the face that shows the result (`render`). As text it is Python's spelling,
    so code that reads a note as a `str` reads what a Python user types."""

    parts: tuple[str | Fix, ...]

    def __new__(cls, *parts: str | Fix) -> Note:
        note = super().__new__(cls, spell(parts, Face.PYTHON))
        note.parts = parts
        return note

    def __getnewargs__(self) -> tuple[Any, ...]:  # a copy or a pickle keeps the parts
        return self.parts

    def render(self, face: Face) -> str:
        return spell(self.parts, face)


# Fixes the core names in many places.
CONNECT = Command("connect", python="Registry(path)", shell="--home DIR")
RUNS = Command("runs", python="Tracker().runs()")
DEPLOYMENTS = Command("deployments", python="operations.deployments(registry)")
TRACK = Spelled(python="with mlops.run(NAME):", notebook="%%mlops track NAME")
ALLOW_PICKLE = Option("allow_pickle", python="True")


def reference_command(model: str, version: int) -> Command:
    """Give `model`'s `version` held-out reference data."""
    return Command(
        "reference",
        f"{model} {version} X_val y_val",
        python=f"registry.set_reference({model!r}, {version}, X_val, y_val)",
        shell=f"jupyter-mlops reference {model} {version} HELD_OUT.parquet --target COLUMN",
    )


def promote_command(name: str, alias: str) -> Command:
    """Point `name`'s `alias` at a version the user chooses."""
    return Command(
        "promote",
        f"{name} VERSION {alias}",
        python=f"registry.promote({name!r}, VERSION, {alias!r})",
    )
