"""A `postgresql://` address in a shared registry's URL: where its user name and password
end, which no message shows, and what in it is refused before PostgreSQL's client reads it.

By the URI rules the user name and password (the userinfo) end at the `@` before the host,
and the host ends at the first `/`, `?` or `#`. A password may hold those unencoded, and then
where the host begins cannot be known: PostgreSQL's client reads `alice:SE/CRET@host` as host
`alice`, port `SE`, and says so in its error. So the userinfo is taken as everything from
`://` to the LAST `@` of the address; its password is masked whatever it holds (and the
user name with it, where that holds what only an encoding may), and an address whose
userinfo so taken holds a space, `@`, `/`, `?` or `#` is refused before anything reads it
(an `@` meant for the path or a `?parameter`, as in `?user=a@b`, is written `%40` too). A
database name that is itself a connection string (`dbname=... password=...`) is refused as
well: a message would show it whole.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from jupyter_mlops.errors import InvalidArgumentError

__all__ = [
    "database_span",
    "nested",
    "refuse_nested",
    "refuse_unsafe",
    "secret_span",
    "split_schema",
    "userinfo",
    "userinfo_span",
]

# a `postgresql://` URI, which has no `schema` parameter, followed by ` schema=NAME`
_URI_SCHEMA = re.compile(r"(postgres(?:ql)?://\S+)\s+schema\s*=\s*(\S*)", re.IGNORECASE)
# what a URI's user name and password hold only encoded (%20, %40, %2F, %3F, %23)
_UNSAFE = re.compile(r"[\s@/?#]")
# a URI's path (its database name), up to its parameters
_PATH = re.compile(r"[^?#\s]*")


def userinfo_span(text: str) -> tuple[int, int] | None:
    """Where the user name and password of the first `scheme://` address in `text` are:
    from its `://` to the last `@` after it (None: no `://`, or no `@` after it)."""
    start = text.find("://")
    if start < 0:
        return None
    end = text.rfind("@", start + 3)
    return (start + 3, end) if end >= 0 else None


def database_span(text: str) -> tuple[int, int] | None:
    """Where the database name of the first `scheme://` address in `text` is, if it is a
    connection string (None: no such address, no database name, or a plain one)."""
    begin = text.find("://")
    span = userinfo_span(text)
    slash = text.find("/", span[1] if span else begin + 3) if begin >= 0 else -1
    found = _PATH.match(text, slash + 1) if slash >= 0 else None
    return found.span() if found and nested(unquote(found.group())) else None


def secret_span(text: str) -> tuple[int, int] | None:
    """What of the first `scheme://` address's userinfo in `text` no message shows: its
    password, after a user name that holds nothing only an encoding may (`alice:***@`), or
    else the whole userinfo (None: no userinfo, or a plain user name alone)."""
    span = userinfo_span(text)
    if span is None:
        return None
    user, colon, _ = text[span[0] : span[1]].partition(":")
    if _UNSAFE.search(user):
        return span
    return (span[0] + len(user) + 1, span[1]) if colon else None


def userinfo(text: str) -> list[str]:
    """The password of `text`'s address (with its user name, too, where that is masked),
    as a message may quote it (none: no password)."""
    span = secret_span(text)
    if span is None:
        return []
    masked = text[span[0] : span[1]]
    return [masked, masked.partition(":")[2]] if span == userinfo_span(text) else [masked]


def split_schema(conninfo: str) -> tuple[str, str | None]:
    """(the address, the NAME of a ` schema=NAME` after it, or None) of a `postgresql://`
    URI, or of whatever else `conninfo` is (left whole)."""
    found = _URI_SCHEMA.fullmatch(conninfo)
    return (found.group(1), found.group(2)) if found else (conninfo, None)


def refuse_unsafe(address: str) -> None:
    """Refuse, without showing it, a `postgresql://` address whose userinfo (up to its last
    `@`) holds a space, `@`, `/`, `?` or `#`, whose database holds a connection string, or
    which gives `schema` as a parameter, which PostgreSQL's client does not know."""
    scheme, marker, rest = address.partition("://")
    if not marker or scheme.lower() not in ("postgres", "postgresql"):
        return
    user, at, after = rest.rpartition("@")
    if _UNSAFE.search(user) or any(character.isspace() for character in address):
        raise InvalidArgumentError(
            "the registry URL's postgresql:// address holds a space, or an @, /, ? or # in its "
            "user name or password (or an @ after its host); write them as %20, %40, %2F, %3F "
            "and %23 (or keep the password out of the URL, in ~/.pgpass or PGPASSWORD)."
        )
    path, _, query = (after if at else rest).partition("?")
    parameters = [pair.partition("=") for pair in query.split("&") if pair]
    if any(key == "schema" for key, _, _ in parameters):
        raise InvalidArgumentError(
            "the registry URL gives schema as a parameter of its postgresql:// address, which "
            "PostgreSQL's client does not know; write it after the address, a space then "
            "schema=NAME, as in ducklake:postgres:postgresql://HOST/DATABASE schema=NAME."
        )
    names = [path.partition("/")[2], *(value for key, _, value in parameters if key == "dbname")]
    for name in names:
        refuse_nested(unquote(name))


def refuse_nested(dbname: str) -> None:
    """Refuse, without showing it, a database name that PostgreSQL's client would take for a
    connection string (one holding `=` or a URI's `://`): its password would be shown."""
    if nested(dbname):
        raise InvalidArgumentError(
            "the registry URL's database name holds a connection string (an = or ://), which "
            "a message would show whole, password and all; write its keywords as keyword=value "
            "pairs of the URL itself."
        )


def nested(dbname: str) -> bool:
    """Whether PostgreSQL's client would read a database name as a connection string."""
    return "=" in dbname or "://" in dbname
