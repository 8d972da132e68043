"""Data files a user points at: training data to register, held-out rows, current data.

Every face reads them here, and only here, so a file `register --data` takes is also
one `drift --current` takes, with the same dtypes. A file's kind is its extension:
Parquet as pandas reads it, CSV and TSV with a header row. A glob reads every file it
matches, in name order, one frame with the union of their columns.
"""

from __future__ import annotations

import glob
import os
import warnings
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from jupyter_mlops.errors import InvalidArgumentError
from jupyter_mlops.profiling.dtypes import value_type

# The data files jupyter-mlops reads, by extension, and what each is.
KINDS = {".parquet": "Parquet", ".pq": "Parquet", ".csv": "CSV", ".tsv": "TSV"}
NAMED = ".parquet, .pq, .csv or .tsv"


def read_files(
    names: Sequence[str | os.PathLike[str]], *, time_column: str | None = None
) -> pd.DataFrame:
    """The rows of data files (paths or globs) as one frame; `time_column`, when a file
    holds it as text, is read as times."""
    return joined(read_parts(names, time_column=time_column))


def read_parts(
    names: Sequence[str | os.PathLike[str]], *, time_column: str | None = None
) -> list[tuple[Path, pd.DataFrame]]:
    """Each data file's path and rows, in the order `read_files` joins them."""
    return [(path, _read(path, time_column=time_column)) for name in names for path in _paths(name)]


def joined(parts: Sequence[tuple[Path, pd.DataFrame]]) -> pd.DataFrame:
    """The files' rows as one frame, with the union of their columns."""
    frames = [frame for _, frame in parts]
    return frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)


def mixed_types(parts: Sequence[tuple[Path, pd.DataFrame]]) -> dict[str, str]:
    """The columns whose values are of different types in different files (joined, they
    are a column of no one type), each with which files hold which, in words: `numbers in
    a.parquet and 20 more files, text in b.parquet`. A file whose column is all missing
    holds no type; integers and floats are both numbers."""
    found: dict[str, dict[str, list[Path]]] = {}
    for path, frame in parts:
        for column in frame.columns:
            values = frame[column]
            if values.isna().all():
                continue
            kind = _KINDS.get(str(value_type(values)), "values of no one type")
            found.setdefault(str(column), {}).setdefault(kind, []).append(path)
    return {
        column: ", ".join(f"{kind} in {_files(paths)}" for kind, paths in kinds.items())
        for column, kinds in found.items()
        if len(kinds) > 1
    }


_KINDS = {"integer": "numbers", "float": "numbers", "boolean": "true/false values",
          "datetime": "times", "text": "text"}  # fmt: skip


def _files(paths: list[Path]) -> str:
    shown = " and ".join(str(path) for path in paths[:2])
    more = len(paths) - 2
    return shown if more <= 0 else f"{paths[0]} and {more + 1} more files"


def unreadable(path: Path) -> str | None:
    """Why `path` is no file to read ("does not exist", ...), or None when it is one."""
    if path.is_dir():
        return "is a directory"
    if not path.is_file():
        return "is not a regular file" if path.exists() else "does not exist"
    return None


def _paths(name: str | os.PathLike[str]) -> list[Path]:
    if not isinstance(name, str | os.PathLike):
        raise InvalidArgumentError(
            f"a {type(name).__name__} was given as data, which is neither a DataFrame nor a "
            f"data file; give a pandas DataFrame or the path of a {NAMED} file."
        )
    text = str(name)
    suffix = Path(text).suffix
    if suffix.lower() not in KINDS:
        raise InvalidArgumentError(
            f"data file {text!r} is not of a kind jupyter-mlops reads "
            f"({suffix or 'no extension'}); give {NAMED} files."
        )
    if not any(ch in text for ch in "*?["):
        problem = unreadable(Path(text))
        if problem is not None:
            raise InvalidArgumentError(
                f"data file {text!r} {problem}; give the path of a {NAMED} file."
            )
        return [Path(text)]
    matched = sorted(glob.glob(text))
    if not matched:
        raise InvalidArgumentError(
            f"no file matches {text!r}; give a glob that matches {NAMED} files."
        )
    return [Path(path) for path in matched]


def _read(path: Path, *, time_column: str | None) -> pd.DataFrame:
    kind = KINDS[path.suffix.lower()]
    try:
        if kind == "Parquet":
            return pd.read_parquet(path)
        frame = pd.read_csv(path, sep="\t" if kind == "TSV" else ",")
    except Exception as exc:  # pandas' and pyarrow's words for a file they cannot parse
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InvalidArgumentError(
            f"data file {str(path)!r} cannot be read as {kind} ({reason}); give a Parquet "
            "file, or a CSV or TSV file with a header row."
        ) from None
    if time_column is not None and time_column in frame:
        frame[time_column] = _times(frame[time_column], path=path)
    return frame


def _times(values: pd.Series, *, path: Path) -> pd.Series:
    """A time column of a text file as times: as written when every value has the same
    zone (or none), in UTC when they have different offsets."""
    if not (pd.api.types.is_string_dtype(values) or values.dtype == object):
        return values
    reason = ""
    for utc in (False, True):
        try:
            with warnings.catch_warnings():  # each value is tried; our sentence says if none is
                warnings.filterwarnings("ignore", "Could not infer format", UserWarning)
                return pd.to_datetime(values, utc=utc)
        except (ValueError, TypeError) as exc:
            reason = str(exc).splitlines()[0]
    raise InvalidArgumentError(
        f"column {str(values.name)!r} of {str(path)!r} holds values that are not times "
        f"({reason}); give its time column, or write its times as 2026-11-26T08:00:00."
    )


def writable(name: str | os.PathLike[str]) -> Path:
    """The path a result is to be written to, refused in one sentence before any work when
    its kind is not one jupyter-mlops writes or its directory does not exist."""
    path = Path(name)
    if path.suffix.lower() not in KINDS:
        raise InvalidArgumentError(
            f"output file {str(path)!r} is not of a kind jupyter-mlops writes "
            f"({path.suffix or 'no extension'}); give a {NAMED} file."
        )
    if not path.parent.is_dir():
        raise InvalidArgumentError(
            f"output file {str(path)!r} is in no existing directory; create "
            f"{str(path.parent)!r} first, or give another path."
        )
    return path


def write_file(frame: pd.DataFrame, path: Path) -> None:
    """`frame` written whole to a path `writable` accepted, as its extension says."""
    kind = KINDS[path.suffix.lower()]
    try:
        if kind == "Parquet":
            frame.to_parquet(path, index=False)
        else:
            frame.to_csv(path, sep="\t" if kind == "TSV" else ",", index=False)
    except OSError as exc:
        raise InvalidArgumentError(
            f"output file {str(path)!r} cannot be written ({exc.strerror}); give another path."
        ) from None
