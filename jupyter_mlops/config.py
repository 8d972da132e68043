"""Where the registry lives and the settings read from the environment."""

from __future__ import annotations

import contextlib
import errno
import math
import os
import re
import socket
import stat
from dataclasses import dataclass
from pathlib import Path

from jupyter_mlops.errors import InvalidArgumentError, Option, Spelled

HOME_VARIABLE = "MLOPS_HOME"
# a shared registry's catalog (`ducklake:postgres:...`), ahead of MLOPS_HOME, and the folder
# every machine of the team mounts for its files
REGISTRY_VARIABLE = "MLOPS_REGISTRY"
DATA_PATH_VARIABLE = "MLOPS_DATA_PATH"
SHARED_PREFIX = "ducklake:"
SHARED_SCHEME = "ducklake:postgres:"
BUCKET_SCHEME = "s3://"  # a shared registry's data path on object storage
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
# set by a job's runner for the notebook it executes: what the notebook records is the job's
JOB_VARIABLE = "MLOPS_JOB_ID"
# set by whoever started a job's runner on a person's behalf (a schedule run now from the
# sidebar): where the run was asked from, kept in the job's `detail` as its audit evidence
EVIDENCE_VARIABLE = "MLOPS_JOB_EVIDENCE"
# the name of this machine, as records of processes (servers, jobs, runs) say where they run
# and as other machines reach a server bound to every interface; else the system's host name
HOSTNAME_VARIABLE = "MLOPS_HOSTNAME"
HOSTNAME_LENGTH = 64  # the longest a Linux host name may be; it goes into log file names
_HOSTNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")  # what a URL's host may hold
DEFAULT_HOME = Path("~/.jupyter-mlops")
REGISTRY_FILE = "registry.duckdb"
ARTIFACTS_DIR = "artifacts"


@dataclass(frozen=True)
class Settings:
    """Tunables read from the environment, with their defaults."""

    lock_timeout: float = 60.0
    user: str = ""

    @classmethod
    def from_env(cls) -> Settings:
        raw = os.environ.get("MLOPS_LOCK_TIMEOUT", "60")
        try:
            timeout = float(raw)
        except ValueError:
            timeout = math.nan
        if not 0 <= timeout < math.inf:
            raise InvalidArgumentError(
                f"MLOPS_LOCK_TIMEOUT={raw!r} is not a number of seconds; set it to e.g. 60."
            )
        return cls(lock_timeout=timeout, user=os.environ.get("MLOPS_USER", ""))


def machine() -> str:
    """This machine's name ($MLOPS_HOSTNAME, else the system's host name): the `machine`
    (or `host`) a process records, and the one address of it that other machines use. It
    goes into records, log file names and server URLs, so it may hold only a host name's
    letters, digits, '.', '-' and '_', at most HOSTNAME_LENGTH of them."""
    given = os.environ.get(HOSTNAME_VARIABLE, "").strip()
    if not given:
        return socket.gethostname()
    if len(given) > HOSTNAME_LENGTH or not _HOSTNAME.fullmatch(given):
        named = (
            f"{HOSTNAME_VARIABLE} is {len(given)} characters long"
            if len(given) > HOSTNAME_LENGTH
            else f"{HOSTNAME_VARIABLE}={given!r} holds characters no host name has"
        )
        raise InvalidArgumentError(
            f"{named}; set it to this machine's name as the others reach it (letters, digits, "
            f"'.', '-' and '_', at most {HOSTNAME_LENGTH} characters), such as box-a.internal."
        )
    return given


# on a shared registry's data path: marks it, so that every process that writes or reads its
# logs treats them alike (segments named per machine, no file locks: monitoring/journals.py)
SHARED_MARK = Path("logs") / ".shared"
_NOTE = (
    b"These logs belong to a shared registry whose data path many machines mount: segments\n"
    b"are named per machine and process, and compactions take a lease in its catalog instead\n"
    b"of file locks. Leave this file in place.\n"
)
_marked: set[Path] = set()  # data paths found marked (a mark is never taken away)
# also on a shared registry's data path: the id of the catalog whose files it holds, and
# that registry's URL as a message may show it (`registry/team.py`)
CATALOG_MARK = Path(".mlops-catalog.json")


def shared_data_path(home: Path) -> bool:
    """Whether `home` is a shared registry's data path (marked so by `mark_shared`)."""
    if home in _marked:
        return True
    if (home / SHARED_MARK).exists():
        _marked.add(home)
        return True
    return False


def mark_shared(home: Path) -> None:
    """Mark `home` as a shared registry's data path. A machine that cannot write there (a
    read-only mount) writes no log there either: it leaves the mark to one that can."""
    if shared_data_path(home):
        return
    with contextlib.suppress(OSError):  # FileExistsError too: another process marked it
        (home / SHARED_MARK).parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(home / SHARED_MARK, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(_NOTE)
        _marked.add(home)


JOB_WORK = Path("jobs") / "work"  # under the registry home: each running job's own folder
REPEATED = "repeated.jsonl"  # in it: the versions its notebook's registrations repeated


def job_folder(home: Path, job: int) -> Path:
    """Where job `job` keeps its files while it runs (papermill's output, its notes)."""
    return home / JOB_WORK / f"job-{job}"


def job_id() -> int | None:
    """The job whose notebook this process runs ($MLOPS_JOB_ID), or None: outside a job, or
    when the variable holds anything but a job number (it is then ignored, never fatal: a
    check recorded without its job is better than a check not recorded)."""
    raw = os.environ.get(JOB_VARIABLE, "")
    if not (raw.isascii() and raw.isdigit()) or not 0 < int(raw) < 2**63:
        return None
    return int(raw)


def job_evidence() -> dict[str, str]:
    """Where this job's run was asked from ($MLOPS_JOB_EVIDENCE: a JSON object of text), or
    nothing: a run cron or a person's shell started, or a variable that is no such object
    (ignored, never fatal: the job runs as it would have)."""
    import json

    try:
        found = json.loads(os.environ.get(EVIDENCE_VARIABLE, "") or "{}")
    except ValueError:
        return {}
    if not isinstance(found, dict):
        return {}
    return {str(k): str(v) for k, v in found.items() if isinstance(v, str)}


# the registry a notebook session chose (`%mlops connect`), which every registry opened in
# this process without a location uses ahead of $MLOPS_HOME: `mlops.run()`, `Tracker()`;
# and a shared one's data path, if the session named it
_session_home: list[str] = []
_session_data_path: list[str] = []


def use_session_home(location: str | None, *, data_path: str | None = None) -> None:
    """Make `location` the registry of everything in this process that names none (a
    notebook's `mlops.run()`, `Tracker()`, `Registry()`, `Monitor()`), ahead of
    $MLOPS_REGISTRY and $MLOPS_HOME, with a shared registry's `data_path` ahead of
    $MLOPS_DATA_PATH; None goes back to those variables."""
    _session_home[:] = [] if location is None else [location]
    _session_data_path[:] = [] if location is None or data_path is None else [data_path]


@dataclass(frozen=True)
class Location:
    """Where a registry lives: a directory with its file, or a shared catalog's URL and the
    data path its files are under: a folder (`home`), a bucket of object storage
    (`bucket`, `s3://bucket/prefix/`), or neither (the one the catalog was made with)."""

    home: Path | None
    url: str | None = None
    bucket: str | None = None

    @property
    def shared(self) -> bool:
        return self.url is not None

    @property
    def data_path(self) -> str | None:
        """The data path as given: the bucket's URL, the folder, or None."""
        return self.bucket or (None if self.home is None else str(self.home))


def on_object_storage(data_path: str | os.PathLike[str]) -> bool:
    """Whether `data_path` names a bucket of object storage (`s3://...`)."""
    return os.fspath(data_path).startswith(BUCKET_SCHEME)


def working_folder(catalog: str) -> Path:
    """This machine's folder for a shared registry whose data path is a bucket: what is
    this machine's alone (model servers' output, jobs' working folders, schedule logs,
    lock files) goes there, under $MLOPS_HOME (else ~/.jupyter-mlops) in `shared/`."""
    raw = os.environ.get(HOME_VARIABLE, "").strip()
    base = Path(raw).expanduser() if raw else DEFAULT_HOME.expanduser()
    if base.suffix == ".duckdb":
        base = base.parent
    return (base / "shared" / catalog).resolve()


def resolve_location(
    location: str | os.PathLike[str] | None = None,
    *,
    data_path: str | os.PathLike[str] | None = None,
) -> Location:
    """The registry `location` names: a shared catalog's URL (`ducklake:postgres:...`) or a
    directory; else the one the notebook session connected to, else $MLOPS_REGISTRY, else
    $MLOPS_HOME, else ~/.jupyter-mlops. A shared catalog's data path is `data_path`, else
    $MLOPS_DATA_PATH, else the one it was made with."""
    raw = _named(location)
    if raw is not None and _URL.match(raw) and not raw.startswith(SHARED_SCHEME):
        raise InvalidArgumentError(
            f"registry location {_unsecret(raw)!r} is a URL, not a folder, and not one a shared "
            f"registry takes; give a folder, or '{SHARED_SCHEME}dbname=NAME host=HOST "
            "user=ROLE' (a PostgreSQL catalog, its pairs as libpq reads them)."
        )
    if raw is not None and not raw.startswith(SHARED_PREFIX) and _LOOKS_SHARED.search(raw):
        raise _mistyped_url(raw)
    if raw is None or not raw.startswith(SHARED_PREFIX):
        home = resolve_home(raw)
        if data_path is not None:  # $MLOPS_DATA_PATH is the team's: a file ignores it
            raise _data_path_of_a_file(os.fspath(data_path), home)
        return Location(home)
    if not raw.startswith(SHARED_SCHEME) or not raw[len(SHARED_SCHEME) :].strip():
        raise InvalidArgumentError(
            f"registry URL {_unsecret(raw)!r} is not one a shared registry takes; give "
            f"'{SHARED_SCHEME}dbname=NAME host=HOST user=ROLE' (a PostgreSQL catalog)."
        )
    if data_path is None and location is None and _session_data_path:
        data_path = _session_data_path[0]  # the session's registry, with its data path
    given = os.fspath(data_path) if data_path is not None else os.environ.get(DATA_PATH_VARIABLE)
    given = given.strip() if given is not None else None  # blank: none given, no folder " "
    if not given:
        return Location(None, raw)
    if on_object_storage(given):
        return Location(None, raw, bucket=_bucket(given))
    if "://" in given:
        raise InvalidArgumentError(
            f"data path {_unsecret(given)!r} is on a kind of storage shared registries do not "
            "support; give a folder every machine mounts (NFS, SMB or the like), or "
            f"{BUCKET_SCHEME}BUCKET/FOLDER/ (object storage)."
        )
    return Location(Path(given).expanduser().resolve(), raw)


def _data_path_of_a_file(given: str, home: Path) -> InvalidArgumentError:
    """The refusal of a data path given with a registry file, which keeps its files beside it
    and would ignore it."""
    return InvalidArgumentError(
        f"data path {_unsecret(given)!r} applies only to a shared registry, which keeps its "
        f"files there, and {str(home)!r} is a registry file's folder; leave out ",
        Option("data_path"),
        " or name a shared registry's catalog (",
        Spelled(
            python=f"Registry('{SHARED_SCHEME}dbname=NAME host=HOST user=ROLE', data_path=...)",
            notebook=f"%mlops connect {SHARED_SCHEME}... --data-path DIR",
            shell=f"MLOPS_REGISTRY or --home {SHARED_SCHEME}...",
        ),
        ").",
    )


_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")  # postgres://, s3://, http://: no folder
# a PostgreSQL connection string's pair: what no folder's name holds, and a URL typed with a
# character that only looks like its own (`duckl\u0430ke`, a fullwidth colon) still does
_LOOKS_SHARED = re.compile(r"(?:^|[\s:\uff1a])(?:dbname|host|hostaddr|user|port)\s*=", re.I)


def _mistyped_url(raw: str) -> InvalidArgumentError:
    """The refusal of a location that reads as a shared registry's URL but is none, naming
    the characters that are not what they look like."""
    odd = [f"{char!r} (U+{ord(char):04X})" for char in dict.fromkeys(raw) if not char.isascii()]
    held = f" (it holds {', '.join(odd)}, not plain ASCII)" if odd else ""
    return InvalidArgumentError(
        f"registry location {_unsecret(raw)!r} reads as a PostgreSQL connection string but "
        f"does not start with {SHARED_SCHEME!r}{held}, so no registry was made there; type "
        f"it as '{SHARED_SCHEME}dbname=NAME host=HOST user=ROLE'."
    )


_PASSWORD = re.compile(r"password\s*=\s*('(?:[^'\\]|\\.)*'|\S+)")
_UNSAFE = re.compile(r"[\s@/?#]")  # what a user name holds only encoded


def _unsecret(text: str) -> str:
    """`text` with any password it holds as ***: a `password=` value, and the user name and
    password of a `scheme://` address, all up to its last @ (a password may hold a space, @,
    /, ? or #, and where it would end before one cannot be known)."""
    spans = [found.span(1) for found in _PASSWORD.finditer(text)]
    start, end = text.find("://") + 3, text.rfind("@")
    user, colon, _ = text[start:end].partition(":")
    if 3 <= start <= end and (colon or _UNSAFE.search(user)):
        plain = colon and not _UNSAFE.search(user)  # a user name shown: `key:***@`
        spans.append((start + len(user) + 1 if plain else start, end))
    kept, position = [], 0
    for begin, stop in sorted(spans):  # overlapping ones masked as one
        kept.append(text[position:begin] + "***" if begin >= position else "")
        position = max(position, stop)
    return "".join(kept) + text[position:]


def _bucket(given: str) -> str:
    """`s3://bucket/prefix` as every process names it: `s3://bucket/prefix/`."""
    bucket, _, prefix = given[len(BUCKET_SCHEME) :].partition("/")
    if not bucket or not _BUCKET.fullmatch(bucket):
        raise InvalidArgumentError(
            f"data path {_unsecret(given)!r} names no bucket; give {BUCKET_SCHEME}BUCKET/FOLDER/ "
            "(a bucket's name is 3 to 63 lowercase letters, digits, dots and hyphens)."
        )
    parts = [part for part in prefix.split("/") if part]
    if any(sign in prefix for sign in "?[]") or "." in parts or ".." in parts:
        raise InvalidArgumentError(
            f"data path {_unsecret(given)!r} names its bucket folder with '..', '.', '?', '[' "
            "or ']', which DuckDB and the bucket's other clients would take for different "
            f"folders or for a pattern; give {BUCKET_SCHEME}BUCKET/FOLDER/ with plain folder names."
        )
    prefix = "/".join(parts)
    return f"{BUCKET_SCHEME}{bucket}/{prefix}/" if prefix else f"{BUCKET_SCHEME}{bucket}/"


def _named(location: str | os.PathLike[str] | None) -> str | None:
    if location is not None and not os.fspath(location).strip():
        raise InvalidArgumentError(
            "the registry location is empty; give a directory, or leave it out to use "
            f"${HOME_VARIABLE} or {DEFAULT_HOME}."
        )
    if location is not None:
        return as_url(os.fspath(location))
    if _session_home:
        return _session_home[0]
    found = os.environ.get(REGISTRY_VARIABLE) or os.environ.get(HOME_VARIABLE) or None
    return None if found is None else as_url(found)


def as_url(location: str) -> str:
    """`location` as a shared registry's URL where it is one however it was typed (blanks or
    quotes around it, as .env files keep them; `DuckLake:Postgres:`), so no such URL is ever
    taken for a folder's name; any other location as given."""
    typed = location.strip()
    if len(typed) > 1 and typed[0] == typed[-1] and typed[0] in "'\"":
        typed = typed[1:-1].strip()
    scheme, colon, rest = typed.partition(":")
    if not colon or scheme.lower() != SHARED_PREFIX[:-1]:
        return location
    kind, colon, conninfo = rest.partition(":")
    return f"{SHARED_PREFIX}{kind.lower()}{colon}{conninfo}" if colon else SHARED_PREFIX + rest


def resolve_home(location: str | os.PathLike[str] | None = None) -> Path:
    """The registry directory: `location`, else the one the notebook session connected to
    (`use_session_home`), else $MLOPS_HOME, else ~/.jupyter-mlops.

    A path ending in `.duckdb` names the registry file itself; its directory is the home.
    """
    path = home_given(location)
    if path.exists() and not path.is_dir():
        raise InvalidArgumentError(
            f"registry location {str(path)!r} is a file, not a directory; "
            "give a directory (it will hold registry.duckdb and artifacts/)."
        )
    return path


def home_given(location: str | os.PathLike[str] | None = None) -> Path:
    """The registry directory `resolve_home` names, a file there not refused yet: what a
    long-running server serves, answering the refusal to every request (the file may make
    way for a directory meanwhile) rather than serving nothing."""
    raw = _named(location)
    if raw is not None and raw.startswith(SHARED_PREFIX):
        raise InvalidArgumentError(
            f"{raw!r} names a shared registry, which has no directory of its own here; "
            "open it with Registry(url) or --home URL."
        )
    path = Path(raw).expanduser() if raw else DEFAULT_HOME.expanduser()
    if path.suffix == ".duckdb":
        path = path.parent
    return path.resolve()


def private_subdirectory(target: Path, *, private: Path) -> Path:
    """`target` created inside `private`, a directory of this user's that only this user may
    enter (made with mode 700 when missing); OSError when `private` is a link, another user's
    or open to others. Rows and points a registry would not take wait there: they are the
    users' data."""
    private.mkdir(mode=0o700, parents=True, exist_ok=True)
    found = os.lstat(private)
    if (
        not stat.S_ISDIR(found.st_mode)
        or found.st_uid != os.getuid()
        or found.st_mode & (stat.S_IRWXG | stat.S_IRWXO)
    ):
        raise OSError(errno.EPERM, f"{private} is not a private directory of this user")
    target.mkdir(parents=True, exist_ok=True)
    return target
