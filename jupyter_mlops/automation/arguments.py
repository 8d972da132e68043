"""A job's arguments as given from Python or a shell, checked before anything is recorded:
the notebook a file that is one, the parameters names papermill can give and values it
reads as typed, and the model they name one the registry holds.

A value is passed to papermill as the text a person types after `-p KEY`, which papermill
reads back as a number, `True`/`False` or `None` where it looks like one; a number given
from Python is therefore passed as its text and arrives as the same number.
"""

from __future__ import annotations

import json
import keyword
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jupyter_mlops.errors import InvalidArgumentError, NotFoundError, Option
from jupyter_mlops.registry import Registry
from jupyter_mlops.registry.lookups import find_version, require_model
from jupyter_mlops.registry.refs import kind_of, names_version, parse_ref
from jupyter_mlops.store.schedules import find_schedule


def notebook_path(given: object) -> Path:
    """The notebook file `given` names, refused in one sentence unless it is a readable
    notebook."""
    if not isinstance(given, str | os.PathLike):
        raise InvalidArgumentError(
            f"notebook {given!r} is {kind_of(given)}, not a path; give the .ipynb file to "
            "run as text or a Path, e.g. notebook='monitoring.ipynb'."
        )
    path = Path(given).expanduser().absolute()
    if path.suffix != ".ipynb":
        raise InvalidArgumentError(
            f"{str(given)!r} is not a notebook (its name does not end in .ipynb); give the "
            ".ipynb file to run."
        )
    if path.is_dir():
        raise InvalidArgumentError(
            f"{str(given)!r} is a directory, not a notebook; give the .ipynb file inside it to run."
        )
    if not path.is_file():
        raise NotFoundError(f"notebook {str(given)!r} does not exist; check the path.")
    try:
        content = json.loads(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise InvalidArgumentError(
            f"notebook {str(given)!r} cannot be read as a notebook ({exc}); open and save it "
            "in Jupyter again."
        ) from None
    if not isinstance(content, dict) or not isinstance(content.get("cells"), list):
        raise InvalidArgumentError(
            f"notebook {str(given)!r} is JSON but not a notebook (it has no cells); give "
            "the .ipynb file to run."
        )
    metadata = content.get("metadata")
    spec = metadata.get("kernelspec") if isinstance(metadata, dict) else None
    if not isinstance(spec, dict) or not isinstance(spec.get("name"), str) or not spec["name"]:
        raise InvalidArgumentError(
            f"notebook {str(given)!r} names no kernel to run it with (its metadata has no "
            "kernelspec); open it in Jupyter, choose a kernel and save it."
        )
    return path


def parameter_texts(parameters: object) -> dict[str, str]:
    """The parameters as papermill's `-p KEY VALUE` takes them: names it can give, each
    value its text (numbers, booleans and None as typed: papermill reads them back)."""
    if parameters is None:
        return {}
    if not isinstance(parameters, Mapping):
        raise InvalidArgumentError(
            f"parameters {_cut(parameters)} are {kind_of(parameters)}, not a mapping of "
            "names to values; give a dict, e.g. parameters={'model': 'churn@champion'}."
        )
    return {_name(key): _text(key, value) for key, value in parameters.items()}


def _name(key: object) -> str:
    if not isinstance(key, str) or not key.isidentifier() or keyword.iskeyword(key):
        raise InvalidArgumentError(
            f"parameter name {key!r} is not a Python name, so no notebook can take it; "
            "use letters, digits and underscores, not starting with a digit."
        )
    return key


def _text(key: str, value: object) -> str:
    if isinstance(value, str):
        return value
    if value is None or isinstance(value, bool | int | float):
        return repr(value)  # papermill reads 5, 0.5, True and None back as typed
    raise InvalidArgumentError(
        f"parameter {key}={_cut(value)} is {kind_of(value)}, which a notebook cannot be "
        f"given; give text, a number, True, False or None, e.g. {key}={str(value)[:40]!r}."
    )


def job_model(registry: Registry, parameters: Mapping[str, str]) -> str | None:
    """The model the `model` parameter names, refused unless the registry holds it (and the
    alias or version it names): a misspelt name would otherwise pass every run."""
    text = parameters.get("model")
    if text is None:
        return None
    ref = parse_ref(text)
    with registry.db.read() as conn:
        require_model(conn, ref.model)
        if names_version(text):
            find_version(conn, ref)
    return ref.model


def job_window(parameters: Mapping[str, str]) -> None:
    """Refuse a `window` parameter no monitoring call can read: it would fail every run
    (None, papermill's, is the notebook's to read)."""
    if parameters.get("window", "None") != "None":
        from jupyter_mlops.monitoring.windows import span_or_range

        span_or_range(parameters["window"])


def require_schedule(registry: Registry, schedule: int, *, run: tuple[str, str, dict]) -> None:
    """Refuse a run as schedule `schedule`'s unless it is that schedule's own, not removed:
    its kind, notebook and parameters (a run claiming it would change its last job and the
    runs it counts as missed)."""
    with registry.db.read() as conn:
        row = find_schedule(conn, schedule)
    leave_out = Option("schedule", python=str(schedule), typed=str(schedule))
    if row is None or row["removed_at"] is not None:
        said = "does not exist" if row is None else "was removed"
        raise NotFoundError(
            f"schedule {schedule} {said}; leave out ",
            leave_out,
            " to run the notebook unscheduled.",
        )
    kind, notebook, parameters = run
    if (row["kind"], row["notebook"], json.loads(row["parameters"])) != run:
        raise InvalidArgumentError(
            f"schedule {schedule} runs {row['kind']} {row['notebook']!r} with parameters "
            f"{row['parameters']}, not {kind} {notebook!r} with {json.dumps(parameters)}; "
            "leave out ",
            leave_out,
            " to run this notebook unscheduled.",
        )


def _cut(value: Any) -> str:
    shown = repr(value)
    return shown if len(shown) <= 60 else shown[:57] + "..."
