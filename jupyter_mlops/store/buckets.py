"""A shared registry's files in a bucket of object storage (`s3://bucket/prefix/`).

The same objects as a data path's folder (`objects.py`), kept where object storage keeps
them: a PUT stores an object whole or not at all and is visible at once to every reader
(S3 and the servers that speak its protocol are strongly consistent), so no temporary
object is needed for a plain write; what needs a name given after the fact (a merged log
file, `rename`) is a server-side copy, then the source deleted. Requests go through boto3;
DuckDB reads the same objects by their `s3://` URLs through its httpfs extension, with the
same credentials (`s3.enable`). Whatever object storage answers, a caller sees an OSError:
FileNotFoundError for an object that is not there, else a one-sentence `BucketError`
(a missing bucket, refused credentials, an endpoint that does not answer).
"""

from __future__ import annotations

import errno
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from jupyter_mlops.config import SHARED_MARK
from jupyter_mlops.store import s3
from jupyter_mlops.store.objects import Entry, Objects

T = TypeVar("T")
_NOTE = b"These files belong to a shared registry (a DuckLake catalog); leave them in place.\n"
_BATCH = 1000  # keys one DeleteObjects request takes
_marked: set[str] = set()  # buckets (and prefixes) found marked in this process


# what S3 answers a conditional PUT whose object exists, or is being stored by another
_TAKEN = ("PreconditionFailed", "412", "ConditionalRequestConflict", "409")
# what a store that does not take the condition answers
_UNCONDITIONAL = ("NotImplemented", "501")


class Bucket(Objects):
    """The objects under `s3://bucket/prefix/`."""

    def __init__(self, url: str) -> None:
        self.bucket, self.prefix = s3.split(url)
        self.root = f"{s3.SCHEME}{self.bucket}/{self.prefix}"
        self._settings: s3.Settings | None = None

    def __repr__(self) -> str:
        return f"Bucket({self.root!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Bucket) and other.root == self.root

    def __hash__(self) -> int:
        return hash(self.root)

    def url(self, key: str = "") -> str:
        return f"{self.root}{key}"

    @property
    def shared(self) -> bool:
        return True  # only a shared registry keeps its files in a bucket

    def mark_shared(self) -> None:
        if self.root in _marked:
            return
        try:
            if not self.exists(str(SHARED_MARK)):
                self.put(str(SHARED_MARK), _NOTE)
        except OSError as exc:
            if exc.errno == errno.EACCES:  # credentials that may only read: a writer marks it
                return
            raise
        _marked.add(self.root)

    def check(self) -> None:
        """Refuse, in one sentence, a bucket that is missing, refuses these credentials or
        cannot be reached; before anything is read or written there."""
        from botocore.exceptions import ClientError

        try:
            self._client().head_bucket(Bucket=self.bucket)
        except ClientError as exc:
            if str(exc.response.get("Error", {}).get("Code", "")) in ("404", "NoSuchBucket"):
                raise s3.missing_bucket(self.bucket) from None
            raise self._translated(exc) from None
        except Exception as exc:
            raise self._translated(exc) from None

    def put(self, key: str, data: bytes) -> None:
        self._do("put_object", Bucket=self.bucket, Key=self._key(key), Body=data)

    def claim(self, key: str, data: bytes) -> bool:
        """Store `data` under `key` unless an object is there: one conditional PUT (`If-None-
        Match: *`), so of processes claiming it at once, S3 lets one store it. A store that
        does not take the condition is checked, then written (the last of two stays)."""

        def stored(client: Any) -> bool:
            try:
                client.put_object(
                    Bucket=self.bucket, Key=self._key(key), Body=data, IfNoneMatch="*"
                )
            except client.exceptions.ClientError as exc:
                code = str(exc.response.get("Error", {}).get("Code", ""))
                if code in _TAKEN:  # stored meanwhile, or being stored: another's claim
                    return False
                if code not in _UNCONDITIONAL:
                    raise
                return super(Bucket, self).claim(key, data)
            return True

        return self._call(stored)

    def get(self, key: str) -> bytes:
        found = self._do("get_object", Bucket=self.bucket, Key=self._key(key))
        return bytes(self._call(lambda _: found["Body"].read()))

    def entry(self, key: str) -> Entry:
        found = self._do("head_object", Bucket=self.bucket, Key=self._key(key))
        return Entry(key, int(found["ContentLength"]), found["LastModified"].timestamp())

    def names(self, prefix: str) -> list[str]:
        return [item["Key"].rsplit("/", 1)[-1] for item in self._listed(prefix, "Contents")]

    def folders(self, prefix: str) -> list[str]:
        return [item["Prefix"].rstrip("/").rsplit("/", 1)[-1] for item in self._listed(prefix)]

    def walk(self, prefix: str) -> Iterator[Entry]:
        start = self._key(prefix.rstrip("/") + "/" if prefix else "")
        pages = self._call(
            lambda c: c.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=start)
        )
        for page in self._call(lambda _: list(pages)):
            for item in page.get("Contents", ()):
                key = item["Key"][len(self.prefix) :]
                yield Entry(key, int(item["Size"]), item["LastModified"].timestamp())

    def delete(self, keys: Iterable[str]) -> None:
        listed = [{"Key": self._key(key)} for key in keys]
        for first in range(0, len(listed), _BATCH):
            batch = {"Objects": listed[first : first + _BATCH], "Quiet": True}
            self._do("delete_objects", Bucket=self.bucket, Delete=batch)

    def touch(self, key: str) -> None:
        source = {"Bucket": self.bucket, "Key": self._key(key)}
        self._do(
            "copy_object",
            Bucket=self.bucket,
            Key=self._key(key),
            CopySource=source,
            MetadataDirective="REPLACE",
        )

    def rename(self, source: str, target: str) -> None:
        origin = {"Bucket": self.bucket, "Key": self._key(source)}
        self._do("copy", origin, self.bucket, self._key(target))
        self.delete([source])

    @contextmanager
    def local(self, keys: list[str]) -> Iterator[list[Path]]:
        folder = Path(tempfile.mkdtemp(prefix="jupyter-mlops-objects-"))
        try:
            paths = []
            for number, key in enumerate(keys):
                path = folder / f"{number:06d}-{key.rsplit('/', 1)[-1]}"
                self._do("download_file", self.bucket, self._key(key), str(path))
                paths.append(path)
            yield paths
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    @contextmanager
    def spooled(self, key: str) -> Iterator[Path]:
        folder = Path(tempfile.mkdtemp(prefix="jupyter-mlops-objects-"))
        try:
            path = folder / key.rsplit("/", 1)[-1]
            yield path
            self._do("upload_file", str(path), self.bucket, self._key(key))
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    # requests

    def _key(self, key: str) -> str:
        return f"{self.prefix}{key}"

    def _listed(self, prefix: str, part: str = "CommonPrefixes") -> list[dict[str, Any]]:
        start = self._key(prefix.rstrip("/") + "/" if prefix else "")
        pages = self._call(
            lambda c: c.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=start, Delimiter="/"
            )
        )
        return [item for page in self._call(lambda _: list(pages)) for item in page.get(part, ())]

    def _client(self) -> Any:
        if self._settings is None:
            self._settings = s3.settings()
        return s3.client(self._settings)

    def _do(self, operation: str, *args: Any, **kwargs: Any) -> Any:
        """The client's `operation` with these arguments (see `_call`)."""
        return self._call(lambda client: getattr(client, operation)(*args, **kwargs))

    def _call(self, request: Callable[[Any], T]) -> T:
        """`request(client)`, whatever boto3 raises turned into an OSError."""
        try:
            return request(self._client())
        except OSError:
            raise
        except Exception as exc:
            if type(exc).__module__.split(".")[0] not in ("botocore", "boto3", "s3transfer"):
                raise
            raise self._translated(exc) from None

    def _translated(self, exc: BaseException) -> OSError:
        given = self._settings or s3.settings()
        return s3.translated(exc, bucket=self.bucket, given=given)
