"""A shared registry's URL: `ducklake:postgres:` and a PostgreSQL connection string, with
`schema=NAME` naming the schema its catalog is in; and what of it a message may show.

A password may be in the connection string (`password=...`, quoted or not, or a URI's
`user:password@`). It is never shown: `shown` masks it in the URL (a URI's whole userinfo,
and the value of every keyword that is no known, harmless one: a mistyped `passwd=` is a
password too), and `reason` and `secrets` take it out of what PostgreSQL's client or DuckDB
said, which quote the whole connection string. `parsed` refuses, unshown, what PostgreSQL's
client would quote back: a keyword it does not know, a password cut by a space or a stray
quote, a database name that is a connection string (and `lake_uris` what a `postgresql://`
address holds).
"""

from __future__ import annotations

import difflib
import errno
import os
import re
from urllib.parse import unquote

from jupyter_mlops.errors import InvalidArgumentError, Spelled, StorageError
from jupyter_mlops.store import lake_uris

__all__ = ["BROKE", "GONE", "PREFIX", "parsed", "reason", "secrets", "shown"]

PREFIX = "ducklake:postgres:"
# one `keyword=value` of a PostgreSQL connection string: a value quoted (with \' and \\ in
# it) or not (no space, no quote)
_PAIR = re.compile(r"\s*([A-Za-z_]+)\s*=\s*('(?:[^'\\]|\\.)*'|(?:[^\s'\\]|\\.)+)\s*")
# the keywords PostgreSQL's client (libpq 18) knows, and this URL's own `schema`
# fmt: off
KEYWORDS = frozenset((
    "service", "user", "password", "passfile", "channel_binding", "connect_timeout", "dbname",
    "host", "hostaddr", "port", "client_encoding", "options", "application_name",
    "fallback_application_name", "keepalives", "keepalives_idle", "keepalives_interval",
    "keepalives_count", "tcp_user_timeout", "sslmode", "sslnegotiation", "sslcompression",
    "sslcert", "sslkey", "sslcertmode", "sslpassword", "sslrootcert", "sslcrl", "sslcrldir",
    "sslsni", "requirepeer", "require_auth", "min_protocol_version", "max_protocol_version",
    "ssl_min_protocol_version", "ssl_max_protocol_version", "gssencmode", "krbsrvname",
    "gsslib", "gssdelegation", "replication", "target_session_attrs", "load_balance_hosts",
    "scram_client_key", "scram_server_key", "oauth_issuer", "oauth_client_id",
    "oauth_client_secret", "oauth_scope", "sslkeylogfile", "schema",
))
# fmt: on
# the keywords whose values a message may show; any other's (a secret, or a keyword
# mistyped, as a password's may be) is masked
_SHOWN = KEYWORDS - {
    "password",
    "sslpassword",
    "oauth_client_secret",
    "scram_client_key",
    "scram_server_key",
}
# a `keyword=value` in a URL or a message: a value quoted, or not and up to the next
# `keyword=` (a space in an unquoted one, which `parsed` refuses, must not show the rest)
_VALUE = re.compile(
    r"(?<![\w.-])(?P<key>[A-Za-z_]+)\s*=\s*"
    r"(?P<value>'(?:[^'\\]|\\.)*'|\S+(?:\s+(?![A-Za-z_]+\s*=)[^\s']+)*)"
)
# a URI's `?keyword=value&...` parameter (its value up to the next & or space)
_PARAMETER = re.compile(r"[?&](?P<key>[A-Za-z_]+)=(?P<value>[^&\s#]*)")


def parsed(url: str) -> tuple[str, str]:
    """(the PostgreSQL connection string, the catalog's schema) of a shared registry's URL.
    Its `keyword=value` pairs are read as PostgreSQL reads them, so a quoted value (a
    password) that holds ` schema=` is a value, not a schema; a string that is no such list
    (a `postgresql://` URI) is left whole, for PostgreSQL's client to take or refuse."""
    if not url.startswith(PREFIX):
        raise ValueError(url)
    conninfo = url[len(PREFIX) :].strip()
    pairs: list[tuple[str, str]] = []
    position = 0
    while position < len(conninfo):
        found = _PAIR.match(conninfo, position)
        if found is None or found.end() == position:
            _refuse_unclosed(conninfo[position:])
            _refuse_cut_password(pairs, spaced=conninfo[position - 1 : position].isspace())
            _refuse_unread_schema(conninfo, position, pairs)
            if not pairs:  # a URI, or something PostgreSQL's client is left to refuse
                return _uri(conninfo)
            _refuse_unknown(pairs)
            raise InvalidArgumentError(
                f"the registry URL holds a word after {pairs[-1][0]}= that is no "
                "keyword=value pair; take it out, or quote a value that holds a space as "
                "keyword='...'."
            )
        pairs.append((found.group(1), found.group(2)))
        position = found.end()
    _refuse_unknown(pairs)
    _refuse_repeated(pairs)
    for key, value in pairs:
        if key == "dbname":
            lake_uris.refuse_nested(_unquoted(value))
    schema = [_schema(_unquoted(value)) for key, value in pairs if key == "schema"]
    kept = " ".join(f"{key}={value}" for key, value in pairs if key != "schema")
    return kept, schema[-1] if schema else "public"


# a schema name the catalog's SQL and PostgreSQL's client both take as written
_SCHEMA = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")


def _schema(name: str) -> str:
    """`name` if a catalog's schema may be named so, else the one-sentence refusal."""
    if name.lower() == "information_schema" or name.lower().startswith("pg_"):
        raise InvalidArgumentError(
            f"the registry URL names schema {name!r}, one of PostgreSQL's own (which pg_dump "
            "leaves out of a backup, or which no role may make tables in); write schema=NAME "
            "with a name of your own, such as schema=mlops."
        )
    if _SCHEMA.fullmatch(name) is None:
        raise InvalidArgumentError(
            f"the registry URL names schema {name!r}, which is no schema name a shared "
            "registry takes; write schema=NAME with a NAME of letters, digits and underscores "
            "(not starting with a digit, at most 63 of them), such as schema=mlops."
        )
    return name


def _refuse_unread_schema(conninfo: str, position: int, pairs: list[tuple[str, str]]) -> None:
    """A `schema=` the pairs could not be read past (a quote in it, no value) is refused as
    a schema name, not handed to PostgreSQL's client, which knows no `schema` option."""
    for key, value in pairs:
        if key == "schema":
            _schema(value.strip("'"))
    rest = conninfo[position:]
    if pairs and pairs[-1][0] == "schema" and not conninfo[position - 1].isspace():
        _schema(pairs[-1][1] + rest.split(maxsplit=1)[0])
    if (unread := re.match(r"schema\s*=\s*(\S*)", rest)) is not None:
        _schema(unread.group(1))


def _refuse_unclosed(rest: str) -> None:
    """A `keyword='...` whose quote is never closed, refused without showing its value (a
    password, as often as not), not handed on to fail as whatever follows it."""
    if (opened := re.match(r"([A-Za-z_]+)\s*=\s*'", rest)) is not None:
        raise InvalidArgumentError(
            f"the registry URL opens a quote after {opened.group(1)}= that it never closes; "
            "close it, writing \\' for a quote inside it (a password may instead be kept out "
            "of the URL, in ~/.pgpass or PGPASSWORD)."
        )


def _uri(conninfo: str) -> tuple[str, str]:
    """(the connection string, the schema) of a `postgresql://` URI, followed or not by
    ` schema=NAME`; what in it PostgreSQL's client would misread and quote back (a password
    holding a space, @, /, ? or #) is refused unshown."""
    address, schema = lake_uris.split_schema(conninfo)
    lake_uris.refuse_unsafe(address)
    return address, "public" if schema is None else _schema(schema)


def _unquoted(value: str) -> str:
    r"""A `keyword=value` pair's value as PostgreSQL's client reads it: unquoted, with \'
    and \\ in a quoted one read as ' and \."""
    if not value.startswith("'"):
        return value
    return re.sub(r"\\(.)", r"\1", value[1:-1])


def _refuse_unknown(pairs: list[tuple[str, str]]) -> None:
    """A keyword PostgreSQL's client does not know (`passwd=`, `pasword=`), refused by name
    with the one meant, its value unshown: it may be the password, mistyped."""
    for key, _ in pairs:
        if key not in KEYWORDS:
            meant = difflib.get_close_matches(key.lower(), sorted(KEYWORDS), n=1, cutoff=0.6)
            if key.lower() in ("pwd", "pass", "passwd", "pw"):
                meant = ["password"]
            hint = f" (did you mean {meant[0]}=?)" if meant else ""
            raise InvalidArgumentError(
                f"the registry URL gives {key}=, which is no PostgreSQL connection keyword"
                f"{hint}; correct it, or see PostgreSQL's list of connection keywords."
            )


def _refuse_repeated(pairs: list[tuple[str, str]]) -> None:
    """A keyword given twice, of which PostgreSQL's client would take the last unsaid (a
    second schema= or dbname= pasted on), refused without showing either value."""
    keys = [key for key, _ in pairs]
    if (twice := next((key for key in keys if keys.count(key) > 1), None)) is not None:
        raise InvalidArgumentError(
            f"the registry URL gives {twice}= {keys.count(twice)} times, and only one of them "
            "can count; keep the one you mean."
        )


def _refuse_cut_password(pairs: list[tuple[str, str]], *, spaced: bool) -> None:
    """What follows an unquoted password where the pairs could not be read on (a word with
    no `=` after a space; a quote or backslash in it) is the rest of the password, which
    PostgreSQL's client would quote back in its error: refused here, never shown."""
    if not pairs or pairs[-1][0].lower() != "password" or pairs[-1][1].startswith("'"):
        return
    held = "a space, where PostgreSQL would end it" if spaced else "a quote or a backslash"
    if pairs[-1][1].startswith('"'):
        held = "a space inside double quotes, which PostgreSQL reads as part of it, not as quotes"
    raise InvalidArgumentError(
        f"the password in the registry URL holds {held}; ",
        Spelled(
            python="quote it as password='...'",
            notebook=f"quote the whole URL, as in %mlops connect \"{PREFIX}... password='...'\"",
            shell="quote it as password='...'",
        ),
        ", with \\' for a quote in it (or keep it out of the URL, in ~/.pgpass or PGPASSWORD).",
    )


def shown(url: str) -> str:
    """`url` with its password, if it holds one, left out: what messages and listings show."""
    spans = [found.span("value") for found in _PARAMETER.finditer(url) if _secret(found)]
    if (userinfo := lake_uris.secret_span(url)) is not None:
        spans.append(userinfo)  # with the parameters: an @ in one may end the userinfo
    if (database := lake_uris.database_span(url)) is not None:
        spans.append(database)
    return _VALUE.sub(_masked, _masking(url, spans))  # after: a pair would take them whole


def _masking(text: str, spans: list[tuple[int, int]]) -> str:
    """`text` with each of `spans` (overlapping ones as one) written as `***`."""
    merged: list[list[int]] = []
    for start, stop in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], stop)
        else:
            merged.append([start, stop])
    ends = [0, *(stop for _, stop in merged)]
    parts = [text[end:start] + "***" for end, (start, _) in zip(ends, merged, strict=False)]
    return "".join(parts) + text[ends[-1] :]


def _secret(pair: re.Match[str]) -> bool:
    """Whether a `keyword=value` (or a URI's parameter) has a value no message may show."""
    key = pair.group("key")
    return key not in _SHOWN or (key == "dbname" and lake_uris.nested(unquote(pair["value"])))


def _masked(pair: re.Match[str]) -> str:
    """A `keyword=value` (or a URI's parameter) with its value masked, unless it is one a
    message may show."""
    if not _secret(pair):
        return pair.group(0)
    return pair.group(0)[: pair.start("value") - pair.start()] + "***"


# what DuckDB's PostgreSQL client says when a session broke during a call: PostgreSQL
# stopped or restarted under it, or is starting again
BROKE = (
    "server closed the connection",
    "terminating connection",
    "no connection to the server",
    "the database system is",
    # DuckLake's own reads of the catalog failing, on a session PostgreSQL dropped
    "from DuckLake: ",
    "for DuckLake: ",
    "unsuccessful query result",
    "Current transaction is aborted",
    "Unable to read binary COPY data",
)
# and what it says when the server cannot be reached at all, BROKE too
GONE = ("Unable to connect to Postgres", "Connection refused", "could not connect", *BROKE)
# the SQL DuckDB quotes in a failed catalog query, before what PostgreSQL said of it: up to
# the first `": ERROR:` when PostgreSQL answered (its answer may quote the SQL again, quotes
# and all), else up to the last quote
_QUERY = (
    re.compile(
        r'Failed to (?:prepare|execute) [^"]*".*?"(?: \([^)]*\))?:\s*(?=(?:ERROR|FATAL|PANIC):)',
        re.DOTALL,
    ),
    re.compile(r'Failed to (?:prepare|execute) [^"]*".*"(?: \([^)]*\))?:?\s*', re.DOTALL),
)


def reason(exc: BaseException, conninfo: str) -> str:
    """What PostgreSQL's client said of a failed connection, in one line, with no password:
    DuckDB's message quotes the whole connection string before it."""
    text = str(exc).strip() or repr(exc)
    for secret in secrets(conninfo):
        text = text.replace(secret, "***")
    answered, unanswered = _QUERY
    cut = answered.sub("", text) if answered.search(text) else unanswered.sub("", text)
    first = (cut.strip() or text).splitlines()[0]
    _, marker, said = first.partition("Unable to connect to Postgres at ")
    if marker:
        first = said.split('": ', 1)[-1]
    for prefix in ("IO Error: ", "connection failed: "):
        first = first.removeprefix(prefix)
    return " ".join(shown(first).split()).rstrip(".:")


def secrets(conninfo: str) -> list[str]:
    """The passwords `conninfo` holds, as they may appear in a message (quoted or not)."""
    pairs = [*_PARAMETER.finditer(conninfo), *_VALUE.finditer(conninfo)]
    found = [pair.group("value") for pair in pairs if _secret(pair)]
    found += lake_uris.userinfo(conninfo)
    values = {value for text in found for value in (text, text.strip("'")) if value}
    return sorted(values, key=len, reverse=True)  # a password inside another masked whole


# what a DuckDB error says when the data path, not PostgreSQL, refused a file (errno each)
FILE_REFUSED = {
    "No space left on device": errno.ENOSPC,
    "Disk quota exceeded": errno.EDQUOT,
    "Read-only file system": errno.EROFS,
    "Permission denied": errno.EACCES,
}


def file_refused(text: str, where: object) -> StorageError | None:
    """A DuckDB error that is the data folder (`where`) refusing a file write, as the one
    sentence a full or read-only disk gets (None: not that), told apart from PostgreSQL gone,
    which DuckDB also reports as an I/O error."""
    named = _REFUSED_FILE.search(text)
    if named is None:
        return None
    number = next((number for sign, number in FILE_REFUSED.items() if sign in text), None)
    if number is None:
        return None
    failed = OSError(number, os.strerror(number))
    if not where:  # the data path the catalog remembers: the folder of the file refused
        where = os.path.dirname(named[1])
    return StorageError.of(failed, str(where), doing="save this change")


_REFUSED_FILE = re.compile(
    r'(?:Could not write file|Cannot open file|Failed to create directory) "([^"]+)"'
)


# the words of a connection string that say which database it reaches, whoever connects
_WHERE = ("service", "host", "hostaddr", "port", "dbname")


def same_database(url: str, other: str) -> bool:
    """Whether two shared registries' URLs (a password masked or not) name one catalog as
    written: the same server, port, database and schema, whichever role connects."""
    found = _where(url)
    return found is not None and found == _where(other)


def _where(url: str) -> tuple[object, ...] | None:
    """What of `url` names its catalog (`same_database`); None when it cannot be read."""
    try:
        import psycopg
        from psycopg.conninfo import conninfo_to_dict
    except ImportError:
        return None
    try:
        conninfo, schema = parsed(url)
        words = conninfo_to_dict(conninfo)
    except (ValueError, psycopg.Error):
        return None
    if "dbname" not in words:  # PostgreSQL's client then connects to the role's own
        words["dbname"] = words.get("user")
    return (*(words.get(word) for word in _WHERE), schema)
