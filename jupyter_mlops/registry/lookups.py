"""Finding a model, an alias or a version inside a transaction, with helpful errors.

Every lookup a user's words lead to goes through here, so an unknown name always gets
the same sentence: what is missing, the closest name ("did you mean"), and what to do.
"""

from __future__ import annotations

from collections.abc import Iterable

import duckdb

from jupyter_mlops.errors import (
    AliasNotFoundError,
    Command,
    InvalidArgumentError,
    ModelNotFoundError,
    Option,
    VersionNotFoundError,
    did_you_mean,
    promote_command,
)
from jupyter_mlops.registry.records import Version, VersionList
from jupyter_mlops.registry.refs import (
    ModelRef,
    check_name,
    names_version,
    parse_ref,
    parse_version,
    split_ref,
)
from jupyter_mlops.store import catalog

DEFAULT_ALIAS = "champion"


def find_version(conn: duckdb.DuckDBPyConnection, ref: ModelRef) -> Version:
    """The version `ref` names (by number, through an alias, or the latest).

    A lookup that finds its version reads three tables, each once: the model's aliases, the
    version, its tags (on a shared registry each table a query reads costs several round
    trips to PostgreSQL). Only one that finds nothing reads more, to say what is missing."""
    aliases = catalog.model_aliases(conn, ref.model)
    number = ref.version if ref.alias is None else aliases.get(ref.alias)
    if number is None and ref.alias is None:
        number = catalog.latest_version(conn, ref.model)
    row = catalog.get_version(conn, ref.model, number) if number is not None else None
    if row is None:
        raise _missing(conn, ref, number)
    return Version.from_row(
        row,
        aliases=[alias for alias, target in aliases.items() if target == row["version"]],
        tags=catalog.version_tags(conn, ref.model, row["version"]),
    )


def _missing(
    conn: duckdb.DuckDBPyConnection, ref: ModelRef, number: int | None
) -> VersionNotFoundError:
    """Why `ref` names no version: its model, its alias or the version is missing."""
    require_model(conn, ref.model)
    if ref.alias is not None and number is None:
        require_alias_known(conn, ref.model, ref.alias, current=True)
    numbers = catalog.version_numbers(conn, ref.model)
    have = f"1..{numbers[-1]}" if numbers else "none"
    return VersionNotFoundError(
        f"{ref.model} has no version {number} (versions: {have}); pick an existing one."
    )


def watched_ref(conn: duckdb.DuckDBPyConnection, text: str) -> ModelRef:
    """`text` as monitoring and serving read it: a bare name means the model's `champion`
    alias (the newest version is often an experiment), refused when there is none."""
    ref = parse_ref(text)
    if names_version(text):  # name@latest too
        return ref
    require_model(conn, ref.model)
    aliases = catalog.model_aliases(conn, ref.model)
    if DEFAULT_ALIAS in aliases:
        return ModelRef(ref.model, alias=DEFAULT_ALIAS)
    listed = ", ".join(f"{ref.model}@{alias}" for alias in sorted(aliases))
    hint = f"name one of its aliases ({listed}) or a version" if aliases else "name a version"
    raise AliasNotFoundError(
        f"{ref.model} has no champion alias, so a bare name does not say which version to "
        f"watch; {hint} (e.g. {ref.model}:1), or promote one to champion."
    )


def require_model(conn: duckdb.DuckDBPyConnection, name: str, *, also: Iterable[str] = ()) -> None:
    """Refuse a name no model of the registry has, with the closest name (of theirs and
    `also`); a name no model could have is refused as such (too long, say)."""
    check_name(name)
    if catalog.get_model(conn, name) is None:
        names = sorted({*catalog.model_names(conn), *also})
        hint = did_you_mean(name, names) or ("" if names else " (the registry has no models yet)")
        raise ModelNotFoundError(
            f"no model named {name!r}{hint}; run `",
            Command("models", python="Registry().models()"),
            "` to list them.",
        )


def listed_model(
    conn: duckdb.DuckDBPyConnection, text: object, *, listed: str, known: Iterable[str] = ()
) -> str:
    """`text` as a listing by model takes it (`jobs MODEL`, `schedule --list MODEL`): the
    name of a model the registry holds (or one of `known`, the models the listing has rows
    of). A reference (`churn@champion`) is refused naming its model, an unknown name with the
    closest one, an empty one as no name; `listed` says what is listed ("jobs")."""
    if isinstance(text, str) and names_version(text):
        name = split_ref(text)[0]
        raise InvalidArgumentError(
            f"{text!r} names a version, but {listed} are listed by model; give the model's "
            f"name alone, e.g. {name!r}."
        )
    name = check_name(text)  # type: ignore[arg-type]
    known = list(known)
    if name not in known:
        require_model(conn, name, also=known)
    return name


def require_alias_known(
    conn: duckdb.DuckDBPyConnection, name: str, alias: str, *, current: bool = False
) -> None:
    """Refuse an alias the model does not have (`current`) or never had."""
    aliases = catalog.model_aliases(conn, name)
    known = (
        aliases if current else aliases | {e["alias"]: 0 for e in catalog.alias_events(conn, name)}
    )
    if alias not in known:
        listed = ", ".join(sorted(aliases)) or "none"
        close = did_you_mean(alias, known)
        if close:  # a typo, most likely: creating it is not the fix
            raise AliasNotFoundError(
                f"{name} has no alias {alias!r}{close}; name one of its aliases ({listed})."
            )
        raise AliasNotFoundError(
            f"{name} has no alias {alias!r} (aliases: {listed}); promote a version first with `",
            promote_command(name, alias),
            "`.",
        )


def version_ref(name: str, version: int | str) -> ModelRef:
    """`name` at a version number or through an alias (`3`, `"3"`, `"champion"`)."""
    check_name(name)
    if not isinstance(version, str):
        return ModelRef(name, version=parse_version(version))
    return parse_ref(f"{name}@{version}")


def compared_model(model: object) -> str:
    """The model a comparison of two of its versions names (a gate, a live comparison);
    a reference is refused, since each side is named apart."""
    if isinstance(model, str) and names_version(model):
        named = parse_ref(model).model
        raise InvalidArgumentError(
            f"{model} is a reference to a version, and a comparison takes the model's name "
            f"({named}) with its two sides named apart; give {named}, with ",
            Option("champion", python="'champion'", typed="champion"), " and ",
            Option("challenger", python="'challenger'", typed="challenger"), " as needed.",
        )  # fmt: skip
    return check_name(model)  # type: ignore[arg-type]


def side_ref(model: str, side: str | int) -> str:
    """The reference one side of a comparison names: an alias of `model`, a version
    number, or a reference of `model` itself (one of another model is refused)."""
    text = str(side).strip()
    if isinstance(side, int) or text.isdigit():
        return f"{model}:{int(text)}"
    if "@" in text or ":" in text:
        named = parse_ref(text).model
        if named != model:
            raise InvalidArgumentError(
                f"{text} is a version of {named}, not of {model}; name a version of "
                f"{model} (an alias such as challenger, or a number)."
            )
        return text
    return f"{model}@{text}"


def model_versions(conn: duckdb.DuckDBPyConnection, name: str) -> VersionList:
    """The versions of model `name`, oldest first, each with its aliases and tags."""
    rows = catalog.list_versions(conn, name)
    if not rows:  # no model, or one without versions
        require_model(conn, name)
    aliases = catalog.model_aliases(conn, name)
    tags = catalog.model_tags(conn, name)
    by_version: dict[int, list[str]] = {}
    for alias, number in aliases.items():
        by_version.setdefault(number, []).append(alias)
    return VersionList(
        Version.from_row(
            row, aliases=by_version.get(row["version"], []), tags=tags.get(row["version"], {})
        )
        for row in rows
    )
