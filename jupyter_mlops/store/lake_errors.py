"""What a shared registry's failures say: a DuckDB or PostgreSQL error met on the catalog
turned into one sentence that names what to check, with no password in it."""

from __future__ import annotations

from pathlib import Path

import duckdb

from jupyter_mlops.errors import ConflictError, ForbiddenError, Spelled, UnavailableError
from jupyter_mlops.store import lake_urls, s3
from jupyter_mlops.store.lake_urls import BROKE, GONE


def masked(exc: duckdb.Error, shown: str, conninfo: str, data_path: Path | str | None) -> Exception:
    """A DuckDB error met on the catalog as a message may show it: PostgreSQL gone is one
    sentence saying what to check; any other error keeps its type, its text stripped of
    the password DuckDB quotes with the connection string."""
    text = str(exc)
    if s3.SCHEME in text or isinstance(exc, duckdb.HTTPException):
        return s3.data_file_refused(exc, shown, where=data_path)
    if (refused := lake_urls.file_refused(text, data_path)) is not None:
        return refused
    if isinstance(exc, duckdb.FatalException | duckdb.InternalException):
        return UnavailableError(
            f"the {shown} failed inside DuckDB ({lake_urls.reason(exc, conninfo)}), as it can "
            "once its PostgreSQL connection broke; nothing of this call was kept, and the "
            "next call starts afresh, so run it again."
        )
    if isinstance(exc, duckdb.IOException) or any(sign in text for sign in GONE):
        return unreachable(exc, shown, conninfo)
    if "permission denied for" in text:  # a table of the catalog PostgreSQL keeps from this role
        return unreachable(exc, shown, conninfo)
    secrets = lake_urls.secrets(conninfo)
    if not any(secret in text for secret in secrets):
        return exc
    for secret in secrets:
        text = text.replace(secret, "***")
    return type(exc)(text)


def commit_failed(
    exc: duckdb.Error, shown: str, conninfo: str, data_path: Path | str | None
) -> Exception:
    """A COMMIT refused: another writer's change conflicted, or the data folder refused a
    file (nothing was saved either way), or the session broke as it committed (whether
    PostgreSQL kept it is unknown)."""
    if (refused := lake_urls.file_refused(str(exc), data_path)) is not None:
        return refused
    if "conflict" in str(exc).lower():
        return ConflictError(
            f"another writer changed the {shown} during this change "
            f"({str(exc).splitlines()[-1].strip()}), so nothing was saved; run it again."
        )
    return UnavailableError(
        f"the {shown} stopped answering as this change was saved "
        f"({lake_urls.reason(exc, conninfo)}), so whether it was saved is unknown; once "
        "PostgreSQL answers again, look (`jupyter-mlops history` or `versions`) before "
        "running it again."
    )


def unreachable(exc: BaseException, shown: str, conninfo: str) -> UnavailableError | ForbiddenError:
    """PostgreSQL not reached, or its session broken during the call, or refusing this role
    the catalog."""
    reason = lake_urls.reason(exc, conninfo)
    if "permission denied" in reason.lower():
        return ForbiddenError(
            f"PostgreSQL refused this role the {shown} ({reason}); ask the catalog's owner "
            "to grant it access (README: Team mode, Roles), or connect as another role."
        )
    if any(sign in str(exc) for sign in BROKE):  # reached, so the URL is not what to check
        return UnavailableError(
            f"the {shown} broke off this call ({reason}), as it does while PostgreSQL "
            "restarts or when an administrator ends a session, and as a port where something "
            "else answers does; nothing of the call was kept, so run it again once PostgreSQL "
            "answers, and if it never does, check the URL's host and port."
        )
    return UnavailableError(
        f"the {shown} could not be reached ({reason}); check that PostgreSQL runs there and "
        "that the URL given to ",
        Spelled(python="Registry()", notebook="%mlops connect", shell="MLOPS_REGISTRY or --home"),
        " names its database, host, port and user.",
    )
