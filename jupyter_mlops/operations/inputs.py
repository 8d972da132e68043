"""What a face was given, as the monitor takes it: spans of time or rows, and current
data with its true values (given apart, or as one column of the data)."""

from __future__ import annotations

from typing import Any

from jupyter_mlops.errors import InvalidArgumentError, Option

LABEL_COLUMN = Option("label_column", python="'NAME'", typed="NAME")
Y = Option("y", python="y_true", typed="VARIABLE")
CURRENT = Option("current", python="data", typed="DATA")


def labelled(
    current: Any, *, y: Any, label_column: str | None, time_column: str | None
) -> tuple[Any, Any]:
    """`current` and its true values: its `label_column` taken out of it, or `y`; `(current,
    None)` when neither is given."""
    if label_column is None and y is None:
        return current, None
    option = Y if label_column is None else LABEL_COLUMN
    if current is None:
        raise InvalidArgumentError(
            "", option, " gives the true values of the current data, but no ", Option("current"),
            " was given; add ", CURRENT, ", or leave ", option, " out to score the logged labels.",
        )  # fmt: skip
    if label_column is None:
        return current, y
    if y is not None:
        raise InvalidArgumentError("", LABEL_COLUMN, " and ", Y, " both give the true values; "
                                   "give one of them.")  # fmt: skip
    from jupyter_mlops.monitoring.sources import given

    frame, source = given(current, time_column=time_column)
    if label_column not in frame.columns:
        columns = ", ".join(map(str, frame.columns))
        raise InvalidArgumentError(
            f"the label column {label_column!r} is not a column of {source}; its columns: "
            f"{columns}."
        )
    return frame.drop(columns=[label_column]), frame[label_column]


def as_span(text: Any) -> Any:
    """A window as the monitor takes it: digits alone are a count of rows."""
    if isinstance(text, str) and text.isascii() and text.isdigit():
        return int(text)
    return text
