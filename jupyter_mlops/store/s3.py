"""How this process reaches object storage, and what it answers, in one sentence.

Credentials, region and endpoint come from the standard AWS environment variables
(`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_REGION` or
`AWS_DEFAULT_REGION`, `AWS_ENDPOINT_URL_S3` or `AWS_ENDPOINT_URL`), read the way boto3
reads them (its shared files and roles too). The same values reach DuckDB as an S3 secret
of the engine that reads or writes the bucket (`enable`), so boto3 and DuckDB's httpfs see
one bucket alike: a plain-http endpoint (a local server, MinIO) is reached without TLS and
by path-style URLs. No message ever holds the secret key, the session token, or a password
written in the endpoint's URL (`http://KEY:SECRET@host/`).
"""

from __future__ import annotations

import errno
import os
import threading
import zlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import duckdb

from jupyter_mlops.errors import BucketError, InvalidArgumentError
from jupyter_mlops.store import extensions
from jupyter_mlops.store.lake_urls import shown

SCHEME = "s3://"
READ_TIMEOUT = 20  # seconds: the longest silence between bytes, not a whole upload
_CREDENTIALS = "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE) to credentials"
_REFUSED = {
    "AccessDenied",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "InvalidToken",
    "ExpiredToken",
    "403",
}
_MISSING_BUCKET = {"NoSuchBucket"}
_MISSING_KEY = {"NoSuchKey", "404", "NotFound"}


@dataclass(frozen=True)
class Settings:
    """What reaches object storage: the endpoint (None: AWS itself), region, credentials."""

    endpoint: str | None
    region: str
    key_id: str | None
    secret: str | None = None
    token: str | None = None

    @property
    def where(self) -> str:
        """The endpoint as messages name it, a password written in it as ***."""
        return shown(self.endpoint) if self.endpoint else f"AWS S3 ({self.region})"

    @property
    def secrets(self) -> list[str]:
        """What no message may hold: the secret key, the session token and a password
        written in the endpoint's URL (which reaches DuckDB, and so its errors)."""
        written = urlsplit(self.endpoint).password if self.endpoint else None
        return [value for value in (self.secret, self.token, written) if value]


def split(url: str) -> tuple[str, str]:
    """(bucket, prefix ending in '/' or empty) of `s3://bucket/prefix`."""
    rest = url[len(SCHEME) :] if url.startswith(SCHEME) else ""
    bucket, _, prefix = rest.partition("/")
    if not bucket:
        raise InvalidArgumentError(
            f"data path {url!r} names no bucket; give s3://BUCKET/FOLDER/ (object storage)."
        )
    prefix = prefix.strip("/")
    return bucket, f"{prefix}/" if prefix else ""


def settings() -> Settings:
    """This process's settings, as boto3 reads them from the environment."""
    session = _boto3().session.Session()
    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    region = (
        os.environ.get("AWS_REGION")
        or os.environ.get("AWS_DEFAULT_REGION")
        or session.region_name
        or "us-east-1"
    )
    found = session.get_credentials()
    if found is None:
        return Settings(endpoint or None, region, None)
    frozen = found.get_frozen_credentials()
    return Settings(endpoint or None, region, frozen.access_key, frozen.secret_key, frozen.token)


class _Clients:
    lock = threading.Lock()
    made: dict[tuple[Settings, int], Any] = {}  # noqa: RUF012 (one table per process)


def client(found: Settings) -> Any:
    """A boto3 S3 client for `found` (one per settings and process)."""
    key = (found, os.getpid())
    with _Clients.lock:
        made = _Clients.made.get(key)
        if made is None:
            from botocore.config import Config

            config = Config(  # an endpoint that takes connections but never answers is
                # told within about 40 s (two tries of 20 s each), not after minutes of
                # boto3's retries; `max_attempts` would count retries, a third try of 20 s
                retries={"total_max_attempts": 2, "mode": "standard"},
                connect_timeout=5,
                read_timeout=READ_TIMEOUT,
                s3={"addressing_style": "path" if found.endpoint else "auto"},
            )
            made = _Clients.made[key] = _boto3().client(
                "s3",
                endpoint_url=found.endpoint,
                region_name=found.region,
                aws_access_key_id=found.key_id,
                aws_secret_access_key=found.secret,
                aws_session_token=found.token,
                config=config,
            )
        return made


def reach(conn: duckdb.DuckDBPyConnection, data_path: object, *, attaching: bool) -> None:
    """Let a catalog's engine (`conn`'s) reach the files under `data_path`: in a bucket,
    through httpfs with this process's credentials. A catalog about to be attached without
    its data path (None) may keep its files in a bucket, which DuckLake checks as it
    attaches: httpfs is loaded where it is installed, the credentials given once the
    catalog says where its files are."""
    if data_path is None and attaching and extensions.packaged("httpfs"):
        extensions.load(conn, "httpfs")
    elif isinstance(data_path, str) and data_path.startswith(SCHEME):
        enable(conn, split(data_path)[0])


def enable(conn: duckdb.DuckDBPyConnection, bucket: str) -> None:
    """Let `conn`'s engine read and write `bucket`: httpfs loaded (from its pip package,
    as DuckLake's extensions are) and this process's settings as an S3 secret scoped to it."""
    name = f"mlops_s3_{zlib.crc32(bucket.encode()):08x}"
    found = conn.execute("SELECT count(*) FROM duckdb_secrets() WHERE name = ?", [name]).fetchone()
    if found and found[0]:
        return
    extensions.load(conn, "httpfs")
    given = settings()
    options = {"REGION": given.region, "SCOPE": f"{SCHEME}{bucket}"}
    if given.key_id:
        options |= {"KEY_ID": given.key_id, "SECRET": given.secret or ""}
    if given.token:
        options["SESSION_TOKEN"] = given.token
    plain = ""
    if given.endpoint:
        parts = urlsplit(given.endpoint)
        options["ENDPOINT"] = parts.netloc or parts.path
        options["URL_STYLE"] = "path"
        plain = f", USE_SSL {'false' if parts.scheme == 'http' else 'true'}"
    listed = ", ".join(f"{option} '{_literal(value)}'" for option, value in options.items())
    try:
        conn.execute(f"CREATE OR REPLACE SECRET {name} (TYPE s3, {listed}{plain})")
    except duckdb.Error as exc:
        text = str(exc).splitlines()[0]
        for secret in given.secrets:
            text = text.replace(secret, "***")
        raise BucketError(
            errno.EINVAL,
            f"DuckDB could not be given the credentials of bucket {bucket!r} ({text})",
            f"check the AWS variables, or install httpfs with {extensions.TEAM_EXTRA}",
            "object storage could not be set up",
        ) from None


def translated(exc: BaseException, *, bucket: str, given: Settings) -> OSError:
    """What boto3's `exc` means, as an OSError: FileNotFoundError for a missing object, and
    a one-sentence `BucketError` for the rest."""
    from botocore import exceptions

    cause = exc.__cause__ or exc.__context__  # a transfer's failure wraps the request's
    if not isinstance(exc, exceptions.ClientError) and isinstance(cause, exceptions.ClientError):
        exc = cause
    if isinstance(exc, exceptions.ClientError):
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code in _MISSING_BUCKET:
            return _missing_bucket(bucket, given)
        if code in _MISSING_KEY:
            return FileNotFoundError(errno.ENOENT, "no such object", f"{bucket}/{code}")
        if code in _REFUSED:
            return BucketError(
                errno.EACCES,
                f"object storage at {given.where} refused these credentials for bucket "
                f"{bucket!r} ({code})",
                f"{_CREDENTIALS} that may read and write it",
                "object storage refused the credentials",
            )
        return BucketError(
            errno.EIO,
            f"object storage at {given.where} answered {code or 'an error'} for bucket {bucket!r}",
            "check the bucket and the AWS variables, and run it again",
            "object storage answered an error",
        )
    if isinstance(exc, exceptions.NoCredentialsError | exceptions.PartialCredentialsError):
        return BucketError(
            errno.EACCES,
            f"no credentials for object storage were found for bucket {bucket!r}",
            _CREDENTIALS,
            "object storage has no credentials",
        )
    return BucketError(
        errno.ECONNREFUSED,
        f"object storage at {given.where} could not be reached for bucket {bucket!r} "
        f"({type(exc).__name__})",
        "check AWS_ENDPOINT_URL (or AWS_REGION) and that the server answers there",
        "object storage could not be reached",
    )


def data_file_refused(exc: duckdb.Error, shown: str, *, where: object) -> BucketError:
    """DuckDB's error on a file of a catalog (`shown`) whose data path is a bucket."""
    reason = str(exc).splitlines()[0]
    for secret in settings().secrets:
        reason = reason.replace(secret, "***")
    return BucketError(
        errno.EIO,
        f"the {shown} could not read or write its files in {where or 'its bucket'} "
        f"({reason[:200]})",
        "check that the bucket exists and that the AWS variables give credentials that may "
        "read and write it",
        "object storage refused a data file",
    )


def _missing_bucket(bucket: str, given: Settings) -> BucketError:
    return BucketError(
        errno.ENOENT,
        f"the bucket {bucket!r} does not exist at {given.where}",
        "create it, or set MLOPS_DATA_PATH (or --data-path) to a bucket that exists",
        "the bucket does not exist",
    )


def missing_bucket(bucket: str) -> BucketError:
    """The refusal of a bucket that is not there."""
    return _missing_bucket(bucket, settings())


def _boto3() -> Any:
    try:
        import boto3
    except ImportError:
        raise BucketError(
            errno.ENOPKG,
            "a data path on object storage needs boto3, which is not installed",
            f"install it with {extensions.TEAM_EXTRA}",
            "boto3 is not installed",
        ) from None
    return boto3


def _literal(text: str) -> str:
    return text.replace("'", "''")
