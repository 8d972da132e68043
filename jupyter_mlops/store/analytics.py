"""SQL over the prediction and label logs and over Parquet files users point at.

A log is given as the list of what `read_parquet` reads of it (`compaction.LogFiles`): a
registry file's glob, or a shared data path's files (in a bucket, `s3://` URLs, which the
engine reads through httpfs with this process's S3 credentials: `s3.enable`).

These run in the process's in-memory DuckDB on a cursor of their own: the registry
file is not attached, so reading a log takes no lock any other process waits on.
"""

from __future__ import annotations

from datetime import datetime

import duckdb
import pandas as pd

from jupyter_mlops.store import s3
from jupyter_mlops.store.connection import analytics_cursor as cursor

__all__ = [
    "cursor",
    "labelled_predictions",
    "logged_rows",
    "newest_time",
    "parquet_rows",
    "read_parquet",
    "scored_predictions",
    "shadow_pairs",
    "unconverted_times",
]


def unconverted_times(error: BaseException) -> bool:
    """Whether a read failed on a time its segments' common type cannot hold: a segment at
    nanoseconds beside one from before 1678 or after 2261."""
    return isinstance(error, duckdb.ConversionException) and "Timestamp" in str(error)


def _reachable(conn: duckdb.DuckDBPyConnection, *files: list[str] | None) -> None:
    """Let `conn`'s engine read the buckets `files` are in."""
    found = {
        s3.split(name)[0] for names in files for name in names or () if name.startswith(s3.SCHEME)
    }
    for bucket in sorted(found):
        s3.enable(conn, bucket)


def _arrow_frame(result: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """A query's result as a DataFrame whose columns stay Arrow-backed (no per-value objects)."""
    return result.to_arrow_table().to_pandas(types_mapper=pd.ArrowDtype)


def read_parquet(
    conn: duckdb.DuckDBPyConnection,
    files: list[str],
    *,
    time_column: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> pd.DataFrame:
    """The rows of Parquet files (a list of paths or globs), optionally within [start, end)."""
    _reachable(conn, files)
    query = "SELECT * FROM read_parquet(?, union_by_name = true, hive_partitioning = false)"
    params: list[object] = [files]
    if time_column is not None and (start is not None or end is not None):
        query += ' WHERE ("{0}" >= ? OR ? IS NULL) AND ("{0}" < ? OR ? IS NULL)'.format(
            time_column.replace('"', '""')
        )
        params += [start, start, end, end]
    return _arrow_frame(conn.execute(query, params))


def labelled_predictions(
    conn: duckdb.DuckDBPyConnection,
    predictions: list[str],
    labels: list[str],
    *,
    start: datetime | None,
    end: datetime | None,
) -> pd.DataFrame:
    """Logged predictions joined with their labels by request id (the latest label wins)."""
    _reachable(conn, predictions, labels)
    return conn.execute(
        """WITH label AS (
               SELECT __request_id__, arg_max(__label__, __timestamp__) AS __label__
               FROM read_parquet(?, union_by_name = true, hive_partitioning = false)
               GROUP BY __request_id__)
           SELECT p.__request_id__, p.__timestamp__, p.__version__, p.__prediction__,
                  p.__score__, l.__label__
           FROM read_parquet(?, union_by_name = true, hive_partitioning = false) p
           LEFT JOIN label l USING (__request_id__)
           WHERE (p.__timestamp__ >= ? OR ? IS NULL) AND (p.__timestamp__ < ? OR ? IS NULL)
           ORDER BY p.__timestamp__""",
        [labels, predictions, start, start, end, end],
    ).df()


def logged_rows(
    conn: duckdb.DuckDBPyConnection,
    predictions: list[str],
    labels: list[str] | None,
    *,
    start: datetime | None,
    labelled: bool,
) -> pd.DataFrame:
    """Every logged column (inputs, request id, time, version, prediction, score) from
    `start` on, oldest first, with the latest label per request id (`labels` None: no label
    log yet, every `__label__` missing); `labelled`: only the rows a label arrived for."""
    _reachable(conn, predictions, labels)
    label = (
        "SELECT __request_id__, arg_max(__label__, __timestamp__) AS __label__ "
        "FROM read_parquet(?, union_by_name = true, hive_partitioning = false) "
        "GROUP BY __request_id__"
        if labels is not None
        else "SELECT NULL::VARCHAR AS __request_id__, NULL AS __label__ WHERE false"
    )
    found = conn.execute(
        f"""WITH label AS ({label})
           SELECT p.* EXCLUDE (__label__), l.__label__
           FROM (SELECT *, NULL AS __label__ FROM read_parquet(
                     ?, union_by_name = true, hive_partitioning = false)) p
           LEFT JOIN label l USING (__request_id__)
           WHERE (p.__timestamp__ >= ? OR ? IS NULL) AND (NOT ? OR l.__label__ IS NOT NULL)
           ORDER BY p.__timestamp__""",
        [*([labels] if labels is not None else []), predictions, start, start, labelled],
    )
    return found.df()


def scored_predictions(
    conn: duckdb.DuckDBPyConnection,
    predictions: list[str],
    *,
    start: datetime | None,
    end: datetime | None,
) -> pd.DataFrame:
    """Logged predictions' times, versions, outputs and scores, without labels."""
    _reachable(conn, predictions)
    return conn.execute(
        """SELECT __request_id__, __timestamp__, __version__, __prediction__, __score__
           FROM read_parquet(?, union_by_name = true, hive_partitioning = false)
           WHERE (__timestamp__ >= ? OR ? IS NULL) AND (__timestamp__ < ? OR ? IS NULL)
           ORDER BY __timestamp__""",
        [predictions, start, start, end, end],
    ).df()


def shadow_pairs(
    conn: duckdb.DuckDBPyConnection,
    predictions: list[str],
    shadows: list[str],
    labels: list[str] | None,
    *,
    versions: tuple[int, int],
    start: datetime | None,
    end: datetime | None,
) -> pd.DataFrame:
    """The requests both the served version and its shadow scored (`versions`: which of
    each), logged within [start, end), one row each with both outputs and the latest
    label (NULL without one, and for all when `labels` is None: no label log yet)."""
    _reachable(conn, predictions, shadows, labels)
    label = (
        """SELECT __request_id__, arg_max(__label__, __timestamp__) AS label
           FROM read_parquet(?, union_by_name = true, hive_partitioning = false)
           GROUP BY __request_id__"""
        if labels is not None
        else "SELECT NULL::VARCHAR AS __request_id__, NULL AS label WHERE false"
    )
    return conn.execute(
        f"""WITH label AS ({label}),
           champion AS (
               SELECT __request_id__, __timestamp__, __version__, __prediction__, __score__
               FROM read_parquet(?, union_by_name = true, hive_partitioning = false)
               WHERE __version__ = ? AND (__timestamp__ >= ? OR ? IS NULL)
                     AND (__timestamp__ < ? OR ? IS NULL)),
           challenger AS (
               SELECT __request_id__, __version__, __prediction__, __score__
               FROM read_parquet(?, union_by_name = true, hive_partitioning = false)
               WHERE __version__ = ?)
           SELECT c.__request_id__ AS request_id, c.__timestamp__ AS timestamp, l.label,
                  c.__version__ AS champion_version, c.__prediction__ AS champion_prediction,
                  c.__score__ AS champion_score, s.__version__ AS challenger_version,
                  s.__prediction__ AS challenger_prediction, s.__score__ AS challenger_score
           FROM champion c JOIN challenger s USING (__request_id__)
           LEFT JOIN label l USING (__request_id__)
           ORDER BY c.__timestamp__, c.__request_id__""",
        [
            *([labels] if labels is not None else []),
            predictions,
            versions[0],
            start,
            start,
            end,
            end,
            shadows,
            versions[1],
        ],
    ).df()


def parquet_rows(conn: duckdb.DuckDBPyConnection, files: list[str]) -> int:
    """How many rows the files hold, from their footers."""
    _reachable(conn, files)
    found = conn.execute(
        "SELECT coalesce(sum(num_rows), 0) FROM parquet_file_metadata(?)", [files]
    ).fetchone()
    return int(found[0]) if found else 0


def newest_time(
    conn: duckdb.DuckDBPyConnection, files: list[str], time_column: str
) -> datetime | None:
    """The latest time in a column of Parquet files (None: no row has one)."""
    _reachable(conn, files)
    query = (
        'SELECT max("{0}") FROM read_parquet(?, union_by_name = true, hive_partitioning = false)'
    )
    found = conn.execute(query.format(time_column.replace('"', '""')), [files]).fetchone()
    return found[0] if found else None
