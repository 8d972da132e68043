"""The logging job of a `Monitor`: batch predictions in this process, and the prediction
and label logs they and a served model write.

Rows are appended as Parquet segment files (`logs.py`), never through the registry's
lock, so a notebook logging predictions and a model server logging its own can run side
by side; a label is matched to its prediction later, by request id.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from jupyter_mlops.clock import utc_now
from jupyter_mlops.errors import (
    AliasNotFoundError,
    ForbiddenError,
    InvalidArgumentError,
    RowsRefusedError,
)
from jupyter_mlops.monitoring import compaction, labelling, logs
from jupyter_mlops.monitoring.versions import Versions
from jupyter_mlops.registry import Registry, team
from jupyter_mlops.registry.dtypes import as_trained, booleans_read
from jupyter_mlops.registry.outputs import predictions_and_scores
from jupyter_mlops.registry.pairing import paired
from jupyter_mlops.registry.records import Version
from jupyter_mlops.registry.refs import parse_ref
from jupyter_mlops.store import analytics


class LoggingMixin:
    """`Monitor.predict`, `log_predictions` and `log_labels`."""

    registry: Registry
    _versions: Versions

    def log_predictions(
        self,
        ref: str,
        X: pd.DataFrame,
        *,
        predictions: Any = None,
        request_ids: Sequence[str] | None = None,
        timestamps: Any = None,
    ) -> pd.DataFrame:
        """Score `X` with the version (unless `predictions` are given) and append the rows to
        the model's prediction log; returns them, request ids included, under X's index
        (labels given later with them pair by it). A role that may only read a shared
        registry is refused: its logs are the team's."""
        _require_writer(self.registry, doing="log predictions")
        version = self.registry.get(self.registry.watched(ref))
        rows = self._scored_rows(version, X, predictions, request_ids, timestamps)
        logs.write_segments(self.registry.data, logs.PREDICTIONS, version.model, rows)
        return rows

    def predict(self, ref: str, X: Any, *, log: bool = True) -> pd.DataFrame:
        """Batch scoring in this process: one row per input row with the request id (logged
        like a served prediction unless `log=False`), version, prediction and score."""
        if log:
            _require_writer(self.registry, doing="log predictions", instead="log=False")
            rows = self.log_predictions(ref, X)
        else:
            rows = self._scored_rows(
                self.registry.get(self.registry.watched(ref)), X, None, None, None
            )
        return rows[[logs.REQUEST_ID, logs.VERSION, logs.PREDICTION, logs.SCORE]]

    def logged(
        self, ref: str, *, window: str | int | None = None, labelled: bool = False
    ) -> pd.DataFrame:
        """The model's logged rows, oldest first: its inputs with `__request_id__`,
        `__timestamp__`, `__version__`, `__prediction__`, `__score__` and `__label__` (the
        latest label that arrived for the request, else missing); only the last `window`
        (`7d`, `1000 rows`; None: all of it), only the labelled rows when `labelled`. What
        a retraining notebook trains on."""
        from jupyter_mlops.monitoring.windows import parse_window

        model = self.registry.get(self.registry.watched(ref)).model
        span = None if window is None else parse_window(window)
        home = self.registry.data
        if not logs.has_log(home, logs.PREDICTIONS, model):
            raise InvalidArgumentError(
                f"no predictions of {model} are logged yet; deploy it (or call "
                "Monitor.log_predictions) and read its log once requests arrive."
            )
        start = utc_now() - span.every if span is not None and span.every is not None else None
        with compaction.reading(home, model) as held, analytics.cursor() as conn:
            frame = analytics.logged_rows(
                conn,
                held.files(logs.PREDICTIONS),
                held.files(logs.LABELS) if held.has(logs.LABELS) else None,
                start=start,
                labelled=labelled,
            )
        if span is not None and span.rows is not None:
            frame = frame.iloc[-span.rows :]
        return frame.reset_index(drop=True)

    def _scored_rows(
        self, version: Version, X: Any, predictions: Any, request_ids: Any, timestamps: Any
    ) -> pd.DataFrame:
        from jupyter_mlops.registry.signature import scoring_rows

        what = f"{version.model} version {version.version}"
        # given apart from X as Series, they pair with its rows by index, as labels do
        predictions = paired(X, predictions, named="predictions")
        request_ids = paired(X, request_ids, named="request_ids")
        timestamps = paired(X, timestamps, named="timestamps")
        frame = booleans_read(scoring_rows(X, version.schema, what=what), version.schema, what=what)
        scores = None
        if predictions is not None:  # a classifier's outputs are its classes
            classes = self._versions.scoring(version).classes
            predictions = labelling.as_predictions(predictions, classes, what=what)
        else:
            model = self._versions.model(version)
            try:
                predictions, scores = predictions_and_scores(
                    model, as_trained(frame, version.schema), positive=version.positive_label
                )
            except (ValueError, TypeError) as exc:  # scikit-learn's words for rows it refuses
                raise _refused(exc, frame, what=what) from None
        rows = logs.prediction_rows(
            frame,
            version=version.version,
            predictions=np.asarray(predictions),
            scores=scores,
            request_ids=None if request_ids is None else _ids(request_ids),
            timestamps=timestamps,
        )
        return rows.set_axis(frame.index)  # X's index, which labels given later pair by

    def log_labels(
        self, model: str, request_ids: Any, labels: Any, *, timestamps: Any = None
    ) -> int:
        """Append true values for earlier predictions (by request id: a list or Series of ids,
        or the rows `log_predictions` returned; labels given as a Series pair with ids given
        as a Series or those rows by index); returns how many. A classifier's labels are
        checked against the classes of the version `model` names (a bare name: its champion,
        else its newest version). A role that may only read a shared registry is refused."""
        _require_writer(self.registry, doing="log labels")
        version = self._labelled_version(model)
        ids = labelling.distinct_ids(labelling.request_ids_of(request_ids), of="labels")
        values = labelling.labels_of(paired(request_ids, labels))
        what = f"{version.model} version {version.version}"
        classes = self._versions.scoring(version).classes
        found = labelling.as_classes(values, classes, what=what, missing=False)
        rows = logs.label_rows(ids, found, timestamps=timestamps)
        logs.write_segments(self.registry.data, logs.LABELS, parse_ref(model).model, rows)
        return len(rows)

    def _labelled_version(self, model: str) -> Version:
        try:
            return self.registry.get(self.registry.watched(model))
        except AliasNotFoundError:  # no champion: the newest version
            return self.registry.get(model)


def _refused(exc: Exception, frame: pd.DataFrame, *, what: str) -> RowsRefusedError:
    """The model's refusal of rows, naming the columns that hold a missing or infinite value
    (where each first does) as the model server names the field."""
    reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0].rstrip(". ")
    odd = []
    for name in frame.columns:
        series = frame[name]
        bad = np.array(series.isna(), dtype=bool)
        if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
            bad |= np.isinf(series.to_numpy(dtype="float64", na_value=np.nan))
        if bad.any():
            first, rows = int(np.flatnonzero(bad)[0]), int(bad.sum())
            odd.append(f"{name!r} ({rows:,} rows, the first row {first})" if rows > 1
                       else f"{name!r} (row {first})")  # fmt: skip
    if not odd:
        return RowsRefusedError(
            f"{what} cannot score the rows given ({reason}); pass rows like those it was "
            "trained on."
        )
    columns = f"column {odd[0]} holds" if len(odd) == 1 else f"columns {', '.join(odd)} hold"
    return RowsRefusedError(
        f"{columns} a missing or infinite value, which {what} cannot take ({reason}); fill or "
        "drop those rows."
    )


def _ids(request_ids: Any) -> list[str]:
    """Request ids given with predictions: one per row, each of its own."""
    given = [str(r) for r in request_ids] if np.ndim(request_ids) == 1 else [str(request_ids)]
    return labelling.distinct_ids(given, of="rows")


def _require_writer(registry: Registry, *, doing: str, instead: str = "") -> None:
    """Refuse, before a row is written, a shared registry's role that may only read: the
    prediction and label logs are the team's, which monitoring and alerts read."""
    try:
        team.require_writable(registry.db)
    except ForbiddenError as refused:
        if " may only read " not in str(refused):
            raise
        scoring = f" (to score without logging, pass {instead} or --no-log)" if instead else ""
        raise ForbiddenError(
            f"{str(refused).split(' (it lacks')[0]}, so it may not {doing} there{scoring}; "
            "ask the catalog's owner for a writer's role."
        ) from None
