"""A model and tables read from the files a shell user names, or one sentence on why not."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jupyter_mlops.errors import InvalidArgumentError, UnsafeModelError


def read_model(path: Path, *, trust: list[str], allow_pickle: bool) -> Any:
    """The model in a file, read as a load is: nothing in it runs unless trusted. Its format
    is read from its content (a skops zip, else a pickle), whatever its name."""
    from jupyter_mlops.registry import serialization

    data = _file_bytes(path, what="model file", expected="a saved model (.skops)")
    encoding = serialization.encoding_of(data, suffix=path.suffix)
    if encoding == serialization.PICKLE and not allow_pickle:
        if not serialization.looks_like_pickle(data):
            raise InvalidArgumentError(
                f"{str(path)!r} is not a model file (neither a skops file nor a pickle); "
                "register expects a fitted model saved with skops.io.dump (a .skops file), "
                "or a pickle with --allow-pickle."
            )
        raise UnsafeModelError(
            f"{str(path)!r} is a pickle, which runs code when loaded; pass --allow-pickle only "
            "if you trust where it came from."
        )
    return serialization.load(
        data,
        encoding=encoding,
        trusted_types=[],
        label=str(path),
        trust=trust,
        allow_pickle=allow_pickle,
    )


def read_table(path: Path, target: str | None) -> tuple[Any, Any]:
    """The rows of a data file, and its `target` column taken out of them (or None)."""
    from jupyter_mlops.registry import datafiles

    frame = datafiles.read_files([path])
    if target is None:
        return frame, None
    if target not in frame.columns:
        columns = ", ".join(map(str, frame.columns))
        raise InvalidArgumentError(
            f"--target {target!r} is not a column of {path.name}; columns: {columns}."
        )
    return frame.drop(columns=[target]), frame[target]


def _file_bytes(path: Path, *, what: str, expected: str) -> bytes:
    """The bytes of a file the user named, or one sentence on why not."""
    from jupyter_mlops.registry.datafiles import unreadable

    problem = unreadable(path)
    if problem is None:
        try:
            return path.read_bytes()
        except OSError as exc:
            problem = f"cannot be read ({exc.strerror})"
    raise InvalidArgumentError(f"{what} {str(path)!r} {problem}; give the path of {expected}.")
